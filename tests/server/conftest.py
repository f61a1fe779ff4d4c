"""Fixtures of the server tests: every database-level test runs on SQLite and PostgreSQL.

``db_kind`` is parametrised over both; PostgreSQL needs ``PISHKHAN_TEST_PG_URL`` (skipped
without it, a failure on CI). ``server`` is one real server process per database kind for
the whole session: tests stay independent by using offices of their own
(``server.add_office()`` hands out unique codes). ``engine`` is a fresh, migrated database
(own SQLite file or own PostgreSQL schema) for one test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy import Engine

from server import offices
from server.app import prepare_database
from server.catalogs import CatalogCache
from server.db import make_engine
from server.offices import AuthDevice
from server.push import push
from sync.protocol import EnrolRequest, PushResponse, decode
from tests.support.server import (
    RunningServer,
    postgres_base_url,
    postgres_schema_url,
    start_server,
)
from tests.support.server import running_server as running_server  # re-exported fixture

NOW = dt.datetime(2026, 11, 28, 9, 15, tzinfo=dt.UTC)


def enrolled_device(engine: Engine, office_code: str, n: int) -> AuthDevice:
    """Counter ``n`` of an existing office, enrolled with a fresh code (database level)."""
    code = offices.create_enrolment_code(engine, office_code, ttl_hours=1, now=NOW)
    device_id = f"00000000-0000-4000-8000-{n:012d}"
    answer = offices.enrol(
        engine, EnrolRequest(code, device_id, office_code, n, f"PC-{n}", "0.1.0"), now=NOW
    )
    device = offices.authenticate(engine, answer.device_token)
    assert device is not None
    return device


def push_items(
    engine: Engine,
    cache: CatalogCache,
    device: AuthDevice,
    items: list[Any],
    *,
    now: dt.datetime = NOW,
    retry_after: int = 5,
) -> PushResponse:
    """``server.push.push`` on plain items (each as the raw JSON the envelope keeps)."""
    raws = [msgspec.Raw(msgspec.json.encode(item)) for item in items]
    answer = push(engine, cache, device, raws, now=now, retry_after=retry_after)
    return decode(answer, PushResponse)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def db_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        postgres_base_url()  # skips, or fails on CI, when PostgreSQL is not configured
    return str(request.param)


@pytest.fixture
def database_url(db_kind: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of this test's own."""
    if db_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'central.sqlite3'}"
        return
    base = postgres_base_url()
    assert base is not None
    with postgres_schema_url(base) as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database with the demo catalogue as version 1."""
    eng = make_engine(database_url)
    prepare_database(eng, now=NOW)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def server(db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One real server process per database kind, shared by the session's HTTP tests."""
    data_dir = tmp_path_factory.mktemp(f"server-{db_kind}")
    if db_kind == "sqlite":
        with start_server(data_dir) as running:
            yield running
        return
    base = postgres_base_url()
    assert base is not None
    with postgres_schema_url(base) as url, start_server(data_dir, database_url=url) as running:
        yield running
