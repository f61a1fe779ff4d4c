"""The centre's minimum version travels in the heartbeat's answer (real server, real HTTP);
the PC's update state travels in the heartbeat; an older PC is told plainly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec

from sync.protocol import Heartbeat, HeartbeatResponse
from tests.support.server import start_server
from updates.policy import minimum_notice

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


def test_heartbeat_answer_carries_the_minimum_version(tmp_path: Path) -> None:
    args = ("--minimum-version", "1.2.0", "--minimum-version-after", "2026-12-20T00:00:00+00:00")
    with start_server(tmp_path / "server", extra_args=args) as server:
        device = server.enrol(server.add_office().code)
        beat = Heartbeat(queue_depth=0, app_version="1.1.0", update_state="rolled_back")
        answer = server.session.post(
            server.url("/v1/heartbeat"),
            data=msgspec.json.encode(beat),
            headers={**device.headers, "Content-Type": "application/json"},
            timeout=30,
        )
    assert answer.status_code == 200, answer.text
    decoded = msgspec.json.decode(answer.content, type=HeartbeatResponse)
    assert decoded.minimum_version == "1.2.0"
    assert decoded.minimum_version_after == "2026-12-20T00:00:00+00:00"


def test_a_heartbeat_of_an_older_pc_still_decodes() -> None:
    # Protocol stays version 1: both new fields are optional on both sides.
    old_answer = b'{"server_time": "2026-12-02T12:00:00+00:00"}'
    assert msgspec.json.decode(old_answer, type=HeartbeatResponse).minimum_version == ""
    old_beat = b'{"queue_depth": 3}'
    assert msgspec.json.decode(old_beat, type=Heartbeat).update_state == ""


def test_before_the_date_a_reminder_after_it_a_plain_must() -> None:
    after = "2026-12-20T00:00:00+00:00"
    soon = minimum_notice("1.1.0", "1.2.0", after, now=NOW)
    assert soon is not None and soon[0] is False and "1.2.0" in soon[1].en
    late = minimum_notice("1.1.0", "1.2.0", after, now=NOW + dt.timedelta(days=30))
    assert late is not None and late[0] is True
    assert "must be updated" in late[1].en and "۱.۲.۰" in late[1].fa
    assert minimum_notice("1.2.0", "1.2.0", after, now=NOW) is None
    assert minimum_notice("1.3.0", "", None, now=NOW) is None
