"""The catalogue versions this PC knows, kept in the local store.

A new version arrives from the server's change feed (or an imported file) as a
whole document; the highest version is the one offered on the form. Requests
keep the version they were made under, so older versions are never dropped.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop.clock import Clock, utc_now
from desktop.db.engine import Store
from desktop.db.models import CatalogVersion
from rules.catalog import Catalog, CatalogError, load_catalog_file
from rules.catalog import demo_catalog_path as demo_catalog_path
from rules.errors import UserFacingError
from rules.messages import Message


class NoCatalog(UserFacingError):
    def __init__(self) -> None:
        super().__init__(
            Message(
                fa="فهرست خدمات هنوز دریافت نشده است.",
                en="The service catalogue has not been received yet.",
            )
        )


def add_version(session: Session, catalog: Catalog, *, source: str, at: dt.datetime) -> bool:
    """Store a catalogue version inside the caller's transaction; False if already known."""
    if session.get(CatalogVersion, catalog.version) is not None:
        return False
    session.add(
        CatalogVersion(
            version=catalog.version,
            document=json.dumps(catalog.to_document(), ensure_ascii=False),
            received_at=at,
            source=source,
        )
    )
    return True


class CatalogStore:
    def __init__(self, store: Store, *, clock: Clock = utc_now) -> None:
        self._store = store
        self._clock = clock
        self._cache: dict[int, Catalog] = {}

    def current_version(self) -> int | None:
        with self._store.read() as s:
            return s.scalar(select(func.max(CatalogVersion.version)))

    def current(self) -> Catalog:
        version = self.current_version()
        if version is None:
            raise NoCatalog()
        return self.get(version)

    def newest_known(self) -> Catalog | None:
        """The newest catalogue read so far, without a database read (a save checks it
        against the store's newest inside its own transaction), or None before any."""
        return self._cache[max(self._cache)] if self._cache else None

    def get(self, version: int) -> Catalog:
        cached = self._cache.get(version)
        if cached is not None:
            return cached
        with self._store.read() as s:
            row = s.get(CatalogVersion, version)
            if row is None:
                raise NoCatalog()
            catalog = Catalog.from_document(json.loads(row.document))
        self._cache[version] = catalog
        return catalog

    def import_catalog(self, catalog: Catalog, *, source: str = "file") -> bool:
        with self._store.write() as s:
            return add_version(s, catalog, source=source, at=self._clock())

    def import_file(self, path: str) -> Catalog:
        try:
            catalog = load_catalog_file(path)
        except (OSError, ValueError, CatalogError) as exc:
            raise UserFacingError(
                Message(
                    fa=f"پروندهٔ فهرست خدمات خوانده نشد: {exc}",
                    en=f"The catalogue file could not be read: {exc}",
                )
            ) from exc
        self.import_catalog(catalog, source="file")
        return catalog

    def ensure_seeded(self) -> None:
        """A fresh installation starts with the demo catalogue until the server sends one."""
        if self.current_version() is None:
            self.import_catalog(load_catalog_file(demo_catalog_path()), source="demo")
