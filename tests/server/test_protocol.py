"""sync.protocol: the wire types both sides import (bounds, hashing, times, round trips)."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import random
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.body import InflatedTooLarge, InflateError, inflate_limited
from sync import protocol as p
from tests.support.server import national_code, sample_item


def _dumps(obj: Any) -> bytes:
    """The protocol's canonical form as it was first defined (docs/PROTOCOL.md)."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


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


def _random_text(rng: random.Random) -> str:
    """Characters from every plane, line and paragraph separators, control characters;
    no lone surrogates (no JSON encoder can write those as UTF-8)."""
    out = []
    for _ in range(rng.randrange(0, 12)):
        pick = rng.random()
        if pick < 0.2:
            out.append(chr(rng.randrange(0, 0x20)))
        elif pick < 0.3:
            out.append(rng.choice('\u2028\u2029\u007f\u0085\ufeff"\\/'))
        else:
            code = rng.randrange(0, 0x110000)
            out.append(chr(code) if not 0xD800 <= code < 0xE000 else "x")
    return "".join(out)


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(7 if depth < 3 else 4)
    if kind == 0:
        return _random_text(rng)
    if kind == 1:
        return rng.randrange(-(2**70), 2**70)
    if kind == 2:
        return rng.choice([None, True, False])
    if kind == 3:
        return rng.randrange(-1000, 1000)
    if kind in (4, 5):
        return {_random_text(rng): _random_value(rng, depth + 1) for _ in range(rng.randrange(5))}
    return [_random_value(rng, depth + 1) for _ in range(rng.randrange(5))]


def test_canonical_json_is_byte_for_byte_the_original_definition() -> None:
    """The hashes of requests already queued on PCs were made with json.dumps: the msgspec
    encoder must give the very same bytes (20,000 random documents, fixed seed; the lead's
    check ran 200,000)."""
    rng = random.Random(1405)
    for _ in range(20_000):
        doc = _random_value(rng)
        assert p.canonical_json(doc) == _dumps(doc), doc
    assert p.canonical_json({"b": 1, "a": "ی\u2028\x1f"}) == _dumps({"b": 1, "a": "ی\u2028\x1f"})


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    )
)
def test_canonical_json_equals_json_dumps_for_any_json(doc: Any) -> None:
    try:
        expected = _dumps(doc)
    except UnicodeEncodeError:  # a lone surrogate: neither side can send it
        with pytest.raises(UnicodeEncodeError):
            p.canonical_json(doc)
        return
    assert p.canonical_json(doc) == expected


def test_content_hash_is_the_items_own_and_ignores_key_order() -> None:
    raw = sample_item("1001", 1)
    reordered = dict(reversed(list(raw.items())))
    assert p.content_hash(raw) == p.content_hash(reordered) == raw["content_hash"]
    body = {k: v for k, v in raw.items() if k != "content_hash"}
    assert raw["content_hash"] == hashlib.sha256(_dumps(body)).hexdigest()
    item = p.decode(json.dumps(raw), p.RequestItem)
    assert item.computed_hash() == raw["content_hash"] and item.hash_matches()
    assert item.canonical_content() == _dumps(body)
    assert p.content_hash({**raw, "seq": 2}) != raw["content_hash"]


