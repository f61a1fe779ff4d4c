"""sync.protocol: the wire types both sides import (round trips, hashing, times, gzip)."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import uuid

import pytest

from sync import protocol as p
from tests.support.server import national_code, sample_item


def test_version_and_limits() -> None:
    assert p.PROTOCOL_VERSION == 1
    assert p.MAX_ITEMS_PER_PUSH == 500
    assert p.MAX_BODY_BYTES < p.MAX_INFLATED_BYTES
    assert p.PROTOCOL_HEADER == "X-Pishkhan-Protocol"
    assert {s.value for s in p.ItemStatus} == {
        "accepted",
        "duplicate",
        "conflict",
        "rejected",
        "retry",
    }
    assert {s.value for s in p.RemoteState} == {
        "accepted",
        "needs_correction",
        "rejected",
        "completed",
    }


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert p.canonical_json({"b": 1, "a": "ی"}) == '{"a":"ی","b":1}'.encode()
    with pytest.raises(ValueError):
        p.canonical_json({"x": float("nan")})


def test_content_hash_ignores_the_hash_field_and_key_order() -> None:
    item = sample_item("1001", 1)
    reordered = dict(reversed(list(item.items())))
    assert p.content_hash(item) == p.content_hash(reordered) == item["content_hash"]
    body = {k: v for k, v in item.items() if k != "content_hash"}
    expected = hashlib.sha256(
        json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()
    assert item["content_hash"] == expected
    assert p.content_hash({**item, "seq": 2}) != item["content_hash"]


def test_request_item_round_trip_and_seal() -> None:
    raw = sample_item("1001", 7, supersedes=str(uuid.uuid4()))
    item = p.RequestItem.from_json(raw)
    assert item.to_json() == raw
    assert item.hash_matches()
    changed = p.RequestItem.from_json({**raw, "clerk": "other"})
    assert not changed.hash_matches()
    assert changed.sealed().hash_matches()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "not-a-uuid"}, "id"),
        ({"id": str(uuid.uuid4()).upper()}, "id"),
        ({"seq": "7"}, "seq"),
        ({"seq": 0}, "seq"),
        ({"seq": True}, "seq"),
        ({"created_at": "2026-11-28 09:15"}, "created_at"),
        ({"created_at": "2026-11-28T09:15:00"}, "created_at"),  # no zone
        ({"applicant": ["x"]}, "applicant"),
        ({"answers": {"amount": 5}}, "answers.amount"),
        ({"fees": {"vat": -1}}, "fees.vat"),
        ({"documents": "doc"}, "documents"),
        ({"content_hash": "XYZ"}, "content_hash"),
        ({"office_code": ""}, "office_code"),
    ],
)
def test_request_item_from_json_names_the_bad_field(change: dict[str, object], field: str) -> None:
    raw = {**sample_item("1001", 1), **change}
    with pytest.raises(p.ProtocolError) as caught:
        p.RequestItem.from_json(raw)
    assert caught.value.field == field
    assert caught.value.reason.fa and caught.value.reason.en


def test_missing_field_is_named() -> None:
    raw = sample_item("1001", 1)
    del raw["service_code"]
    with pytest.raises(p.ProtocolError) as caught:
        p.RequestItem.from_json(raw)
    assert caught.value.field == "service_code"


def test_push_response_round_trip() -> None:
    response = p.PushResponse(
        results=[
            p.ItemResult("a", p.ItemStatus.ACCEPTED, tracking_code="PK-1001-0000000001"),
            p.ItemResult(
                "b", p.ItemStatus.REJECTED, reasons={"applicant.mobile": p.Reason("فا", "en")}
            ),
            p.ItemResult("c", p.ItemStatus.RETRY, retry_after=5),
        ],
        seq_gaps=[(3, 4)],
        server_time="2026-11-28T09:15:00.000Z",
    )
    wire = json.loads(json.dumps(response.to_json()))
    assert wire["seq_gaps"] == [[3, 4]]
    assert p.PushResponse.from_json(wire) == response


def test_changes_page_round_trip_both_kinds() -> None:
    page = p.ChangesPage(
        changes=[
            p.StatusChange(
                request_id=str(uuid.uuid4()),
                state=p.RemoteState.NEEDS_CORRECTION,
                at="2026-11-28T09:15:00.000Z",
                tracking_code="PK-1001-0000000001",
                reason_fa="کد پستی",
                reason_en="postal code",
            ),
            p.CatalogChange(version=2, catalog={"version": 2}, at="2026-11-28T09:15:00.000Z"),
        ],
        cursor="abc",
        more=True,
    )
    wire = json.loads(json.dumps(page.to_json()))
    assert [c["kind"] for c in wire["changes"]] == ["status", "catalog"]
    assert p.ChangesPage.from_json(wire) == page
    with pytest.raises(p.ProtocolError):
        p.change_from_json({"kind": "weather"})


def test_enrol_heartbeat_error_round_trips() -> None:
    enrol = p.EnrolRequest("ABCD-EFGH-JKLM", str(uuid.uuid4()), "1001", 2, "PC-2", "0.1.0")
    assert p.EnrolRequest.from_json(enrol.to_json()) == enrol
    answer = p.EnrolResponse("tok", "1001", "دفتر", enrol.device_id, 2)
    assert p.EnrolResponse.from_json(answer.to_json()) == answer
    beat = p.Heartbeat(queue_depth=3, oldest_waiting_seconds=None, app_version="0.1.0")
    assert p.Heartbeat.from_json(beat.to_json()) == beat
    error = p.ErrorBody("invalid", "فا", "en", {"x": p.Reason("فا", "en")})
    assert p.ErrorBody.from_json(error.to_json()) == error
    with pytest.raises(p.ProtocolError):
        p.EnrolRequest.from_json({**enrol.to_json(), "counter_no": 0})


def test_utc_iso_and_parse() -> None:
    moment = dt.datetime(
        2026, 11, 28, 12, 45, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=3, minutes=30))
    )
    assert p.utc_iso(moment) == "2026-11-28T09:15:00.123Z"
    assert p.parse_utc_iso("2026-11-28T09:15:00.123Z") == moment.replace(microsecond=123000)
    assert p.parse_utc_iso("2026-11-28T12:45:00+03:30").tzinfo is dt.UTC
    with pytest.raises(ValueError):
        p.utc_iso(dt.datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        p.parse_utc_iso("2026-11-28T09:15:00")


def test_gzip_json_and_limited_inflate() -> None:
    body = {"items": ["ی" * 1000]}
    packed = p.gzip_json(body)
    assert packed == p.gzip_json(body)  # deterministic
    assert json.loads(gzip.decompress(packed)) == body
    assert json.loads(p.inflate_limited(packed, 10_000)) == body
    with pytest.raises(p.InflatedTooLarge):
        p.inflate_limited(gzip.compress(b"\0" * 5_000_000), 1_000_000)
    noise = os.urandom(50_000)
    with pytest.raises(p.InflateError):
        p.inflate_limited(gzip.compress(noise)[:-100], 1_000_000)
    with pytest.raises(p.InflateError):
        p.inflate_limited(b"not gzip at all", 1_000)
    assert p.inflate_limited(gzip.compress(b"ab") + gzip.compress(b"cd"), 10) == b"abcd"


def test_seq_ranges_and_uuid_check() -> None:
    assert p.seq_ranges([1, 2, 3, 5, 7, 8]) == [(1, 3), (5, 5), (7, 8)]
    assert p.seq_ranges([]) == []
    assert p.is_canonical_uuid(str(uuid.uuid4()))
    assert not p.is_canonical_uuid(str(uuid.uuid4()).upper())
    assert not p.is_canonical_uuid(42)


def test_sample_national_codes_are_valid() -> None:
    from rules.validation import check_national_code

    for n in (0, 1, 12_345_678, 999_999_999):
        assert check_national_code(national_code(n)) == national_code(n)
