"""Sync rounds against the real server: tracking codes, safe resends, one bad request in many."""

from __future__ import annotations

import json

from desktop.synccli import sync_status
from sync.engine import BatchPolicy, BatchSending, BatchSplit, ItemsSetAside
from tests.support.server import RunningServer
from tests.sync.conftest import Counter, insert_crafted, server_rows


def test_saved_requests_are_accepted_with_server_tracking_codes(
    counter: Counter, server: RunningServer
) -> None:
    counter.enrol(server)
    saved = counter.save(5)
    result = counter.engine().run_round()
    assert result.ok, result
    assert (result.accepted, result.duplicate, result.waiting) == (5, 0, 0)
    rows = counter.rows("SELECT id, state, tracking_code FROM requests ORDER BY seq")
    assert [r[0] for r in rows] == [s.id for s in saved]
    on_server = dict(
        server_rows(
            server,
            f"SELECT id, tracking_code FROM requests WHERE id IN ({','.join('?' * len(saved))})",
            *[s.id for s in saved],
        )
    )
    assert {r[0]: r[2] for r in rows} == on_server  # the server's codes, not made up here
    assert all(r[1] == "accepted" for r in rows)
    assert counter.outbox() == {"done": 5}
    history = counter.rows(
        "SELECT state, source FROM request_state_changes WHERE request_id = ? ORDER BY id",
        saved[0].id,
    )
    assert history == [("queued", "counter"), ("accepted", "sync")]


def test_command_line_enrol_sync_once_and_status(counter: Counter, server: RunningServer) -> None:
    code = server.enrolment_code(counter.device.office_code)
    enrol = counter.cli("enrol", "--server", server.base_url, "--code", code)
    assert enrol.returncode == 0, enrol.stderr
    token_file = counter.data_dir / "device-token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert token_file.read_text() not in enrol.stdout + enrol.stderr
    counter.save(3)
    before = sync_status(counter.store, counter.data_dir)
    assert (before["enrolled"], before["waiting"], before["last_contact"]) == (True, 3, None)
    assert before["oldest_waiting_age_seconds"] is not None

    once = counter.cli("sync", "--once", "--json")
    assert once.returncode == 0, once.stderr
    summary = json.loads(once.stdout)
    assert (summary["accepted"], summary["waiting"], summary["error"]) == (3, 0, None)
    after = counter.status()
    assert (after["waiting"], after["attention"], after["needs_reenrolment"]) == (0, 0, False)
    assert after["last_contact"] is not None and after["last_error"] is None
    assert counter.states() == {"accepted": 3}


def test_items_left_sending_by_a_killed_sync_are_resent_and_answered_duplicate(
    counter: Counter, server: RunningServer
) -> None:
    counter.enrol(server)
    saved = counter.save(8)
    engine = counter.engine()
    # A sync that took the batch, got it stored by the server, and died before the answer
    # was written: its items are still "sending" here.
    batch = counter.queue.next_batch(8)
    assert counter.states() == {"sending": 8} and counter.outbox() == {"sending": 8}
    first = engine._client.push(batch)
    assert {r.status for r in first.results} == {"accepted"}

    result = counter.engine().run_round()  # a new process: starts by reclaiming
    assert result.ok, result
    assert (result.accepted, result.duplicate) == (8, 8)
    assert counter.states() == {"accepted": 8} and counter.outbox() == {"done": 8}
    local = dict(counter.rows("SELECT id, tracking_code FROM requests"))
    assert local == {r.id: r.tracking_code for r in first.results}
    ids = [s.id for s in saved]
    stored = server_rows(
        server,
        f"SELECT id, count(*) FROM requests WHERE id IN ({','.join('?' * len(ids))}) GROUP BY id",
        *ids,
    )
    assert sorted(stored) == sorted((i, 1) for i in ids)  # exactly one row each


