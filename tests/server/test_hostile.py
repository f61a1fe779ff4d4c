"""Hostile input (issue 10): every finding answered 4xx with a reason, never 500, on both
databases; one bad item never blocks the others; no office takes over another's PC."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool

from server.models import devices, offices
from server.models import requests as requests_table
from sync.client import gzip_body
from tests.support.server import EnrolledDevice, RunningServer, sample_item

BIG = [2**31, 2**63, 2**64 + 1, 10**30]


@pytest.fixture
def device(server: RunningServer) -> EnrolledDevice:
    return server.enrol(server.add_office().code)


def _push_json(server: RunningServer, device: EnrolledDevice, items: list[Any]) -> Any:
    response = server.push(device, items)
    assert response.status_code == 200, response.text
    return response.json()


def _raw_post(
    server: RunningServer, path: str, data: bytes, headers: dict[str, str] | None = None
) -> requests.Response:
    return server.session.post(
        server.url(path),
        data=data,
        headers={"Content-Type": "application/json", **(headers or {})},
        timeout=60,
    )


def _assert_error(response: requests.Response, status: int, field: str | None = None) -> None:
    assert response.status_code == status, (response.status_code, response.text[:300])
    body = response.json()
    assert body["message_fa"] and body["message_en"]
    if field is not None:
        assert field in body["fields"], body
        assert body["fields"][field]["fa"] and body["fields"][field]["en"]


@pytest.mark.parametrize("value", BIG)
def test_integers_past_the_columns_are_item_reasons(
    server: RunningServer, device: EnrolledDevice, value: int
) -> None:
    """seq is refused even with a wrong hash (the seqs of rejected items are recorded)."""
    office = device.office_code
    wrong_hash = {**sample_item(office, 1), "seq": value}
    hashed = sample_item(office, 2, catalog_version=value)
    good = sample_item(office, 3)
    body = _push_json(server, device, [wrong_hash, hashed, good])
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["rejected", "rejected", "accepted"]
    assert set(body["results"][0]["reasons"]) == {"seq"}
    assert set(body["results"][1]["reasons"]) == {"catalog_version"}


@pytest.mark.parametrize(
    "field", ["queue_depth", "oldest_waiting_seconds", "attention", "last_seq"]
)
def test_heartbeat_integers_past_the_columns_are_422(
    server: RunningServer, device: EnrolledDevice, field: str
) -> None:
    for value in BIG:
        beat = {"queue_depth": 1, "app_version": "0.1.0", field: value}
        response = server.session.post(
            server.url("/v1/heartbeat"), json=beat, headers=device.headers, timeout=30
        )
        _assert_error(response, 422, field)


def test_enrol_counter_past_the_column_is_422(server: RunningServer) -> None:
    office = server.add_office()
    code = server.enrolment_code(office.code)
    for value in BIG:
        response = server.session.post(
            server.url("/v1/enrol"),
            json={
                "code": code,
                "device_id": str(uuid.uuid4()),
                "office_code": office.code,
                "counter_no": value,
            },
            timeout=30,
        )
        _assert_error(response, 422, "counter_no")
    # None of that spent the code.
    assert server.enrol(office.code).token


@pytest.mark.parametrize(
    "created_at",
    [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "9999-12-31T23:00:00Z",
        "2026-02-30T10:00:00Z",
    ],
)
def test_times_out_of_range_are_item_reasons(
    server: RunningServer, device: EnrolledDevice, created_at: str
) -> None:
    item = sample_item(device.office_code, 1)
    item.pop("content_hash")
    # A correct hash over the bad time: the time itself is what is refused.
    from sync.protocol import content_hash

    item = {**item, "created_at": created_at}
    item["content_hash"] = content_hash(item)
    body = _push_json(server, device, [item, sample_item(device.office_code, 2)])
    assert [r["status"] for r in body["results"]] == ["rejected", "accepted"]
    assert set(body["results"][0]["reasons"]) == {"created_at"}


SURROGATE = b'"\\ud800"'


def test_lone_surrogates_anywhere_are_400_and_store_nothing(
    server: RunningServer, device: EnrolledDevice
) -> None:
    office = server.add_office()
    code = server.enrolment_code(office.code)
    enrol = b'{"code": %s, "device_id": "%s", "office_code": "%s", "counter_no": 1}' % (
        SURROGATE,
        str(uuid.uuid4()).encode(),
        office.code.encode(),
    )
    _assert_error(_raw_post(server, "/v1/enrol", enrol), 400)
    named = (
        b'{"code": "%s", "device_id": "%s", "office_code": "%s", "counter_no": 1,'
        b' "device_name": %s}'
        % (code.encode(), str(uuid.uuid4()).encode(), office.code.encode(), SURROGATE)
    )
    _assert_error(_raw_post(server, "/v1/enrol", named), 400)
    beat = b'{"queue_depth": 0, "app_version": %s}' % SURROGATE
    _assert_error(_raw_post(server, "/v1/heartbeat", beat, device.headers), 400)
    name = b'{"code": "%s", "name": %s}' % (str(uuid.uuid4().int % 10**8).encode(), SURROGATE)
    _assert_error(_raw_post(server, "/v1/admin/offices", name, server.admin_headers), 400)
    # In a pushed item: its id, an applicant key with a non-string value. The whole body
    # is then not JSON: 400 (the client bisects), and nothing of it is stored.
    good = sample_item(device.office_code, 1)
    for poison in (
        b'{"id": %s}' % SURROGATE,
        b'{"applicant": {%s: 5}}' % SURROGATE,
    ):
        data = b'{"device_id": "%s", "items": [%s, %s]}' % (
            device.device_id.encode(),
            requests.models.complexjson.dumps(good).encode(),
            poison,
        )
        for body, headers in ((data, {}), (gzip_body(data), {"Content-Encoding": "gzip"})):
            _assert_error(_raw_post(server, "/v1/push", body, {**device.headers, **headers}), 400)
    assert _push_json(server, device, [good])["results"][0]["status"] == "accepted"


def test_nul_characters_and_long_names_are_refused_with_reasons(
    server: RunningServer, device: EnrolledDevice
) -> None:
    nul_clerk = sample_item(device.office_code, 1, clerk="clerk\x00one")
    body = _push_json(server, device, [nul_clerk, sample_item(device.office_code, 2)])
    assert [r["status"] for r in body["results"]] == ["rejected", "accepted"]
    assert set(body["results"][0]["reasons"]) == {"clerk"}
    beat = server.session.post(
        server.url("/v1/heartbeat"),
        json={"queue_depth": 0, "app_version": "0.1\x00"},
        headers=device.headers,
        timeout=30,
    )
    _assert_error(beat, 422, "app_version")
    for name in ("office\x00name", "x" * 201, "   "):
        answer = server.admin("POST", "/v1/admin/offices", {"code": "N1", "name": name})
        _assert_error(answer, 422, "name")


@pytest.mark.parametrize(
    "poison",
    [
        {"id": "\x00" * 36},
        {"seq": 2**64},
        {"created_at": "9999-12-31T23:00:00Z"},
        {"clerk": "\x00"},
        {"applicant": {"national_code": 5}},
        "not an object",
    ],
    ids=["nul-id", "huge-seq", "far-time", "nul-clerk", "typed-applicant", "string"],
)
def test_a_poison_item_beside_valid_ones(
    server: RunningServer, device: EnrolledDevice, poison: Any
) -> None:
    """The valid items are stored once and answered; the bad one is rejected; the resend
    is answered duplicate with the same codes (the answer cannot fail after the commit)."""
    office = device.office_code
    valid = [sample_item(office, 1), sample_item(office, 3)]
    bad = poison if isinstance(poison, str) else {**sample_item(office, 2), **poison}
    batch = [valid[0], bad, valid[1]]
    first = _push_json(server, device, batch)["results"]
    assert [r["status"] for r in first] == ["accepted", "rejected", "accepted"]
    again = _push_json(server, device, batch)["results"]
    assert [r["status"] for r in again] == ["duplicate", "rejected", "duplicate"]
    assert [r["tracking_code"] for r in again] == [r["tracking_code"] for r in first]
    assert again[1]["reasons"] == first[1]["reasons"]
    # In the database: each valid item once, with the code it was answered; the bad one not.
    bad_id = bad.get("id") if isinstance(bad, dict) else None
    looked_up = [v["id"] for v in valid] + ([bad_id] if bad_id and "\x00" not in bad_id else [])
    expected = {v["id"]: [r["tracking_code"]] for v, r in zip(valid, first[::2], strict=True)}
    assert _stored(server, looked_up) == expected


def _stored(server: RunningServer, ids: list[str]) -> dict[str, list[str]]:
    """Tracking codes stored per request id among ``ids`` (straight from the database)."""
    engine = create_engine(server.database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(requests_table.c.id, requests_table.c.tracking_code).where(
                    requests_table.c.id.in_(ids)
                )
            ).all()
    finally:
        engine.dispose()
    out: dict[str, list[str]] = {}
    for request_id, code in rows:
        out.setdefault(str(request_id), []).append(code)
    return out


def test_another_offices_code_cannot_take_over_a_device(server: RunningServer) -> None:
    office_c, office_d = server.add_office(), server.add_office()
    victim = server.enrol(office_c.code, counter_no=1)
    code_d = server.enrolment_code(office_d.code)
    takeover = server.session.post(
        server.url("/v1/enrol"),
        json={
            "code": code_d,
            "device_id": victim.device_id,
            "office_code": office_d.code,
            "counter_no": 1,
        },
        timeout=30,
    )
    _assert_error(takeover, 409, "device_id")
    assert takeover.json()["error"] == "device_of_another_office"
    # The victim's PC goes on working, in its own office; the code was not spent.
    changes = server.session.get(server.url("/v1/changes"), headers=victim.headers, timeout=30)
    assert changes.status_code == 200
    assert (
        _push_json(server, victim, [sample_item(office_c.code, 1)])["results"][0]["status"]
        == "accepted"
    )
    other = server.session.post(
        server.url("/v1/enrol"),
        json={
            "code": code_d,
            "device_id": str(uuid.uuid4()),
            "office_code": office_d.code,
            "counter_no": 1,
        },
        timeout=30,
    )
    assert other.status_code == 200, other.text
    # Re-enrolling in its own office still works.
    assert server.enrol(office_c.code, counter_no=1, device_id=victim.device_id).token


def test_tracking_numbers_count_per_office(server: RunningServer) -> None:
    office_a, office_b = server.add_office(), server.add_office()
    device_a, device_b = server.enrol(office_a.code), server.enrol(office_b.code)
    codes_a = [
        r["tracking_code"]
        for r in _push_json(server, device_a, [sample_item(office_a.code, s) for s in (1, 2, 3)])[
            "results"
        ]
    ]
    [code_b] = [
        r["tracking_code"]
        for r in _push_json(server, device_b, [sample_item(office_b.code, 1)])["results"]
    ]
    assert codes_a == [f"PK-{office_a.code}-{n:010d}" for n in (1, 2, 3)]
    assert code_b == f"PK-{office_b.code}-0000000001"


def test_failed_statements_never_show_their_parameters(engine: Engine) -> None:
    secret = "secret-national-0012345679"
    with engine.begin() as conn:
        conn.execute(
            insert(offices).values(code="P1", name=secret, created_at=text("CURRENT_TIMESTAMP"))
        )
    with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
        conn.execute(
            insert(offices).values(code="P1", name=secret, created_at=text("CURRENT_TIMESTAMP"))
        )
    assert secret not in str(caught.value)
    assert "hidden" in str(caught.value)
    with engine.connect() as conn:
        assert conn.execute(select(devices.c.id)).first() is None