def test_request_item_round_trip_and_seal() -> None:
    raw = sample_item("1001", 7, supersedes=str(uuid.uuid4()))
    item = p.decode(json.dumps(raw), p.RequestItem)
    assert json.loads(p.encode(item)) == raw
    changed = p.convert({**raw, "clerk": "other"}, p.RequestItem)
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
        ({"seq": 1.0}, "seq"),
        ({"seq": 2**31}, "seq"),  # past PostgreSQL's integer
        ({"seq": 2**80}, "seq"),  # past 64 bits
        ({"catalog_version": 2**63}, "catalog_version"),
        ({"created_at": "2026-11-28 09:15"}, "created_at"),
        ({"created_at": "2026-11-28T09:15:00"}, "created_at"),  # no zone
        ({"created_at": "0001-01-01T00:00:00+14:00"}, "created_at"),
        ({"created_at": "9999-12-31T23:59:59-14:00"}, "created_at"),
        ({"created_at": "9999-12-31T23:00:00Z"}, "created_at"),
        ({"created_at": "2026-02-30T09:15:00Z"}, "created_at"),  # not in the calendar
        ({"created_at": "2026-11-28T09:15:00+15:00"}, "created_at"),
        ({"applicant": ["x"]}, "applicant"),
        ({"answers": {"amount": 5}}, "answers.amount"),
        ({"answers": {"amount": "1\x002"}}, "answers.amount"),
        ({"applicant": {"first_name": 5}}, "applicant.first_name"),
        ({"clerk": "clerk\x00"}, "clerk"),
        ({"clerk": "c" * 65}, "clerk"),
        ({"fees": {"vat": -1}}, "fees.vat"),
        ({"fees": {"vat": 10**16}}, "fees.vat"),
        ({"documents": "doc"}, "documents"),
        ({"documents": ["d"] * 101}, "documents"),
        ({"content_hash": "XYZ"}, "content_hash"),
        ({"office_code": ""}, "office_code"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_request_item_bounds_name_the_bad_field(change: dict[str, object], field: str) -> None:
    raw = {**sample_item("1001", 1), **change}
    with pytest.raises(p.ProtocolError) as caught:
        p.decode(json.dumps(raw), p.RequestItem)
    assert caught.value.field == field
    assert caught.value.reason.fa and caught.value.reason.en
    assert not caught.value.malformed


def test_missing_field_is_named_and_bad_json_is_malformed() -> None:
    raw = sample_item("1001", 1)
    del raw["service_code"]
    with pytest.raises(p.ProtocolError) as caught:
        p.decode(json.dumps(raw), p.RequestItem)
    assert caught.value.field == "service_code"
    for data in (b'{"id": "\\ud800"}', b"{not json", b'{"seq": 1'):
        with pytest.raises(p.ProtocolError) as bad:
            p.decode(data, p.RequestItem)
        assert bad.value.malformed


def test_push_response_round_trip() -> None:
    response = p.PushResponse(
        results=[
            p.ItemResult("a", p.ItemStatus.ACCEPTED, tracking_code="PK-1001-0000000001"),
            p.ItemResult(
                "b", p.ItemStatus.REJECTED, reasons={"applicant.mobile": p.Message("فا", "en")}
            ),
            p.ItemResult("c", p.ItemStatus.RETRY, retry_after=5),
        ],
        seq_gaps=[(3, 4)],
        server_time="2026-11-28T09:15:00.000Z",
    )
    wire = json.loads(p.encode(response))
    assert wire["seq_gaps"] == [[3, 4]]
    assert wire["results"][1]["reasons"] == {"applicant.mobile": {"fa": "فا", "en": "en"}}
    assert p.convert(wire, p.PushResponse) == response


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
    wire = json.loads(p.encode(page))
    assert [c["kind"] for c in wire["changes"]] == ["status", "catalog"]
    assert p.convert(wire, p.ChangesPage) == page
    with pytest.raises(p.ProtocolError):
        p.convert({**wire, "changes": [{"kind": "weather"}]}, p.ChangesPage)


def test_enrol_heartbeat_error_round_trips_and_bounds() -> None:
    enrol = p.EnrolRequest("ABCD-EFGH-JKLM", str(uuid.uuid4()), "1001", 2, "PC-2", "0.1.0")
    assert p.decode(p.encode(enrol), p.EnrolRequest) == enrol
    answer = p.EnrolResponse("tok", "1001", "دفتر", enrol.device_id, 2)
    assert p.decode(p.encode(answer), p.EnrolResponse) == answer
    beat = p.Heartbeat(queue_depth=3, oldest_waiting_seconds=None, app_version="0.1.0")
    assert p.decode(p.encode(beat), p.Heartbeat) == beat
    error = p.ErrorBody("invalid", "فا", "en", {"x": p.Message("فا", "en")})
    assert p.decode(p.encode(error), p.ErrorBody) == error
    assert "fields" not in json.loads(p.encode(p.ErrorBody("invalid", "فا", "en")))
    enrol_json = json.loads(p.encode(enrol))
    for change, field in [
        ({"counter_no": 0}, "counter_no"),
        ({"counter_no": 2**40}, "counter_no"),
        ({"office_code": ""}, "office_code"),
        ({"device_id": ""}, "device_id"),
        ({"device_name": "x\x00"}, "device_name"),
        ({"code": ""}, "code"),
    ]:
        with pytest.raises(p.ProtocolError) as caught:
            p.convert({**enrol_json, **change}, p.EnrolRequest)
        assert caught.value.field == field
    for change, field in [
        ({"queue_depth": 1.5}, "queue_depth"),
        ({"queue_depth": 2**31}, "queue_depth"),
        ({"attention": -1}, "attention"),
        ({"last_seq": 2**64}, "last_seq"),
        ({"oldest_waiting_seconds": 2**63}, "oldest_waiting_seconds"),
        ({"app_version": "v" * 41}, "app_version"),
    ]:
        with pytest.raises(p.ProtocolError) as caught:
            p.convert({"queue_depth": 1, **change}, p.Heartbeat)
        assert caught.value.field == field


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


def test_limited_inflate() -> None:
    body = json.dumps({"items": ["ی" * 1000]}).encode()
    packed = gzip.compress(body)
    assert inflate_limited(packed, 10_000) == body
    with pytest.raises(InflatedTooLarge):
        inflate_limited(gzip.compress(b"\0" * 5_000_000), 1_000_000)
    noise = os.urandom(50_000)
    with pytest.raises(InflateError):
        inflate_limited(gzip.compress(noise)[:-100], 1_000_000)
    with pytest.raises(InflateError):
        inflate_limited(b"not gzip at all", 1_000)
    assert inflate_limited(gzip.compress(b"ab") + gzip.compress(b"cd"), 10) == b"abcd"
    assert inflate_limited(gzip.compress(b"ab") + b"\0" * 100, 10) == b"ab"


def test_inflate_refuses_many_members_at_once() -> None:
    """400,000 empty gzip members (8 MiB) took 161 s, quadratic; now the cap ends it at
    once (the health test in test_hostile.py shows the server unaffected meanwhile)."""
    member = gzip.compress(b"", mtime=0)
    with pytest.raises(InflateError):
        inflate_limited(member * 400_000, 32 * 1024 * 1024)
    assert inflate_limited(member * 64 + gzip.compress(b"x"), 10, max_members=65) == b"x"


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
