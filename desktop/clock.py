"""Time for the core: UTC inside, Tehran time only at the edges (UI, receipts, reports)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

TEHRAN = ZoneInfo("Asia/Tehran")

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def local_day_bounds(day: dt.date, tz: dt.tzinfo = TEHRAN) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants [start, end) of a calendar day in the office's time zone."""
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz)
    end = start + dt.timedelta(days=1)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def to_local(moment: dt.datetime, tz: dt.tzinfo = TEHRAN) -> dt.datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(tz)
