"""A break inside a round (issue 11): a lost or cut answer is recovered by the push's
receipt (one small GET, the items not sent again), a push cut mid-upload is sent again in
the same round, and only repeated breaks end the round.

The real engine, client and server, through the fault proxy's scripted faults: the n-th
answer dropped or cut after the server stored the push, the n-th request cut mid-upload.
The proxy counts requests, so "not sent again" is what went on the wire.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from sync.batches import MAX_RESENDS_PER_ROUND
from sync.client import NetworkError, SyncClient
from sync.engine import BatchPolicy, BatchSending, PushBroken, RoundFailed
from tests.support.faultproxy import FaultProxy, LinkConfig
from tests.support.server import RunningServer
from tests.sync.conftest import Counter, server_rows


@pytest.fixture
def proxy(server: RunningServer) -> Iterator[FaultProxy]:
    with FaultProxy("127.0.0.1", server.port, config=LinkConfig(rtt_ms=20)) as running:
        yield running


def _stored_once(server: RunningServer, ids: list[str]) -> bool:
    marks = ",".join("?" * len(ids))
    rows = server_rows(
        server, f"SELECT count(*), count(DISTINCT id) FROM requests WHERE id IN ({marks})", *ids
    )
    return rows == [(len(ids), len(ids))]


def _broken(counter: Counter) -> list[tuple[str, int]]:
    return [(e.outcome, e.size) for e in counter.events if isinstance(e, PushBroken)]


def _sent(counter: Counter) -> list[int]:
    return [e.size for e in counter.events if isinstance(e, BatchSending)]


@pytest.mark.parametrize("fault", ["dropped", "cut"])
def test_a_lost_answer_is_recovered_by_its_receipt_without_sending_the_items_again(
    counter: Counter, server: RunningServer, proxy: FaultProxy, fault: str
) -> None:
    counter.enrol(server, url=proxy.url_for())
    saved = counter.save(30)
    proxy.reset_stats()
    script = {"drop_after_turns" if fault == "dropped" else "cut_response_turns": frozenset({1})}
    proxy.set_config(proxy.config.replace(**script))
    policy = BatchPolicy(size=50, broken_in_row=1)  # a break just before, with no answer
    engine = counter.engine(policy=policy)
    assert engine._client.keeps_receipts is None  # no push answered yet: asks all the same
    result = engine.run_round()
    assert result.ok, result
    assert (result.accepted, result.duplicate, result.waiting) == (30, 0, 0)
    assert _broken(counter) == [("receipt", 30)]
    assert _sent(counter) == [30]  # one push of the items, never a second
    assert engine._client.keeps_receipts is None  # still: the push itself was never answered
    # The whole push got through, only its answer was lost: not a second break in a row.
    assert policy.size == 50
    stats = proxy.stats()
    assert (stats.drops_after_request, stats.cuts) == ((1, 0) if fault == "dropped" else (0, 1))
    # On the wire: the push, the receipt's GET, the feed page (heartbeat on it): no resend.
    assert stats.requests == 3
    assert counter.states() == {"accepted": 30}
    assert _stored_once(server, [s.id for s in saved])


def test_a_receipt_call_that_breaks_too_is_asked_once_more(
    counter: Counter, server: RunningServer, proxy: FaultProxy
) -> None:
    counter.enrol(server, url=proxy.url_for())
    saved = counter.save(30)
    proxy.reset_stats()
    # The push's answer lost, then the first receipt call's answer lost as well.
    proxy.set_config(proxy.config.replace(drop_after_turns=frozenset({1, 2})))
    result = counter.engine(policy=BatchPolicy(size=50)).run_round()
    assert result.ok, result
    assert (result.accepted, result.duplicate, result.waiting) == (30, 0, 0)
    assert _broken(counter) == [("receipt", 30)]
    assert _sent(counter) == [30]
    stats = proxy.stats()
    assert (stats.drops_after_request, stats.requests) == (2, 4)  # push, 2 receipts, feed
    assert _stored_once(server, [s.id for s in saved])


def test_a_push_cut_mid_upload_is_sent_again_in_the_same_round(
    counter: Counter, server: RunningServer, proxy: FaultProxy
) -> None:
    counter.enrol(server, url=proxy.url_for())
    saved = counter.save(30)
    proxy.reset_stats()
    proxy.set_config(proxy.config.replace(cut_request_numbers=frozenset({1})))
    policy = BatchPolicy(size=50)
    engine = counter.engine(policy=policy)
    result = engine.run_round()
    assert engine._client.keeps_receipts is True  # the resent push's answer said so
    # The server never had the whole push: no receipt (404), so the items went again at
    # once, and the round went on to its end instead of failing and backing off.
    assert result.ok, result
    assert (result.accepted, result.duplicate, result.waiting) == (30, 0, 0)
    assert _broken(counter) == [("resend", 30)]
    assert _sent(counter) == [30, 30]
    assert proxy.stats().requests == 4  # cut push, receipt (404), the push again, the feed
    assert not [e for e in counter.events if isinstance(e, RoundFailed)]
    assert policy.size == 50  # one break is not blamed on the size
    assert counter.engine().state.failures == 0
    assert _stored_once(server, [s.id for s in saved])


def test_repeated_breaks_end_the_round_and_keep_everything(
    counter: Counter, server: RunningServer, proxy: FaultProxy
) -> None:
    counter.enrol(server, url=proxy.url_for())
    saved = counter.save(30)
    proxy.reset_stats()
    # Every push cut mid-upload (requests 1, 3, 5, ...: each receipt's GET goes through).
    # One push at a time, so that the requests' order, and so which are cut, is fixed.
    proxy.set_config(proxy.config.replace(cut_request_numbers=frozenset(range(1, 40, 2))))
    policy = BatchPolicy(size=50)
    engine = counter.engine(policy=policy)
    engine._depth = 1
    failed = engine.run_round()
    assert failed.error is not None and failed.error.code == "network"
    outcomes = [outcome for outcome, _ in _broken(counter)]
    assert outcomes == ["resend"] * MAX_RESENDS_PER_ROUND + ["round_failed"]
    assert policy.size < 50  # breaks in a row do halve (sync/batches.py)
    assert counter.outbox() == {"queued": 30}  # nothing lost, nothing set aside

    proxy.set_config(LinkConfig(rtt_ms=20))
    again = counter.engine().run_round()
    assert again.ok and (again.accepted, again.duplicate) == (30, 0)
    assert counter.states() == {"accepted": 30}
    assert _stored_once(server, [s.id for s in saved])


def test_an_answer_cut_inside_its_head_is_a_network_error() -> None:
    """A cut before the head's end leaves an answer the HTTP parser takes as complete, with
    no length and an empty body: a break (the push's receipt is asked), not a bad answer."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def answer_cut() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(65_536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/js")

        thread = threading.Thread(target=answer_cut)
        thread.start()
        client = SyncClient(f"http://127.0.0.1:{port}", lambda: "token", device_id=None)
        try:
            with pytest.raises(NetworkError, match="without a length"):
                client.changes(None)
        finally:
            client.close()
            thread.join()
