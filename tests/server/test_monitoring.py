"""Heartbeats and the stuck-offices view (HTTP, admin API and command line)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import Engine

from server import monitoring, offices
from server.cli import main as server_cli
from sync.protocol import EnrolRequest, Heartbeat, parse_utc_iso
from tests.server.conftest import NOW
from tests.support.server import EnrolledDevice, RunningServer


def _beat(server: RunningServer, device: EnrolledDevice, **body: Any) -> Any:
    response = server.session.post(
        server.url("/v1/heartbeat"),
        json={"app_version": "0.1.0", "last_seq": 0, "attention": 0, **body},
        headers=device.headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_heartbeat_answers_server_time_and_feeds_the_stuck_list(
    server: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    calm, stuck, stuckest, silent = (server.add_office() for _ in range(4))
    devices = {o.code: server.enrol(o.code) for o in (calm, stuck, stuckest, silent)}
    answer = _beat(server, devices[calm.code], queue_depth=0, oldest_waiting_seconds=None)
    parse_utc_iso(answer["server_time"])
    _beat(server, devices[stuck.code], queue_depth=40, oldest_waiting_seconds=3_600)
    _beat(server, devices[stuckest.code], queue_depth=2, oldest_waiting_seconds=86_400)
    # A second PC in the stuck office, with more waiting: the office adds its PCs up.
    second = server.enrol(stuck.code, counter_no=2)
    _beat(server, second, queue_depth=10, oldest_waiting_seconds=60, app_version="0.2.0")

    response = server.admin("GET", "/v1/admin/offices/stuck?limit=20000")
    assert response.status_code == 200
    ranked = response.json()["offices"]
    mine = [o for o in ranked if o["office_code"] in devices]
    assert [o["office_code"] for o in mine] == [stuckest.code, stuck.code, silent.code, calm.code]
    by_code = {o["office_code"]: o for o in mine}
    assert by_code[stuck.code]["queue_depth"] == 50
    assert by_code[stuck.code]["devices"] == 2
    assert by_code[stuck.code]["app_versions"] == ["0.1.0", "0.2.0"]
    assert by_code[stuckest.code]["oldest_waiting_seconds"] >= 86_400
    assert by_code[silent.code]["last_heartbeat"] is None
    assert by_code[silent.code]["never_heard"] == 1

    assert (
        server_cli(
            ["stuck-offices", "--json", "--limit", "20000", "--database-url", server.database_url]
        )
        == 0
    )
    listed = json.loads(capsys.readouterr().out)
    assert [o["office_code"] for o in listed if o["office_code"] in devices] == [
        o["office_code"] for o in mine
    ]


def test_heartbeat_needs_a_device_token(server: RunningServer) -> None:
    response = server.session.post(
        server.url("/v1/heartbeat"), json={"queue_depth": 0, "app_version": "x"}, timeout=30
    )
    assert response.status_code == 401


def test_waiting_time_grows_while_the_office_is_silent(engine: Engine) -> None:
    """Estimated wait = reported wait + time since that heartbeat, if anything was waiting."""
    for code in ("A1", "B1"):
        offices.add_office(engine, code, code, now=NOW)
    ids = {}
    for n, code in enumerate(("A1", "B1"), start=1):
        enrolment = offices.create_enrolment_code(engine, code, ttl_hours=1, now=NOW)
        device_id = f"00000000-0000-4000-8000-00000000000{n}"
        offices.enrol(engine, EnrolRequest(enrolment, device_id, code, 1, "PC", "0.1.0"), now=NOW)
        ids[code] = device_id
    # A reported a longer wait, but B has been silent (with work queued) for a day since.
    monitoring.record_heartbeat(engine, ids["A1"], Heartbeat(5, 7_200, "0.1.0"), now=NOW)
    monitoring.record_heartbeat(
        engine, ids["B1"], Heartbeat(1, 600, "0.1.0"), now=NOW - dt.timedelta(days=1)
    )
    ranked = monitoring.stuck_offices(engine, now=NOW)
    assert [o.office_code for o in ranked] == ["B1", "A1"]
    assert ranked[0].oldest_waiting_seconds == 600 + 86_400
    # An empty queue does not age.
    monitoring.record_heartbeat(engine, ids["B1"], Heartbeat(0, None, "0.1.0"), now=NOW)
    assert [o.office_code for o in monitoring.stuck_offices(engine, now=NOW)] == ["A1", "B1"]
