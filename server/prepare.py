"""Getting a database ready to serve: ``prepare_database`` (migrations, the cursor key, the
demo catalogue as version 1 if none), what ``serve``, ``init-db`` and every admin command
run first.

Kept apart from ``server.app`` (FastAPI, the console's templates) and cheap when there is
nothing to do: the admin commands run it on every call (``set-status`` once per decision
of the back office), and Alembic alone costs a fifth of such a call to import. So the
schema's revision is compared with the newest migration's first, from the migration files'
own ``revision``/``down_revision`` lines; only a database behind (or anything unclear:
several heads, a file not understood) goes through Alembic, which decides as before.
"""

from __future__ import annotations

import ast
import datetime as dt
import logging

from sqlalchemy import Engine, inspect, text

from server.catalogs import ensure_catalog
from server.context import utc_now
from server.db import MIGRATIONS_DIR, migrate, preparation_lock
from server.feed import ensure_cursor_key

log = logging.getLogger("pishkhan.server")

VERSIONS_DIR = MIGRATIONS_DIR / "versions"


def prepare_database(engine: Engine, *, now: dt.datetime | None = None) -> None:
    """Migrate to the newest schema; make the cursor key; publish the demo catalogue if none.

    Several nodes over one PostgreSQL may start at once: they take turns (an advisory
    lock), so one migrates and makes the key and the others find them made."""
    with preparation_lock(engine):
        if not schema_is_current(engine):
            migrate(engine)
        ensure_cursor_key(engine)
        version = ensure_catalog(engine, now=now or utc_now())
    if version is not None:
        log.info("no catalogue yet: published the demo catalogue as version %d", version)


def script_head() -> str | None:
    """The newest migration's revision, read from the files; None unless exactly one."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS_DIR.glob("*.py"):
        values: dict[str, object] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                try:
                    values[target.id] = ast.literal_eval(value)
                except ValueError:
                    return None
        revision, down = values.get("revision"), values.get("down_revision")
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):
            parents.update(str(d) for d in down)
        elif down is not None:
            return None
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else None


def schema_is_current(engine: Engine) -> bool:
    """True if the database is at the one newest migration (nothing for Alembic to do)."""
    head = script_head()
    if head is None:
        return False
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        current = [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
    return current == [head]
