"""Push receipts (issue 11) over HTTP, on both databases: a push named with a batch key
keeps its answer, given back by ``GET /v1/push/receipts/{key}`` to the same device only;
a push without a key, or one that stored nothing, has none; old receipts are pruned."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Engine, func, select

from server import receipts
from server.models import push_receipts
from server.offices import add_office
from sync.protocol import PUSH_KEY_HEADER, RECEIPTS_HEADER, ItemStatus, PushAnswer, decode
from tests.server.conftest import NOW, enrolled_device
from tests.support.server import EnrolledDevice, RunningServer, sample_item


def _push(server: RunningServer, device: EnrolledDevice, items: list[Any], key: str | None) -> Any:
    headers = dict(device.headers)
    if key is not None:
        headers[PUSH_KEY_HEADER] = key
    return server.session.post(
        server.url("/v1/push"),
        json={"device_id": device.device_id, "items": items, "revision": 2},
        headers=headers,
        timeout=60,
    )


def _receipt(server: RunningServer, device: EnrolledDevice, key: str) -> Any:
    return server.session.get(
        server.url(f"/v1/push/receipts/{key}"), headers=device.headers, timeout=60
    )


def test_a_receipt_is_the_push_answer_and_only_for_its_device(server: RunningServer) -> None:
    office = server.add_office()
    pc1 = server.enrol(office.code, counter_no=1)
    pc2 = server.enrol(office.code, counter_no=2)
    items = [sample_item(office.code, seq) for seq in (1, 2, 3)]
    key = str(uuid.uuid4())
    pushed = _push(server, pc1, items, key)
    assert pushed.status_code == 200, pushed.text
    assert pushed.headers[RECEIPTS_HEADER] == "1"

    got = _receipt(server, pc1, key)
    assert got.status_code == 200, got.text
    assert got.content == pushed.content  # the very answer, byte for byte
    answer = decode(got.content, PushAnswer).response([i["id"] for i in items])
    assert [r.status for r in answer.results] == [ItemStatus.ACCEPTED] * 3

    # Another PC of the same office knowing the key learns nothing: 404, as for no key.
    other = _receipt(server, pc2, key)
    assert other.status_code == 404 and other.json()["error"] == "not_found"
    assert other.json()["message_fa"] and other.json()["message_en"]
    assert _receipt(server, pc1, str(uuid.uuid4())).status_code == 404


def test_no_receipt_without_a_key_and_a_bad_key_is_refused(server: RunningServer) -> None:
    office = server.add_office()
    pc = server.enrol(office.code)
    plain = _push(server, pc, [sample_item(office.code, 1)], None)
    assert plain.status_code == 200  # a client of before: answered as ever
    bad = _push(server, pc, [sample_item(office.code, 2)], "not-a-uuid")
    assert bad.status_code == 422
    assert PUSH_KEY_HEADER in bad.json()["fields"]
    assert _receipt(server, pc, "not-a-uuid").status_code == 422
    unauthenticated = server.session.get(
        server.url(f"/v1/push/receipts/{uuid.uuid4()}"), timeout=60
    )
    assert unauthenticated.status_code == 401


def test_a_resend_under_a_new_key_gets_its_own_receipt_of_duplicates(
    server: RunningServer,
) -> None:
    office = server.add_office()
    pc = server.enrol(office.code)
    items = [sample_item(office.code, seq) for seq in (1, 2)]
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    assert _push(server, pc, items, first).status_code == 200
    assert _push(server, pc, items, second).status_code == 200
    ids = [i["id"] for i in items]
    one = decode(_receipt(server, pc, first).content, PushAnswer).response(ids)
    two = decode(_receipt(server, pc, second).content, PushAnswer).response(ids)
    assert [r.status for r in one.results] == [ItemStatus.ACCEPTED] * 2
    assert [r.status for r in two.results] == [ItemStatus.DUPLICATE] * 2
    assert [r.tracking_code for r in one.results] == [r.tracking_code for r in two.results]


def test_receipts_are_stored_with_the_push_and_old_ones_pruned(engine: Engine) -> None:
    """Database level, both databases: ``receipts.store`` keeps the first answer of a key
    and drops this device's receipts past ``KEEP_DAYS``, never another device's."""
    add_office(engine, "7001", "دفتر", now=NOW)
    pc1 = enrolled_device(engine, "7001", 1)
    pc2 = enrolled_device(engine, "7001", 2)
    old = NOW - dt.timedelta(days=receipts.KEEP_DAYS, seconds=1)
    with engine.begin() as conn:
        receipts.store(conn, pc1.id, "k-old", b"old", now=old)
        receipts.store(conn, pc2.id, "k-old", b"other", now=old)
        receipts.store(conn, pc1.id, "k-new", b"first", now=NOW)
        receipts.store(conn, pc1.id, "k-new", b"second", now=NOW)  # a key again: first kept
    assert receipts.fetch(engine, pc1.id, "k-new") == b"first"
    assert receipts.fetch(engine, pc1.id, "k-old") is None  # pruned by the newer push
    assert receipts.fetch(engine, pc2.id, "k-old") == b"other"  # another device's: kept
    assert receipts.fetch(engine, pc2.id, "k-new") is None
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(push_receipts)).scalar() == 2
