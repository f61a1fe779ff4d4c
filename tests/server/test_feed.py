"""The change feed over HTTP: paging with an opaque cursor, reset, office scoping, and the
changes that the back office (command line) and catalogue publishing put into it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from rules.catalog import demo_catalog_path
from server.cli import main as server_cli
from sync.protocol import ChangesPage, StatusChange, convert
from tests.support.server import EnrolledDevice, RunningServer, sample_item


def _page(
    server: RunningServer, device: EnrolledDevice, cursor: str | None = None, limit: int = 200
) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit}
    if cursor is not None:
        params["cursor"] = cursor
    response = server.session.get(
        server.url("/v1/changes"), params=params, headers=device.headers, timeout=30
    )
    assert response.status_code == 200, response.text
    body = response.json()
    convert(body, ChangesPage)  # the protocol's shape
    return body


def _pull_all(
    server: RunningServer, device: EnrolledDevice, cursor: str | None = None, limit: int = 200
) -> tuple[list[dict[str, Any]], str]:
    changes: list[dict[str, Any]] = []
    for _ in range(1000):
        page = _page(server, device, cursor, limit)
        assert not page["reset"]
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["more"]:
            assert cursor is not None
            return changes, cursor
    raise AssertionError("the feed never ended")


def _statuses(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in changes if c["kind"] == "status"]


def test_accepted_requests_appear_in_the_feed_in_pages(server: RunningServer) -> None:
    office = server.add_office()
    device = server.enrol(office.code)
    items = [sample_item(office.code, seq) for seq in range(1, 26)]
    results = server.push(device, items).json()["results"]
    changes, cursor = _pull_all(server, device, limit=7)
    accepted = _statuses(changes)
    assert [c["request_id"] for c in accepted] == [i["id"] for i in items]
    assert [c["tracking_code"] for c in accepted] == [r["tracking_code"] for r in results]
    assert {c["state"] for c in accepted} == {"accepted"}
    # The catalogue versions come along, each once, in order.
    versions = [c["version"] for c in changes if c["kind"] == "catalog"]
    assert versions == sorted(set(versions)) and versions[0] == 1
    # Caught up: the same cursor gives nothing new, then only what is new.
    empty = _page(server, device, cursor)
    assert empty["changes"] == [] and empty["more"] is False and empty["cursor"]
    extra = sample_item(office.code, 26)
    server.push(device, [extra])
    news, _ = _pull_all(server, device, cursor)
    assert [c["request_id"] for c in news] == [extra["id"]]


def test_garbage_or_foreign_cursor_answers_reset(server: RunningServer) -> None:
    office_a, office_b = server.add_office(), server.add_office()
    device_a, device_b = server.enrol(office_a.code), server.enrol(office_b.code)
    server.push(device_a, [sample_item(office_a.code, 1)])
    _, cursor_a = _pull_all(server, device_a)
    for bad in ("garbage", "", "AAAA", cursor_a[:-2] + "xx", cursor_a + "A", "😀"):
        if bad == "":
            continue  # an empty cursor is "from the start"
        page = _page(server, device_a, bad)
        assert page == {"changes": [], "cursor": None, "more": True, "reset": True}, bad
    # A's cursor is not B's.
    assert _page(server, device_b, cursor_a)["reset"] is True
    # After a reset the client starts over and gets everything again.
    again, _ = _pull_all(server, device_a)
    assert len(_statuses(again)) == 1


def test_an_office_sees_only_its_own_changes(server: RunningServer) -> None:
    office_a, office_b = server.add_office(), server.add_office()
    device_a, device_b = server.enrol(office_a.code), server.enrol(office_b.code)
    item_a, item_b = sample_item(office_a.code, 1), sample_item(office_b.code, 1)
    server.push(device_a, [item_a])
    server.push(device_b, [item_b])
    seen_a = {c["request_id"] for c in _statuses(_pull_all(server, device_a)[0])}
    seen_b = {c["request_id"] for c in _statuses(_pull_all(server, device_b)[0])}
    assert seen_a == {item_a["id"]} and seen_b == {item_b["id"]}
    # Another PC of office A sees A's changes too.
    second_a = server.enrol(office_a.code, counter_no=2)
    assert {c["request_id"] for c in _statuses(_pull_all(server, second_a)[0])} == {item_a["id"]}


def test_status_set_by_the_command_line_reaches_the_office(server: RunningServer) -> None:
    office = server.add_office()
    device = server.enrol(office.code)
    item = sample_item(office.code, 1)
    tracking = server.push(device, [item]).json()["results"][0]["tracking_code"]
    _, cursor = _pull_all(server, device)
    rc = server_cli(
        [
            "set-status",
            item["id"],
            "needs_correction",
            "--reason-fa",
            "کد پستی با نشانی نمی‌خواند",
            "--reason-en",
            "Postal code does not match the address",
            "--database-url",
            server.database_url,
        ]
    )
    assert rc == 0
    changes, cursor = _pull_all(server, device, cursor)
    assert len(changes) == 1
    change = convert(changes[0], StatusChange)
    assert change.request_id == item["id"]
    assert change.state == "needs_correction"
    assert change.reason_fa == "کد پستی با نشانی نمی‌خواند"
    assert change.reason_en == "Postal code does not match the address"
    assert change.tracking_code == tracking
    # The admin API does the same.
    answer = server.admin("POST", f"/v1/admin/requests/{item['id']}/status", {"state": "completed"})
    assert answer.status_code == 200, answer.text
    changes, _ = _pull_all(server, device, cursor)
    assert [(c["state"], c["reason_fa"]) for c in changes] == [("completed", None)]


def test_status_of_unknown_request_or_state_is_refused(server: RunningServer) -> None:
    unknown = server.admin(
        "POST", f"/v1/admin/requests/{uuid.uuid4()}/status", {"state": "completed"}
    )
    assert unknown.status_code == 404
    bad_state = server.admin(
        "POST", f"/v1/admin/requests/{uuid.uuid4()}/status", {"state": "lost_in_mail"}
    )
    assert bad_state.status_code == 422 and "state" in bad_state.json()["fields"]
    assert (
        server_cli(
            ["set-status", str(uuid.uuid4()), "completed", "--database-url", server.database_url]
        )
        == 1
    )


def test_published_catalogue_appears_in_every_offices_feed(
    server: RunningServer, tmp_path: Path
) -> None:
    device = server.enrol(server.add_office().code)
    _, cursor = _pull_all(server, device)
    document = json.loads(demo_catalog_path().read_text(encoding="utf-8"))
    document["services"] = document["services"][:2]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert server_cli(["publish-catalog", str(path), "--database-url", server.database_url]) == 0
    by_api = server.admin("POST", "/v1/admin/catalog", document)
    assert by_api.status_code == 200
    changes, _ = _pull_all(server, device, cursor)
    assert [c["kind"] for c in changes] == ["catalog", "catalog"]
    first, second = (c["version"] for c in changes)
    assert second == first + 1 == by_api.json()["version"]
    assert changes[0]["catalog"]["version"] == first
    assert [s["code"] for s in changes[0]["catalog"]["services"]] == [
        s["code"] for s in document["services"]
    ]
    # Requests made under the new version are checked against it (it has no bill payment).
    assert "bill_payment" not in {s["code"] for s in document["services"]}
    refused = server.push(
        device, [sample_item(device.office_code, 1, catalog_version=second)]
    ).json()["results"][0]
    assert refused["status"] == "rejected" and set(refused["reasons"]) == {"service_code"}


def test_invalid_catalogue_is_refused_with_a_reason(server: RunningServer) -> None:
    answer = server.admin("POST", "/v1/admin/catalog", {"version": 1, "services": []})
    assert answer.status_code == 422
    assert answer.json()["fields"]["catalog"]["en"]
