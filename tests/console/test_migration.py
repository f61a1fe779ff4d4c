"""Migrations 0005_console_search and 0010_console_ingest on a database that already holds
requests (both databases): their national codes are copied into ``request_search``, and
requests pushed afterwards are added by the push itself (0010 dropped 0005's trigger); the
inbox finds both, and the trigger is gone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text

from server.catalogs import CatalogCache, ensure_catalog
from server.console.accounts import Staff
from server.console.inbox import InboxFilter, inbox_page
from server.console.models import Role
from server.db import alembic_config, make_engine, migrate
from server.feed import ensure_cursor_key
from server.offices import add_office
from sync.protocol import ItemStatus
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


def _triggers(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            query = (
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
                " AND tgrelid = 'requests'::regclass"
            )
        return set(conn.execute(text(query)).scalars())


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
        with engine.begin() as conn:  # as a push under 0004 stored it (no request_search yet)
            conn.execute(
                text(
                    "INSERT INTO requests (id, office_id, device_id, seq, reference, clerk,"
                    " service_code, catalog_version, content_hash, payload, tracking_code,"
                    " state, created_at, received_at, state_changed_at) VALUES (:id, :office,"
                    " :device, 1, :ref, 'c', :service, 1, :hash, :payload,"
                    " 'PK-1001-before', 'accepted', :t, :t, :t)"
                ),
                {
                    "id": before["id"],
                    "office": device.office_id,
                    "device": device.id,
                    "ref": before["reference"],
                    "service": before["service_code"],
                    "hash": before["content_hash"],
                    "payload": json.dumps(before, ensure_ascii=False, sort_keys=True),
                    "t": NOW,
                },
            )
        migrate(engine)
        after = sample_item("1001", 2, created_at=NOW)
        [result] = push_items(engine, CatalogCache(), device, [after]).results
        assert result.status == ItemStatus.ACCEPTED
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM request_search")).scalar()
        assert stored == 2
        assert "trg_requests_search" not in _triggers(engine)
        for item in (before, after):
            code = item["applicant"]["national_code"]
            rows, _ = inbox_page(engine, ADMIN, InboxFilter(search=code), size=50)
            assert [r.id for r in rows] == [item["id"]]
    finally:
        engine.dispose()
