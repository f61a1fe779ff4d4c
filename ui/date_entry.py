"""Short ways to type a Jalali date at the counter: a two-digit year.

Clerks write a birth date as "700512" or "70/5/12" (1370/05/12); the form turns it into
the full date as soon as it is unambiguous, so the core and the server only ever see
"1370/05/12". The century is the one that makes sense for the field: for a date that
must be in the past, the latest such date not after today (the 1300s for "70", the
1400s for "03" once 1403 has come); otherwise the one nearer today.

Six digits starting with 13 or 14 are never read this way: they may be the first six of
"13700512", and a misread date is worse than a key more.
"""

from __future__ import annotations

import datetime as dt
import re

from rules import validation as v
from rules.normalize import strip_invisible, to_ascii_digits

_SHORT_COMPACT = re.compile(r"(\d{2})(\d{2})(\d{2})", re.ASCII)
_SHORT_SEPARATED = re.compile(r"(\d{2})[/\-.](\d{1,2})[/\-.](\d{1,2})", re.ASCII)
_CENTURIES = (1300, 1400)


def is_short_date(text: str) -> bool:
    """Whether ``text`` is a date with a two-digit year this module reads ("700512",
    "70/5/12"), as opposed to a full date or the start of one."""
    flat = strip_invisible(to_ascii_digits(text)).strip()
    match = _SHORT_COMPACT.fullmatch(flat)
    if match is not None:
        return match.group(1) not in ("13", "14")
    return _SHORT_SEPARATED.fullmatch(flat) is not None


def expand_short_date(text: str, *, today: dt.date, past_only: bool) -> str | None:
    """The full canonical date ("1370/05/12") a two-digit-year date stands for; None if
    ``text`` is not one (a full date stays as typed) or names no such day."""
    if not is_short_date(text):
        return None
    flat = strip_invisible(to_ascii_digits(text)).strip()
    match = _SHORT_COMPACT.fullmatch(flat) or _SHORT_SEPARATED.fullmatch(flat)
    assert match is not None
    year, month, day = (int(part) for part in match.groups())
    found: list[tuple[dt.date, str]] = []
    for century in _CENTURIES:
        try:
            found.append(v.parse_jalali_date(f"{century + year}/{month:02d}/{day:02d}"))
        except v.FieldError:
            continue  # no such day in that year (30 Esfand), or out of the parser's range
    if past_only:
        found = [f for f in found if f[0] <= today]
        return max(found)[1] if found else None
    if not found:
        return None
    return min(found, key=lambda f: abs((f[0] - today).days))[1]
