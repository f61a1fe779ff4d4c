"""What the PC tells the clerk about versions: a ready update, and the centre's minimum.

The centre sets a minimum version and a date in the heartbeat's answer. Before the date an
older PC reminds the clerk and says by when; from the date on it says plainly that it must
be updated, and nobody (a manager neither) can postpone it. A minimum that is installed
already, or older, says nothing.

Versions and dates sit in Unicode isolates (FSI ... PDI) in the Persian text, so that
"۱.۲.۰" and "۱۴۰۵/۰۹/۲۹" read in the same order inside a right-to-left sentence as on
their own. The Persian date is the Jalali date in Tehran; the English one is Gregorian.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from persiantools import digits

from rules.messages import Message
from rules.validation import format_jalali
from rules.versions import is_newer

TEHRAN = ZoneInfo("Asia/Tehran")

READY_TO_RESTART = Message(
    fa="نسخه‌ی تازه‌ی پیشخوان آماده است. اکنون برنامه دوباره باز شود یا هنگام بستن؟",
    en="A new version of Pishkhan is ready. Restart now, or when the program is closed?",
)
MUST_UPDATE_READY = Message(
    fa="این نسخه‌ی پیشخوان ({installed}) دیگر پذیرفته نیست و باید به‌روز شود. نسخه‌ی "
    "{ready} آماده است: «اکنون دوباره باز شود» را بزنید (Enter).",
    en="This version of Pishkhan ({installed}) is no longer accepted and must be updated. "
    "Version {ready} is ready: press Restart now (Enter).",
)
MUST_UPDATE_FETCHING = Message(
    fa="این نسخه‌ی پیشخوان ({installed}) دیگر پذیرفته نیست و باید به نسخه‌ی {minimum} یا "
    "تازه‌تر به‌روز شود. به‌روزرسانی در حال دریافت است؛ وقتی آماده شد، همین‌جا دکمه‌ی "
    "«اکنون دوباره باز شود» می‌آید.",
    en="This version of Pishkhan ({installed}) is no longer accepted; it must be updated to "
    "{minimum} or newer. The update is being downloaded; a Restart now button appears here "
    "when it is ready.",
)
UPDATE_SOON = Message(
    fa="مرکز خواسته است پیشخوان تا {after} به نسخه‌ی {minimum} یا تازه‌تر به‌روز شود؛ از آن "
    "روز به‌روزرسانی را نمی‌توان عقب انداخت.",
    en="The centre asks for Pishkhan to be updated to {minimum} or newer by {after}; from "
    "then on the update cannot be postponed.",
)


def _isolated(fa: str, en: str) -> Message:
    return Message(fa=f"\u2068{fa}\u2069", en=en)


def version_text(version: str) -> Message:
    """A version for a sentence: Persian digits, isolated, in the Persian text."""
    return _isolated(digits.en_to_fa(version), version)


def date_text(moment: dt.datetime) -> Message:
    """The day of ``moment`` in Tehran: Jalali in Persian, ISO (Gregorian) in English."""
    local = moment.astimezone(TEHRAN)
    return _isolated(digits.en_to_fa(format_jalali(local.date())), local.date().isoformat())


def minimum_date(after: str | None) -> dt.datetime | None:
    """The centre's date as a moment (None: the minimum holds at once); ValueError if it is
    not an ISO time. One without a zone is taken as UTC rather than failing to compare."""
    if not after:
        return None
    when = dt.datetime.fromisoformat(after)
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class CentreMinimum:
    """The centre's minimum version and the moment from which it holds (None: now)."""

    version: str
    after: str | None = None

    def unmet_by(self, installed: str) -> bool:
        """The installed version is older than the minimum (ValueError: not a version)."""
        return bool(self.version) and is_newer(self.version, installed)

    def required(self, installed: str, now: dt.datetime) -> bool:
        """Past the date and not met: the program must update, no postponing."""
        if not self.unmet_by(installed):
            return False
        when = minimum_date(self.after)
        return when is None or now >= when


def minimum_notice(
    installed: str,
    minimum: str,
    after: str | None,
    *,
    now: dt.datetime,
    ready: str | None = None,
) -> tuple[bool, Message] | None:
    """None if the installed version meets the minimum; else (required now?, message).

    ``ready``: the version staged for the next start, if any (the must-update text then
    says to restart; otherwise that the update is on its way)."""
    if not minimum or not is_newer(minimum, installed):
        return None
    when = minimum_date(after)
    if when is None or now >= when:
        if ready is not None and not is_newer(minimum, ready):
            message = MUST_UPDATE_READY.format(
                installed=version_text(installed), ready=version_text(ready)
            )
        else:
            message = MUST_UPDATE_FETCHING.format(
                installed=version_text(installed), minimum=version_text(minimum)
            )
        return True, message
    return False, UPDATE_SOON.format(minimum=version_text(minimum), after=date_text(when))
