"""Backoff, adaptive batches and bisection; the link failing under the engine (real fault proxy)."""

from __future__ import annotations

import random
import statistics
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from sync.backoff import Backoff
from sync.client import BadRequest, NetworkError, SyncClient
from sync.engine import BatchPolicy, BatchSending, BatchSplit, RoundFailed
from sync.protocol import PushResponse
from tests.support.faultproxy import FaultProxy, LinkConfig
from tests.support.server import RunningServer
from tests.sync.conftest import Counter, server_rows


def test_backoff_grows_exponentially_with_full_jitter_and_is_capped() -> None:
    backoff = Backoff(base=2.0, cap=900.0, rng=random.Random(7))
    assert [backoff.ceiling(n) for n in range(1, 12)] == [
        2,
        4,
        8,
        16,
        32,
        64,
        128,
        256,
        512,
        900,
        900,
    ]
    assert backoff.ceiling(10_000) == 900
    for failures in (1, 4, 9, 10, 50):
        delays = [backoff.delay(failures) for _ in range(2000)]
        ceiling = backoff.ceiling(failures)
        assert all(backoff.floor <= d <= ceiling for d in delays)
        if ceiling > 10:  # full jitter: the whole range is used, centred on half the ceiling
            assert min(delays) <= max(backoff.floor, 0.05 * ceiling)
            assert max(delays) > 0.95 * ceiling
            assert 0.4 * ceiling < statistics.mean(delays) < 0.6 * ceiling
    assert backoff.delay(0) == 0.0
    assert backoff.delay(1, retry_after=120) >= 120  # never earlier than the server asks
    assert backoff.delay(1, retry_after=86_400) == 900  # a wild Retry-After is clamped


def test_batch_size_doubles_while_fast_and_halves_on_timeout_or_413() -> None:
    policy = BatchPolicy(size=20)
    sizes = []
    for _ in range(7):
        policy.answered(policy.size, seconds=0.3)
        sizes.append(policy.size)
    assert sizes == [40, 80, 160, 320, 500, 500, 500]
    policy.answered(3, seconds=0.1)  # a short batch (queue ran dry) says nothing about speed
    assert policy.size == 500
    policy.shrink(500)
    assert policy.size == 250
    policy.answered(250, seconds=45.0)  # slow: halve before a timeout does
    assert policy.size == 125
    for _ in range(10):
        policy.shrink()
    assert policy.size == 1


@pytest.fixture
def proxy(server: RunningServer) -> Iterator[FaultProxy]:
    with FaultProxy("127.0.0.1", server.port) as running:
        yield running


def test_failed_rounds_back_off_longer_up_to_the_cap_and_keep_everything(
    counter: Counter, server: RunningServer, proxy: FaultProxy
) -> None:
    counter.enrol(server, url=proxy.url_for())
    counter.save(6)
    proxy.set_config(LinkConfig(refuse_connections=True))
    backoff = Backoff(base=1.0, cap=8.0, floor=0.0, rng=random.Random(3))
    engine = counter.engine(backoff=backoff)
    waits = []
    for failures in range(1, 8):
        result = engine.run_round()
        assert result.error is not None and result.error.code == "network"
        state = engine.state
        assert state.failures == failures
        assert state.next_try_at is not None and state.last_attempt_at is not None
        wait = (state.next_try_at - state.last_attempt_at).total_seconds()
        assert wait <= backoff.ceiling(failures) + result.seconds + 0.5
        waits.append(wait)
        assert engine.seconds_until_due() > 0 or wait < 0.5
        assert engine.seconds_until_due(manual=True) == 0  # F5 skips our own backoff
    assert max(waits) <= 8.0 + 0.5  # capped
    assert counter.states() == {"queued": 6} and counter.outbox() == {"queued": 6}
    assert [e.code for e in counter.events if isinstance(e, RoundFailed)] == ["network"] * 7

    proxy.set_config(LinkConfig())
    result = engine.run_round()
    assert result.ok and result.accepted == 6
    assert engine.state.failures == 0 and engine.state.next_try_at is None
    assert engine.state.last_error is None


def test_a_lost_answer_is_resent_and_the_server_keeps_exactly_one_copy(
    counter: Counter, server: RunningServer, proxy: FaultProxy
) -> None:
    counter.enrol(server, url=proxy.url_for())
    saved = counter.save(10)
    # The server gets every request and answers; the answer never arrives.
    proxy.set_config(LinkConfig(drop_after_request_probability=1.0))
    policy = BatchPolicy(size=16)
    lost = counter.engine(policy=policy).run_round()
    assert lost.error is not None and lost.error.code == "network"
    # One lost answer says nothing about the size (tests/sync/test_recovery.py: a second
    # break in a row, or a timeout, halves it).
    assert policy.size == 16
    assert counter.states() == {"queued": 10} and counter.outbox() == {"queued": 10}
    ids = [s.id for s in saved]
    marks = ",".join("?" * len(ids))
    assert server_rows(server, f"SELECT count(*) FROM requests WHERE id IN ({marks})", *ids) == [
        (10,)
    ]

    proxy.set_config(LinkConfig(rtt_ms=50))
    result = counter.engine().run_round()
    assert result.ok and (result.accepted, result.duplicate) == (10, 10)
    assert counter.states() == {"accepted": 10}
    assert server_rows(
        server, f"SELECT count(DISTINCT id), count(*) FROM requests WHERE id IN ({marks})", *ids
    ) == [(10, 10)]


