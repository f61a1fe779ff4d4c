"""Recovery on a bad line (issue 11): the batch size and the pace come back with the line.

Through the real fault proxy: rounds whose every answer is lost shrink the batch (a break
once is not taken as the size's fault; twice in a row is), and the first answer once the
faults stop brings the batch straight back to the size that worked; a server that comes
back after seconds is not waited for minutes however many rounds failed in a row.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

import pytest

from sync.backoff import Backoff
from sync.client import NetworkError, SyncClient
from sync.engine import BatchAnswered, BatchPolicy
from tests.support.faultproxy import FaultProxy, LinkConfig
from tests.support.server import RunningServer
from tests.sync.conftest import Counter, server_rows


@pytest.fixture
def proxy(server: RunningServer) -> Iterator[FaultProxy]:
    with FaultProxy("127.0.0.1", server.port) as running:
        yield running


def test_a_break_is_not_blamed_on_the_size_until_it_repeats_and_timeouts_are() -> None:
    policy = BatchPolicy(size=100, ceiling=100)
    policy.answered(100, seconds=1.0)
    assert policy.size == 100 and policy.good == 100
    policy.broken(100, timeout=False)  # one reset, one lost answer: any size meets it
    assert policy.size == 100
    policy.broken(100, timeout=False)  # again, with no answer between: try smaller
    assert policy.size == 50
    policy.broken(50, timeout=False)
    assert policy.size == 25
    policy.answered(25, seconds=0.5)  # the line answers: back to what worked
    assert policy.size == 100
    policy.broken(100, timeout=True)  # slower than the line allows: the size mattered
    assert policy.size == 50 and policy.good == 50
    policy.broken(50, timeout=False)
    policy.broken(50, timeout=False)
    assert policy.size == 12
    policy.answered(12, seconds=0.5)  # restored only to what did not time out
    assert policy.size == 50
    policy.answered(50, seconds=0.5)
    assert policy.size == 100  # and from there it grows a full fast batch at a time
    policy.too_large(100)
    assert policy.size == 50 and policy.good == 50


def test_after_the_faults_stop_the_batch_is_full_again_after_one_answer(
    counter: Counter, server: RunningServer, proxy: FaultProxy
) -> None:
    counter.enrol(server, url=proxy.url_for())
    counter.save(40)
    policy = BatchPolicy(size=20, ceiling=20)
    engine = counter.engine(policy=policy, backoff=Backoff(base=0.01, cap=0.05, floor=0.0))
    assert engine.run_round().accepted == 40
    assert policy.size == 20
    counter.save(100, start=40)
    proxy.set_config(LinkConfig(drop_after_request_probability=1.0))  # every answer lost
    sizes = []
    for _ in range(4):
        result = engine.run_round()
        assert result.error is not None and result.error.code == "network"
        sizes.append(policy.size)
    assert sizes == [20, 10, 5, 2]  # the first break is forgiven, later ones halve
    proxy.set_config(LinkConfig())
    counter.events.clear()
    result = engine.run_round()
    assert result.ok and result.pushed == 100
    answered = [e for e in counter.events if isinstance(e, BatchAnswered)]
    assert answered[0].next_batch_size == 20  # one answer, and the batch is full again
    # The batches already on the wire or taken ahead (at most two in flight and one ready,
    # however many the pipeline had taken when the first answer came) go at the old size;
    # every one taken after that answer is full (but the queue's last).
    sizes_sent = [e.size for e in answered]
    old = next(i for i, size in enumerate(sizes_sent) if size != 2)
    assert 1 <= old <= 3, sizes_sent
    assert set(sizes_sent[old:-1]) == {20}, sizes_sent
    assert counter.states() == {"accepted": 140}


def test_a_server_back_after_seconds_is_not_waited_for_minutes(
    counter: Counter, server: RunningServer, proxy: FaultProxy
) -> None:
    """Seven failed rounds in a row used to mean a wait of up to 128 s (2 s × 2^6); the
    wait is now at most half of how long the server has been silent (and at least base)."""
    counter.enrol(server, url=proxy.url_for())
    counter.save(3)
    backoff = Backoff(base=2.0, cap=900.0, floor=0.0, rng=random.Random(11))
    engine = counter.engine(backoff=backoff)
    assert engine.run_round().ok  # the server answered: the silence starts now
    contact = engine.state.last_contact_at
    assert contact is not None
    counter.save(3, start=3)
    proxy.set_config(LinkConfig(refuse_connections=True))  # restarting
    for failures in range(1, 8):
        result = engine.run_round()
        assert result.error is not None
        state = engine.state
        assert state.failures == failures and state.next_try_at is not None
        assert state.last_attempt_at is not None
        silence = (state.last_attempt_at - contact).total_seconds() + result.seconds
        wait = (state.next_try_at - state.last_attempt_at).total_seconds() - result.seconds
        assert wait <= max(backoff.base, 0.5 * silence) + 0.1, (failures, wait, silence)
    # Unbounded by the silence, the seventh wait could have been anything up to 128 s.
    assert backoff.ceiling(7) == 128.0 and backoff.ceiling(7, outage_seconds=3.0) == 2.0
    assert backoff.ceiling(7, outage_seconds=3600.0) == 128.0  # a long outage still grows
    proxy.set_config(LinkConfig())
    assert engine.run_round(), engine.state.failures == 0


def test_an_answer_trickling_through_the_proxy_is_cut_in_seconds(
    server: RunningServer, proxy: FaultProxy
) -> None:
    """At 800 bit/s the first page of the feed (it carries the catalogue, tens of KB) would
    take minutes, every socket read well inside any per-read timeout: the body must come
    within stall_seconds + its length at the worst rate, so the call fails in seconds."""
    office = server.add_office().code
    device = server.enrol(office)
    client = SyncClient(
        proxy.url_for(),
        lambda: device.token,
        device_id=device.device_id,
        allow_insecure_http=True,
        stall_seconds=3.0,
        read_timeout_base=30.0,
    )
    try:
        whole = SyncClient(server.base_url, lambda: device.token, allow_insecure_http=True).changes(
            None
        )
        assert whole.changes  # the page exists and is answered at full speed
        proxy.set_config(LinkConfig(rate_bps=800))
        started = time.monotonic()
        with pytest.raises(NetworkError) as caught:
            client.changes(None)
        waited = time.monotonic() - started
        assert caught.value.timeout
        assert waited < 20, waited  # the request's head alone takes a few seconds here
        assert proxy.stats().bytes_server_to_client > 0  # the answer had begun: a trickle
    finally:
        client.close()


def test_an_answer_stalled_before_its_head_costs_the_learnt_wait_not_the_fixed_one(
    counter: Counter, server: RunningServer, proxy: FaultProxy
) -> None:
    """Production timeouts (30 s before a first answer): once this server's answers came in
    a fraction of a second, an answer held before its head is given up on after the learnt
    wait (at least 10 s, plus the bytes' time), not 30-36 s; the next round makes it good,
    each request stored once (the stalled push was stored: its items come back duplicate)."""
    counter.enrol(server, url=proxy.url_for())
    counter.save(3)
    engine = counter.engine(backoff=Backoff(base=0.01, cap=0.05, floor=0.0))
    assert engine.run_round().ok  # answered: the wait is learnt
    counter.save(5, start=3)
    stalled = proxy.stats().turns + 1  # the round's first call: the push
    proxy.set_config(LinkConfig(stall_response_turns=frozenset({stalled}), stall_ms=120_000))
    started = time.monotonic()
    result = engine.run_round()
    waited = time.monotonic() - started
    assert result.error is not None and result.error.code == "network"
    assert proxy.stats().stalls == 1
    assert waited < 25, waited  # the fixed wait alone was 30 s
    proxy.set_config(LinkConfig())
    assert engine.run_round().ok
    assert counter.states() == {"accepted": 8}
    ids = [row[0] for row in counter.rows("SELECT id FROM requests")]
    marks = ",".join("?" * len(ids))
    assert server_rows(server, f"SELECT count(*) FROM requests WHERE id IN ({marks})", *ids) == [
        (8,)
    ]
