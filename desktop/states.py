"""A request's lifecycle states, with their names for the clerk."""

from __future__ import annotations

from enum import StrEnum

from rules.messages import Message


class State(StrEnum):
    QUEUED = "queued"  # saved here, waiting to be sent
    SENDING = "sending"  # in a push that has not been answered yet
    ACCEPTED = "accepted"  # the server has it, with its official tracking code
    NEEDS_ATTENTION = "needs_attention"  # the server refused it; reason given; make a correction
    NEEDS_CORRECTION = "needs_correction"  # the back office asks for a correction
    REJECTED = "rejected"  # the back office rejected it
    COMPLETED = "completed"  # the back office finished it


STATE_NAMES: dict[State, Message] = {
    State.QUEUED: Message(fa="در صف ارسال", en="Queued"),
    State.SENDING: Message(fa="در حال ارسال", en="Sending"),
    State.ACCEPTED: Message(fa="پذیرفته شد", en="Accepted"),
    State.NEEDS_ATTENTION: Message(fa="نیازمند بررسی", en="Needs attention"),
    State.NEEDS_CORRECTION: Message(fa="نیازمند اصلاح", en="Needs correction"),
    State.REJECTED: Message(fa="رد شد", en="Rejected"),
    State.COMPLETED: Message(fa="انجام شد", en="Completed"),
}

#: States in which the request still waits on this PC (counted in the banner).
WAITING = (State.QUEUED, State.SENDING)
