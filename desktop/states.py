"""A request's lifecycle: its states, the moves allowed between them, their names for the
clerk. The state is stored once, in ``requests.state``; the outbox table holds only the
transport's bookkeeping (attempts, times, last error), and "still to send" *is* the state
being queued or sending.
"""

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

    @property
    def waiting(self) -> bool:
        """Still to reach the server from this PC (counted in the banner, sent by the sync)."""
        return self in WAITING

    @property
    def phase(self) -> str:
        """The transport's view: queued, sending, attention (set aside) or done."""
        if self in WAITING:
            return str(self)
        return "attention" if self is State.NEEDS_ATTENTION else "done"


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
#: What the back office decides; the push's own answer never moves a request out of these.
BACK_OFFICE = (State.NEEDS_CORRECTION, State.REJECTED, State.COMPLETED)
_SERVER = (State.ACCEPTED, *BACK_OFFICE)

#: Every move a request may make. The server's states come from a push's answer or the
#: change feed; "needs attention" is left only by the server's own acceptance (its answer
#: wins over our guess); nothing goes back to waiting once the server has the request.
TRANSITIONS: dict[State, frozenset[State]] = {
    State.QUEUED: frozenset((State.SENDING, State.NEEDS_ATTENTION, *_SERVER)),
    State.SENDING: frozenset((State.QUEUED, State.NEEDS_ATTENTION, *_SERVER)),
    State.NEEDS_ATTENTION: frozenset((State.ACCEPTED,)),
    State.ACCEPTED: frozenset(_SERVER),
    State.NEEDS_CORRECTION: frozenset(_SERVER),
    State.REJECTED: frozenset(_SERVER),
    State.COMPLETED: frozenset(_SERVER),
}


class IllegalTransition(ValueError):
    """A move the lifecycle does not allow: a bug in the caller, never the clerk's doing."""


def move(current: State | str, new: State) -> State:
    """``new`` if a request in ``current`` may become it (staying put is always allowed)."""
    old = State(current)
    if new is not old and new not in TRANSITIONS[old]:
        raise IllegalTransition(f"a request cannot go from {old} to {new}")
    return new