def test_one_invalid_request_in_a_hundred_is_set_aside_and_the_rest_goes_on(
    counter: Counter, server: RunningServer
) -> None:
    counter.enrol(server)
    counter.save(50)
    bad = insert_crafted(counter, national="1234567890")  # wrong check digit
    counter.save(49, start=50)
    result = counter.engine().run_round()
    assert result.ok, result
    assert (result.accepted, result.set_aside, result.waiting, result.attention) == (99, 1, 0, 1)
    assert counter.states() == {"accepted": 99, "needs_attention": 1}
    assert counter.outbox() == {"done": 99, "attention": 1}
    state, reason_fa, reason_en = counter.rows(
        "SELECT state, reason_fa, reason_en FROM requests WHERE id = ?", bad
    )[0]
    assert state == "needs_attention"
    assert "national code" in reason_en.lower() and "check digit" in reason_en
    assert "کد ملی" in reason_fa
    assert server_rows(server, "SELECT count(*) FROM requests WHERE id = ?", bad) == [(0,)]


def test_requests_that_cannot_be_read_or_encoded_are_set_aside_and_the_queue_moves(
    counter: Counter, server: RunningServer
) -> None:
    counter.enrol(server)
    counter.save(4)
    damaged = insert_crafted(counter, answers_json='{"amount": "1000')  # torn JSON on disk
    counter.save(3, start=4)
    # NaN reads back but is not JSON: the client cannot write the item, and names it.
    unencodable = insert_crafted(counter, answers_json='{"amount": NaN, "bill_type": "water"}')
    counter.save(3, start=7)
    result = counter.engine(policy=BatchPolicy(size=20)).run_round()
    assert result.ok, result
    assert (result.accepted, result.waiting, result.attention) == (10, 0, 2)
    assert any(isinstance(e, ItemsSetAside) and e.ids == (unencodable,) for e in counter.events)
    assert any(isinstance(e, BatchSplit) and e.reason == "bad_request" for e in counter.events)
    reasons = dict(
        counter.rows("SELECT id, reason_en FROM requests WHERE state = ?", "needs_attention")
    )
    assert "damaged" in reasons[damaged]
    assert "cannot be sent" in reasons[unencodable]


def test_an_oversized_request_is_split_out_by_halving_on_413(
    counter: Counter, server: RunningServer
) -> None:
    """413 halves the batch size and splits the batch; alone and still too large, the item
    is set aside. (The server inflates gzip up to 32 MiB: one 33 MB answer is past it.)"""
    counter.enrol(server)
    counter.save(1)
    huge = insert_crafted(
        counter,
        answers={
            "amount": "100000",
            "bill_id": "1234567890",
            "bill_type": "water",
            "payment_id": "987654321",
            "note": "x" * (33 * 1024 * 1024),
        },
    )
    counter.save(4, start=1)
    policy = BatchPolicy(size=2, ceiling=4)
    result = counter.engine(policy=policy).run_round()
    assert result.ok, result
    assert (result.accepted, result.set_aside, result.waiting) == (5, 1, 0)
    splits = [e for e in counter.events if isinstance(e, BatchSplit)]
    assert [(s.size, s.reason, s.next_batch_size) for s in splits] == [(2, "too_large", 1)]
    sending = [e for e in counter.events if isinstance(e, BatchSending)]
    # [first, huge] and [2nd, 3rd] go out together, [4th, 5th] is ready behind them; the 413
    # halves the size and splits [first, huge] into two pushes of one.
    assert sorted(e.size for e in sending) == [1, 1, 2, 2, 2]
    alone = [e.ids for e in sending if e.size == 1]
    assert (huge,) in alone and len({ids[0] for ids in alone}) == 2
    refused = next(e for e in sending if huge in e.ids and e.size == 2)
    assert splits[0].batch == refused.batch
    assert counter.rows("SELECT state, reason_en FROM requests WHERE id = ?", huge) == [
        (
            "needs_attention",
            "The central server refused this request: This request is too large"
            " to send; contact support.",
        )
    ]