class RefusingClient(SyncClient):
    """The real client, but a whole push is refused with an unnamed 400 while it holds any
    of ``poison`` (or anything at all with ``refuse_all``): what a server or a filtering
    proxy in front of it may do, and the reference server never does (it judges items one
    by one)."""

    def __init__(
        self, *args: Any, poison: set[str], refuse_all: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.poison = poison
        self.refuse_all = refuse_all
        self.pushes = 0

    def push(
        self,
        items: Sequence[Mapping[str, Any]],
        *,
        device_id: str | None = None,
        key: str | None = None,
    ) -> PushResponse:
        self.pushes += 1
        if self.refuse_all or any(item.id in self.poison for item in items):
            raise BadRequest(
                "HTTP 400",
                status=400,
                code="bad_request",
                message_fa="درخواست نامعتبر است.",
                message_en="Bad request.",
            )
        return super().push(items, device_id=device_id, key=key)


def _refusing_engine(counter: Counter, **kwargs: Any) -> tuple[Any, RefusingClient]:
    engine = counter.engine(policy=BatchPolicy(size=32))
    real = engine._client
    client = RefusingClient(real.base_url, real._token_provider, device_id=real.device_id, **kwargs)
    engine._client = client
    return engine, client


def test_an_unnamed_whole_batch_400_is_bisected_down_to_the_poison_item(
    counter: Counter, server: RunningServer
) -> None:
    counter.enrol(server)
    saved = counter.save(40)
    poison = saved[21].id
    engine, client = _refusing_engine(counter, poison={poison})
    result = engine.run_round()
    assert result.ok, result
    assert (result.accepted, result.set_aside, result.waiting) == (39, 1, 0)
    assert counter.rows("SELECT id FROM requests WHERE state = 'needs_attention'") == [(poison,)]
    # 32 → 16+16 → 8+8 → 4+4 → 2+2 → 1+1, and the other 8 beside: a handful of pushes,
    # not 40. Only the halves holding the poison are split again.
    assert client.pushes <= 14
    assert [e.size for e in counter.events if isinstance(e, BatchSplit)] == [32, 16, 8, 4, 2]
    sizes = [e.size for e in counter.events if isinstance(e, BatchSending)]
    assert sorted(sizes[:2]) == [8, 32]  # the second batch went while the first was refused


def test_a_server_refusing_every_push_sets_nothing_aside(
    counter: Counter, server: RunningServer
) -> None:
    counter.enrol(server)
    counter.save(12)
    engine, client = _refusing_engine(counter, poison=set(), refuse_all=True)
    result = engine.run_round()
    assert result.error is not None and result.error.code == "bad_request"
    assert (result.set_aside, result.waiting, result.attention) == (0, 12, 0)
    assert counter.states() == {"queued": 12}
    assert client.pushes == 2 * 12 - 1  # the whole tree once, then it backs off
    assert engine.state.failures == 1


def test_a_round_reuses_two_connections_over_a_slow_link(
    counter: Counter, server: RunningServer, proxy: FaultProxy
) -> None:
    """On a 300 ms line every new connection costs a round trip: push, pull and heartbeat
    of a whole round (several batches) go over two kept-alive connections, one for each
    push in flight."""
    counter.enrol(server, url=proxy.url_for())
    counter.save(30)
    proxy.set_config(LinkConfig(rtt_ms=300, rate_bps=512_000))
    proxy.reset_stats()
    result = counter.engine(policy=BatchPolicy(size=10)).run_round()
    assert result.ok and result.accepted == 30
    batches = [e for e in counter.events if isinstance(e, BatchSending)]
    assert len(batches) >= 3
    assert proxy.stats().connections_accepted == 2


class BreakingClient(SyncClient):
    """The real client whose link breaks after its first answered push (as rural links do)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pushes = 0

    def push(
        self,
        items: Sequence[Mapping[str, Any]],
        *,
        device_id: str | None = None,
        key: str | None = None,
    ) -> PushResponse:
        self.pushes += 1
        if self.pushes > 1:
            raise NetworkError("the link went down mid-round")
        return super().push(items, device_id=device_id, key=key)


def test_a_round_that_got_answers_restarts_the_backoff(
    counter: Counter, server: RunningServer
) -> None:
    counter.enrol(server)
    counter.save(10)
    counter.queue.update_state(failures=6)  # a long outage before this round
    engine = counter.engine(policy=BatchPolicy(size=4, ceiling=4))
    real = engine._client
    engine._client = BreakingClient(real.base_url, real._token_provider, device_id=real.device_id)
    result = engine.run_round()
    assert result.error is not None and result.error.code == "network"
    assert result.accepted == 4
    # The link worked a moment ago: wait as after a first failure, not a seventh.
    assert engine.state.failures == 1
