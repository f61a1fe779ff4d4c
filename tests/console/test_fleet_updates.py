"""The fleet shows each PC's program version against the one the centre published and
what its updater last said (issue 16's ``update_state``), over real HTTP: a real update
repository (``updates.repository``, keys, a signed release 0.2.0) served by the real
server's ``--updates-dir``; PCs report by real heartbeats."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from server.console.models import Role
from server.console.releases import published_version
from tests.console.conftest import logged_in, make_staff
from tests.support.server import RunningServer, start_server
from updates.repository import Repository, generate_keys


def _published(tmp: Path, version: str) -> Path:
    generate_keys(tmp / "offline", tmp / "online")
    repo = Repository(tmp / "repo", tmp / "offline", tmp / "online", xz_preset=1)
    repo.init()
    bundle = tmp / "bundle"
    bundle.mkdir()
    (bundle / "pishkhan").write_text(f"#!/bin/sh\necho Pishkhan {version}\n")
    repo.publish(bundle, version)
    return tmp / "repo"


@pytest.fixture(scope="module")
def updating_server(
    console_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    repo = _published(tmp_path_factory.mktemp("release"), "0.2.0")
    root = tmp_path_factory.mktemp("updating")
    with start_server(root / "server", extra_args=("--updates-dir", str(repo))) as server:
        yield server


def _beat(server: RunningServer, office: str, version: str, state: str) -> None:
    device = server.enrol(office)
    body = {"queue_depth": 0, "app_version": version, "update_state": state}
    answer = requests.post(
        server.url("/v1/heartbeat"), json=body, headers=device.headers, timeout=30
    )
    assert answer.ok, answer.text


def _row(page: str, name: str) -> str:
    return page.split(name, 1)[1].split("</tr>", 1)[0]


def test_behind_offices_and_failed_updates_are_marked(updating_server: RunningServer) -> None:
    old = updating_server.add_office(name="دفتر قدیمی")
    new = updating_server.add_office(name="دفتر تازه")
    _beat(updating_server, old.code, "0.1.9", "refused")
    _beat(updating_server, new.code, "0.2.0", "up_to_date")
    operator = logged_in(updating_server, make_staff(updating_server, Role.OPERATOR))
    page = operator.get("/console/fleet", params={"province": "_"}).text
    listed = page.split('id="province-offices"', 1)[1]
    assert "منتشرشده:" in listed and "0.2.0" in listed.split("</thead>", 1)[0]
    behind, current = _row(listed, "دفتر قدیمی"), _row(listed, "دفتر تازه")
    assert "عقب" in behind and 'class="tag failed">نپذیرفت' in behind
    assert "عقب" not in current and "به‌روز" in current and "failed" not in current
    office = operator.get(f"/console/offices/{old.code}").text
    devices = office.split('id="devices"', 1)[1].split("</table>", 1)[0]
    assert "0.1.9" in devices and "عقب" in devices and "نپذیرفت" in devices


def test_nothing_published_marks_nobody_behind(console_server: RunningServer) -> None:
    office = console_server.add_office(name="دفتر بی‌انتشار")
    _beat(console_server, office.code, "0.0.1", "")
    operator = logged_in(console_server, make_staff(console_server, Role.OPERATOR))
    page = operator.get("/console/fleet", params={"province": "_"}).text
    assert "عقب" not in _row(page.split('id="province-offices"', 1)[1], "دفتر بی‌انتشار")
    assert "منتشرشده:" not in page


def test_the_published_version_is_read_as_the_repository_names_it(tmp_path: Path) -> None:
    repo = _published(tmp_path, "1.4.0")
    assert published_version(repo) == "1.4.0"
    assert published_version(tmp_path / "nowhere") is None
    assert published_version(None) is None
    # A releases file that does not match its signed hash names nothing.
    [releases] = (repo / "targets").glob("*.releases.json")
    releases.write_text('{"latest": "9.9.9"}')
    assert published_version(repo) is None
