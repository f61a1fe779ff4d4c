"""The base of the exception taxonomy that the counter and the server share.

Three kinds, as in Electrum and qutebrowser: a *user-facing* error carries a
message for the clerk in Persian and English and is shown as is; *cancelled*
is silent; anything else is a bug, logged with its trace and shown in the
crash dialog. The counter's environment errors (disk full, database locked,
newer schema) live in ``desktop.errors`` and are user-facing too.
"""

from __future__ import annotations

from rules.messages import Message


class UserFacingError(Exception):
    """An error whose message is meant for the clerk, in their language."""

    def __init__(self, message: Message, *, detail: str = "") -> None:
        super().__init__(message.en if not detail else f"{message.en} ({detail})")
        self.message = message
        self.detail = detail


class Cancelled(Exception):
    """The user cancelled; nothing to report."""
