"""Pushing requests over HTTP: each item answered on its own, exactly once, office by office."""

from __future__ import annotations

import re
import threading
import uuid
from typing import Any

from tests.support.server import EnrolledDevice, RunningServer, national_code, sample_item

PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _push(server: RunningServer, device: EnrolledDevice, items: list[Any]) -> Any:
    response = server.push(device, items)
    assert response.status_code == 200, response.text
    assert response.headers["X-Pishkhan-Protocol"] == "1"
    body = response.json()
    assert len(body["results"]) == len(items)
    return body


def _statuses(body: Any) -> list[str]:
    return [r["status"] for r in body["results"]]


def test_accepted_then_duplicate_then_conflict(server: RunningServer) -> None:
    office = server.add_office()
    device = server.enrol(office.code)
    item = sample_item(office.code, 1)
    first = _push(server, device, [item])
    result = first["results"][0]
    assert result["status"] == "accepted" and result["id"] == item["id"]
    assert re.fullmatch(rf"PK-{office.code}-\d{{10}}", result["tracking_code"])
    assert result["reasons"] is None

    again = _push(server, device, [item])["results"][0]
    assert again["status"] == "duplicate"
    assert again["tracking_code"] == result["tracking_code"]

    changed = sample_item(office.code, 1, item_id=item["id"], amount=999_000)
    conflict = _push(server, device, [changed])["results"][0]
    assert conflict["status"] == "conflict"
    assert conflict["tracking_code"] is None
    assert "id" in conflict["reasons"]


def test_each_item_answered_on_its_own_in_order(server: RunningServer) -> None:
    office = server.add_office()
    device = server.enrol(office.code)
    good = [sample_item(office.code, seq) for seq in (1, 2, 3)]
    bad_checksum = "0012345678".translate(PERSIAN)  # Persian digits, wrong check digit
    bad_national = sample_item(office.code, 4, national=bad_checksum)
    persian_but_valid = sample_item(
        office.code, 5, national=national_code(4455667).translate(PERSIAN)
    )
    unknown_service = sample_item(office.code, 6, service_code="weather_report")
    unknown_version = sample_item(office.code, 7, catalog_version=999)
    wrong_fees = sample_item(office.code, 8, fees={"government": 0, "office": 1, "vat": 0})
    tampered = {**sample_item(office.code, 9), "clerk": "someone-else"}  # hash now stale
    not_typed = {**sample_item(office.code, 10), "seq": "ten"}
    batch: list[Any] = [
        good[0],
        bad_national,
        good[1],
        persian_but_valid,
        unknown_service,
        unknown_version,
        wrong_fees,
        tampered,
        not_typed,
        "not an object",
        good[2],
        good[0],  # the same item twice in one batch
    ]
    body = _push(server, device, batch)
    assert _statuses(body) == [
        "accepted",
        "rejected",
        "accepted",
        "accepted",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "accepted",
        "duplicate",
    ]
    results = body["results"]
    assert [r["id"] for r in results[:9]] == [item["id"] for item in batch[:9]]
    assert results[9]["id"] is None
    assert results[11]["tracking_code"] == results[0]["tracking_code"]
    national = results[1]["reasons"]["applicant.national_code"]
    assert national["fa"] and national["en"]
    assert "check digit" in national["en"]
    assert set(results[4]["reasons"]) == {"service_code"}
    assert set(results[5]["reasons"]) == {"catalog_version"}
    assert set(results[6]["reasons"]) == {"fees"}
    assert set(results[7]["reasons"]) == {"content_hash"}
    assert set(results[8]["reasons"]) == {"seq"}
    assert set(results[9]["reasons"]) == {"item"}
    codes = [r["tracking_code"] for r in results if r["status"] == "accepted"]
    assert len(set(codes)) == len(codes) == 4
    # The log tells what happened without naming the citizen.
    log = server.log_text()
    assert f"office={office.code}" in log
    assert good[0]["applicant"]["national_code"] not in log
    assert good[0]["applicant"]["first_name"] not in log


def test_a_rejected_id_stays_free(server: RunningServer) -> None:
    office = server.add_office()
    device = server.enrol(office.code)
    item_id = str(uuid.uuid4())
    bad = sample_item(office.code, 1, item_id=item_id, amount=-5)
    assert _statuses(_push(server, device, [bad])) == ["rejected"]
    fixed = sample_item(office.code, 1, item_id=item_id)
    assert _statuses(_push(server, device, [fixed])) == ["accepted"]


