"""Migration 0005_console_search on a database that already holds requests (both
databases): their national codes are copied into ``request_search``, and requests pushed
afterwards are added by the trigger; the inbox finds both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from server.catalogs import CatalogCache, ensure_catalog
from server.console.accounts import Staff
from server.console.inbox import InboxFilter, inbox_page
from server.console.models import Role
from server.db import alembic_config, make_engine, migrate
from server.feed import ensure_cursor_key
from server.offices import add_office
from tests.server.conftest import NOW, enrolled_device, push_items
from tests.support.server import postgres_base_url, postgres_schema_url, sample_item

ADMIN = Staff(id=1, username="chief", display_name="chief", role=Role.ADMINISTRATOR)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.sqlite3'}"
        return
    base = postgres_base_url()
    assert base is not None
    with postgres_schema_url(base) as url:
        yield url


def test_search_rows_for_requests_before_and_after(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        cfg = alembic_config()
        with engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0004_console_heartbeats")
            conn.commit()
        ensure_cursor_key(engine)
        ensure_catalog(engine, now=NOW)
        add_office(engine, "1001", "دفتر", now=NOW)
        device = enrolled_device(engine, "1001", 1)
        before = sample_item("1001", 1, created_at=NOW)
        push_items(engine, CatalogCache(), device, [before])
        migrate(engine)
        after = sample_item("1001", 2, created_at=NOW)
        push_items(engine, CatalogCache(), device, [after])
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM request_search")).scalar()
        assert stored == 2
        for item in (before, after):
            code = item["applicant"]["national_code"]
            rows, _ = inbox_page(engine, ADMIN, InboxFilter(search=code), size=50)
            assert [r.id for r in rows] == [item["id"]]
    finally:
        engine.dispose()
