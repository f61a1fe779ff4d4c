"""The PC's update state travels in the heartbeat, is kept on the server (migration 0009,
SQLite and PostgreSQL) and shows in the stuck-offices list: who is behind, whose update
failed. Real server process, real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select, text

from server.db import alembic_config, make_engine, migrate
from server.models import devices
from tests.server.conftest import database_url as database_url  # fixtures, re-exported
from tests.server.conftest import db_kind as db_kind
from tests.server.conftest import server as server
from tests.support.server import EnrolledDevice, RunningServer


def _beat(server: RunningServer, device: EnrolledDevice, **body: Any) -> Any:
    return server.session.post(
        server.url("/v1/heartbeat"),
        json={"queue_depth": 0, **body},
        headers=device.headers,
        timeout=30,
    )


def test_the_fleet_sees_each_office_s_update_states_and_lowest_version(
    server: RunningServer,
) -> None:
    office = server.add_office()
    first, second = server.enrol(office.code), server.enrol(office.code, counter_no=2)
    # Compared as numbers: 1.10.0 is newer than 1.9.2, so 1.9.2 is the office's lowest.
    answer = _beat(server, first, app_version="1.10.0", update_state="switched")
    assert answer.status_code == 200, answer.text
    answer = _beat(server, second, app_version="1.9.2", update_state="rolled_back")
    assert answer.status_code == 200, answer.text
    listed = server.admin("GET", "/v1/admin/offices/stuck?limit=20000").json()["offices"]
    [mine] = [o for o in listed if o["office_code"] == office.code]
    assert mine["update_states"] == ["rolled_back", "switched"]
    assert mine["app_versions"] == ["1.9.2", "1.10.0"]
    assert mine["lowest_app_version"] == "1.9.2"
    # A later heartbeat replaces the state; an older PC that sends none leaves it out.
    assert _beat(server, second, app_version="1.10.0").status_code == 200
    listed = server.admin("GET", "/v1/admin/offices/stuck?limit=20000").json()["offices"]
    [mine] = [o for o in listed if o["office_code"] == office.code]
    assert mine["update_states"] == ["switched"]
    assert mine["lowest_app_version"] == "1.10.0"


@pytest.mark.parametrize("state", ["x" * 21, "Ready", "ready\u0000", "آماده", 5])
def test_an_update_state_out_of_bounds_is_a_422_naming_the_field(
    server: RunningServer, state: object
) -> None:
    device = server.enrol(server.add_office().code)
    answer = _beat(server, device, update_state=state)
    assert answer.status_code == 422, answer.text
    reason = answer.json()["fields"]["update_state"]
    assert reason["fa"] and reason["en"]


def test_migration_0009_keeps_pcs_enrolled_before_and_the_heartbeat_history(
    database_url: str,
) -> None:
    engine: Engine = make_engine(database_url)
    try:
        cfg = alembic_config()
        with engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0006_blobs")
            conn.commit()
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO offices (code, name, created_at) VALUES ('1001', 'x', :t)"),
                {"t": "2026-12-01T00:00:00+00:00"},
            )
            conn.execute(
                text(
                    "INSERT INTO devices (id, office_id, counter_no, name, token_hash,"
                    " enrolled_at, app_version, queue_depth, attention, reported_last_seq,"
                    " seq_max, seq_seen) SELECT '00000000-0000-4000-8000-000000000001', id,"
                    " 1, 'PC', :h, :t, '1.0.0', 0, 0, 0, 0, 0 FROM offices"
                ),
                {"h": "a" * 64, "t": "2026-12-01T00:00:00+00:00"},
            )
        migrate(engine)
        with engine.connect() as conn:
            assert conn.execute(select(devices.c.update_state)).scalar_one() == ""
        # The column was added in place: the console's trigger on devices (0004) survives.
        triggers = _trigger_names(engine)
        assert "trg_devices_heartbeat_history" in triggers
        assert "update_state" in {c["name"] for c in inspect(engine).get_columns("devices")}
    finally:
        engine.dispose()


def _trigger_names(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            query = text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            query = text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'devices'::regclass"
                " AND NOT tgisinternal"
            )
        return {row[0] for row in conn.execute(query)}
