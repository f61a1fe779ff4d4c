"""Language, digits and dates of the console's pages: Persian (right to left, Jalali dates,
Persian digits) by default, English on request. Times are stored in UTC and shown in
Tehran's time."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import jdatetime

from rules.messages import Message
from rules.normalize import to_ascii_digits

TEHRAN = ZoneInfo("Asia/Tehran")
# Persian digits (and the Persian thousands separator) by one table: a fleet page shows
# thousands of numbers, and rules.normalize.to_persian_digits costs ~25 µs a call.
_PERSIAN = str.maketrans("0123456789٠١٢٣٤٥٦٧٨٩,", "۰۱۲۳۴۵۶۷۸۹۰۱۲۳۴۵۶۷۸۹٬")


@functools.lru_cache(maxsize=4096)
def _jalali_day(day: dt.date) -> str:
    """A day's Jalali date (yyyy/mm/dd): pages show many times of few days."""
    return jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d")


LANG_COOKIE = "pishkhan_console_lang"
LANGS = ("fa", "en")


@dataclass(frozen=True)
class Locale:
    lang: str

    @property
    def dir(self) -> str:
        return "rtl" if self.lang == "fa" else "ltr"

    def t(self, fa: str, en: str) -> str:
        return fa if self.lang == "fa" else en

    def msg(self, message: Message | None) -> str:
        return "" if message is None else message.text(self.lang)

    def label(self, label: object) -> str:
        """A catalogue label ({"fa", "en"} or a Message)."""
        if isinstance(label, Message):
            return label.text(self.lang)
        if isinstance(label, dict):
            return str(label.get(self.lang) or label.get("fa") or "")
        return str(label or "")

    def num(self, value: object) -> str:
        text = f"{value:,}" if isinstance(value, int) else str(value)
        if self.lang == "fa":
            return text.translate(_PERSIAN)
        return text

    def when(self, moment: dt.datetime | None, *, seconds: bool = False) -> str:
        if moment is None:
            return "—"
        local = moment.astimezone(TEHRAN)
        if self.lang == "fa":
            clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
            return f"{_jalali_day(local.date())} {clock}".translate(_PERSIAN)
        return local.strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else ""))

    def duration(self, seconds: int | None) -> str:
        if seconds is None:
            return "—"
        hours, rest = divmod(int(seconds), 3600)
        if hours >= 48:
            return self.num(hours // 24) + self.t(" روز", " days")
        if hours:
            return self.num(hours) + self.t(" ساعت", " h")
        return self.num(rest // 60) + self.t(" دقیقه", " min")


def parse_jalali_date(text: str) -> dt.date | None:
    """A Jalali date typed as 1403/05/12 (either digit set, / or -) as a Gregorian date;
    None if it is not one (the caller says so to the user)."""
    cleaned = to_ascii_digits(text.strip()).replace("-", "/")
    parts = cleaned.split("/")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    try:
        year, month, day = (int(p) for p in parts)
        return jdatetime.date(year, month, day).togregorian()
    except ValueError:
        return None


def tehran_day_start(day: dt.date) -> dt.datetime:
    """The UTC moment a Tehran calendar day starts."""
    return dt.datetime.combine(day, dt.time(), tzinfo=TEHRAN).astimezone(dt.UTC)
