"""What the PC tells the clerk about versions: a ready update, and the centre's minimum.

The centre sets a minimum version and a date in the heartbeat's answer. Before the date an
older PC reminds the clerk; from the date on it says plainly that it must be updated.
"""

from __future__ import annotations

import datetime as dt

from rules.messages import Message
from updates.versions import is_newer

READY_TO_RESTART = Message(
    fa="نسخه‌ی تازه‌ی پیشخوان آماده است. اکنون برنامه دوباره باز شود یا هنگام بستن؟",
    en="A new version of Pishkhan is ready. Restart now, or when the program is closed?",
)
MUST_UPDATE = Message(
    fa="این نسخه‌ی پیشخوان ({installed}) دیگر پذیرفته نیست؛ باید به نسخه‌ی {minimum} یا "
    "تازه‌تر به‌روز شود. برنامه را ببندید و دوباره باز کنید تا به‌روزرسانی نصب شود.",
    en="This version of Pishkhan ({installed}) is no longer accepted; it must be updated to "
    "{minimum} or newer. Close and reopen the program to install the update.",
)
UPDATE_SOON = Message(
    fa="مرکز خواسته است پیشخوان تا {after} به نسخه‌ی {minimum} به‌روز شود.",
    en="The centre asks for Pishkhan to be updated to {minimum} by {after}.",
)


def minimum_notice(
    installed: str, minimum: str, after: str | None, *, now: dt.datetime
) -> tuple[bool, Message] | None:
    """None if the installed version meets the minimum; else (required now?, message)."""
    if not minimum or not is_newer(minimum, installed):
        return None
    when = dt.datetime.fromisoformat(after) if after else None
    # Plain strings: the Persian text shows the numbers in Persian digits.
    if when is None or now >= when:
        return True, MUST_UPDATE.format(installed=installed, minimum=minimum)
    return False, UPDATE_SOON.format(minimum=minimum, after=when.date().isoformat())
