"""Published service catalogues: numbering, storing, the feed entry, and a parsed cache.

The server numbers the versions: publishing a document stores it as the next version
(its ``version`` and ``published_at`` are set by the server) and appends one catalogue
change to the feed, in the same transaction. A version never changes once published, so
parsed catalogues are cached for the life of the process.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from rules.catalog import Catalog, CatalogError, demo_catalog_path
from server.db import lock_feed, read_tx, write_tx
from server.errors import invalid
from server.models import catalog_versions, changes
from sync.protocol import ChangeKind, utc_iso

log = logging.getLogger("pishkhan.server")


class CatalogCache:
    """Parsed catalogues by version, loaded from the database on first use."""

    def __init__(self) -> None:
        self._by_version: dict[int, Catalog] = {}
        self._lock = threading.Lock()

    def get_many(self, engine: Engine, versions: Iterable[int]) -> dict[int, Catalog]:
        """The known ones among ``versions`` (unknown versions are simply absent)."""
        wanted = set(versions)
        with self._lock:
            found = {v: self._by_version[v] for v in wanted if v in self._by_version}
        missing = wanted - found.keys()
        if missing:
            with read_tx(engine) as conn:
                rows = conn.execute(
                    select(catalog_versions.c.version, catalog_versions.c.document).where(
                        catalog_versions.c.version.in_(sorted(missing))
                    )
                ).all()
            for version, document in rows:
                catalog = Catalog.from_document(json.loads(document))
                found[version] = catalog
                with self._lock:
                    self._by_version[version] = catalog
        return found


def latest_version(conn: Connection) -> int | None:
    return conn.execute(select(func.max(catalog_versions.c.version))).scalar()


def _checked(document: Any) -> Catalog:
    try:
        return Catalog.from_document(document)
    except CatalogError as exc:
        raise invalid({"catalog": exc.message}) from None


def publish_catalog(
    engine: Engine, document: Mapping[str, Any], *, now: dt.datetime, stamp: bool = True
) -> int:
    """Store ``document`` as the next catalogue version; 422 if it is not a valid catalogue.

    The server sets the document's ``version``, and its ``published_at`` to ``now`` unless
    ``stamp`` is false (the demo catalogue keeps its own, so it is byte for byte the
    version 1 that the counter program ships with).
    """
    _checked(dict(document))  # refuse a bad document before touching the database
    with write_tx(engine) as conn:
        # The feed lock first: publications are rare, and this numbers them without races.
        lock_feed(conn)
        version = (latest_version(conn) or 0) + 1
        stamped = dict(document, version=version)
        if stamp:
            stamped["published_at"] = utc_iso(now)
        canonical = _checked(stamped).to_document()
        conn.execute(
            insert(catalog_versions).values(
                version=version,
                document=json.dumps(canonical, ensure_ascii=False, sort_keys=True),
                published_at=now,
            )
        )
        conn.execute(
            insert(changes).values(kind=str(ChangeKind.CATALOG), catalog_version=version, at=now)
        )
    log.info("catalogue version %d published (%d services)", version, len(canonical["services"]))
    return version


def ensure_catalog(engine: Engine, *, now: dt.datetime) -> int | None:
    """Publish the demo catalogue as the first version if none exists; returns its version."""
    with read_tx(engine) as conn:
        if latest_version(conn) is not None:
            return None
    document = json.loads(demo_catalog_path().read_text(encoding="utf-8"))
    return publish_catalog(engine, document, now=now, stamp=False)
