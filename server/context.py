"""What every route needs, one per app (``app.state.ctx``): settings, engine, clock, caches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from server.catalogs import CatalogCache
from server.feed import ensure_cursor_key
from server.settings import ServerSettings
from server.throttle import FailureThrottle

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class ServerContext:
    settings: ServerSettings
    engine: Engine
    clock: Clock = utc_now
    catalogs: CatalogCache = field(default_factory=CatalogCache)
    throttle: FailureThrottle = field(default_factory=FailureThrottle)
    _cursor_key: bytes | None = None

    @property
    def cursor_key(self) -> bytes:
        """This database's cursor-signing key (made on first use if migrations were skipped)."""
        if self._cursor_key is None:
            self._cursor_key = ensure_cursor_key(self.engine)
        return self._cursor_key
