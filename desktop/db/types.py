"""Column types: UTC timestamps that never lose their time zone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stored as ISO text in UTC with microseconds; read back tz-aware.

    A naive datetime is refused: every moment in the core is UTC-aware, and a
    naive one is almost always local time that slipped through.
    """

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use UTC-aware datetimes")
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return parse_utc_text(value)


def parse_utc_text(value: str) -> dt.datetime:
    """The stored text form back to an aware UTC datetime (for raw-SQL reads)."""
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def utc_text(value: dt.datetime) -> str:
    """The stored text form, for raw-SQL range filters on UTCDateTime columns."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
