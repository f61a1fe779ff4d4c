"""A reviewer's decisions, through the server's own back-office path (``feed.set_status``),
so they reach the counters in the change feed exactly as ``set-status`` does; each is in
the audit log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine

from rules.messages import Message
from rules.normalize import normalize_text
from server import feed
from server.console import audit
from server.console.accounts import Staff
from server.console.inbox import DECISIONS, visible_request
from server.db import read_now
from sync.protocol import RemoteState

MAX_REASON = 2000
MAX_BULK = 200


class DecisionRefused(ValueError):
    def __init__(self, fields: dict[str, Message]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


@dataclass(frozen=True)
class Decision:
    state: RemoteState
    reason_fa: str | None
    reason_en: str | None


def checked_decision(state: str, reason_fa: str, reason_en: str) -> Decision:
    """The decision a form asks for; DecisionRefused naming each bad field."""
    errors: dict[str, Message] = {}
    if state not in DECISIONS:
        errors["state"] = Message("تصمیم را انتخاب کنید.", "Choose a decision.")
    fa = normalize_text(reason_fa).strip()
    en = reason_en.strip()
    if state in ("needs_correction", "rejected") and not fa:
        errors["reason_fa"] = Message(
            "دلیل را به فارسی بنویسید؛ متصدی باجه آن را می‌بیند.",
            "Write the reason in Persian; the clerk at the counter sees it.",
        )
    for name, value in (("reason_fa", fa), ("reason_en", en)):
        if len(value) > MAX_REASON:
            errors[name] = Message(
                f"حداکثر {MAX_REASON} نویسه.", f"At most {MAX_REASON} characters."
            )
    if errors:
        raise DecisionRefused(errors)
    return Decision(RemoteState(state), fa or None, en or None)


def decide(
    engine: Engine,
    staff: Staff,
    who: audit.Actor,
    request_ids: list[str],
    decision: Decision,
    *,
    now: dt.datetime,
) -> tuple[list[str], list[str]]:
    """Apply ``decision`` to each request ``staff`` may see; (decided, not found) ids."""
    decided: list[str] = []
    missing: list[str] = []
    for request_id in dict.fromkeys(request_ids):
        with read_now(engine) as conn:
            visible = visible_request(conn, staff, request_id) is not None
        if not visible:
            missing.append(request_id)
            continue
        feed.set_status(
            engine,
            request_id,
            decision.state,
            reason_fa=decision.reason_fa,
            reason_en=decision.reason_en,
            now=now,
        )
        audit.record_now(
            engine,
            who,
            "decide",
            target=request_id,
            detail=f"{decision.state}: {decision.reason_fa or ''}",
            now=now,
        )
        decided.append(request_id)
    return decided, missing