def test_device_cannot_push_for_another_office(server: RunningServer) -> None:
    office_a, office_b = server.add_office(), server.add_office()
    device_a, device_b = server.enrol(office_a.code), server.enrol(office_b.code)
    for_b = sample_item(office_b.code, 1)
    rejected = _push(server, device_a, [for_b])["results"][0]
    assert rejected["status"] == "rejected"
    assert set(rejected["reasons"]) == {"office_code"}
    # Nothing was stored: B's own PC can still send it.
    assert _statuses(_push(server, device_b, [for_b])) == ["accepted"]
    # A copy of B's request pushed by A learns nothing about it, not even as a duplicate.
    relabelled = sample_item(office_a.code, 2, item_id=for_b["id"])
    leaked = _push(server, device_a, [relabelled])["results"][0]
    assert leaked["status"] == "conflict" and leaked["tracking_code"] is None


def test_body_device_id_must_be_the_tokens_device(server: RunningServer) -> None:
    office = server.add_office()
    device, other = server.enrol(office.code, 1), server.enrol(office.code, 2)
    response = server.session.post(
        server.url("/v1/push"),
        json={"device_id": other.device_id, "items": [sample_item(office.code, 1)]},
        headers=device.headers,
        timeout=30,
    )
    assert response.status_code == 403
    assert response.json()["error"] == "device_mismatch"


def test_superseding_another_offices_request_is_rejected(server: RunningServer) -> None:
    office_a, office_b = server.add_office(), server.add_office()
    device_a, device_b = server.enrol(office_a.code), server.enrol(office_b.code)
    original_b = sample_item(office_b.code, 1)
    _push(server, device_b, [original_b])
    original_a = sample_item(office_a.code, 1)
    body = _push(
        server,
        device_a,
        [
            original_a,
            sample_item(office_a.code, 2, supersedes=original_a["id"]),
            sample_item(office_a.code, 3, supersedes=original_b["id"]),
            sample_item(office_a.code, 4, supersedes=str(uuid.uuid4())),  # rejected earlier
        ],
    )
    assert _statuses(body) == ["accepted", "accepted", "rejected", "accepted"]
    assert set(body["results"][2]["reasons"]) == {"supersedes"}


def test_seq_gaps_are_reported_until_filled(server: RunningServer) -> None:
    office = server.add_office()
    device = server.enrol(office.code)
    items = {seq: sample_item(office.code, seq) for seq in range(1, 8)}
    assert _push(server, device, [items[1], items[2], items[5]])["seq_gaps"] == [[3, 4]]
    assert _push(server, device, [items[7]])["seq_gaps"] == [[3, 4], [6, 6]]
    assert _push(server, device, [items[3], items[6]])["seq_gaps"] == [[4, 4]]
    # A rejected item's number was seen too: it is not a gap (the clerk has it in hand).
    bad = sample_item(office.code, 4, amount=-1)
    body = _push(server, device, [bad])
    assert _statuses(body) == ["rejected"] and body["seq_gaps"] == []


def test_gap_below_the_first_pushed_number(server: RunningServer) -> None:
    office = server.add_office()
    device = server.enrol(office.code)
    assert _push(server, device, [sample_item(office.code, 3)])["seq_gaps"] == [[1, 2]]


def test_a_used_sequence_number_with_a_new_id_is_a_conflict(server: RunningServer) -> None:
    office = server.add_office()
    device = server.enrol(office.code)
    _push(server, device, [sample_item(office.code, 1)])
    reused = _push(server, device, [sample_item(office.code, 1), sample_item(office.code, 2)])
    assert _statuses(reused) == ["conflict", "accepted"]
    assert set(reused["results"][0]["reasons"]) == {"seq"}
    twice = _push(server, device, [sample_item(office.code, 3), sample_item(office.code, 3)])
    assert _statuses(twice) == ["accepted", "conflict"]


def test_concurrent_pushes_of_one_id_store_it_once(server: RunningServer) -> None:
    office = server.add_office()
    devices = [server.enrol(office.code, counter_no=n) for n in (1, 2, 3)]
    item = sample_item(office.code, 1)
    answers: list[Any] = []
    errors: list[BaseException] = []
    start = threading.Barrier(9)

    def send(device: EnrolledDevice) -> None:
        try:
            start.wait(timeout=30)
            response = server.push(device, [item])
            answers.append((response.status_code, response.json()))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    # Three threads per device: the same device and different devices race alike.
    threads = [threading.Thread(target=send, args=(d,)) for d in devices for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert [status for status, _ in answers] == [200] * 9
    results = [body["results"][0] for _, body in answers]
    statuses = sorted(r["status"] for r in results)
    assert statuses.count("accepted") == 1
    assert set(statuses) <= {"accepted", "duplicate", "retry"}
    codes = {r["tracking_code"] for r in results if r["status"] != "retry"}
    assert len(codes) == 1


def test_more_than_500_items_is_413_too_many_items(server: RunningServer) -> None:
    office = server.add_office()
    device = server.enrol(office.code)
    item = sample_item(office.code, 1)
    response = server.push(device, [item] * 501)
    assert response.status_code == 413
    assert response.json()["error"] == "too_many_items"
    assert _statuses(_push(server, device, [item] * 500)) == ["accepted"] + ["duplicate"] * 499
