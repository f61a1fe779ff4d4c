"""Two pushes in flight: they overlap on the wire, and every promise still holds.

The engine keeps a second push on the wire while the answer to the first is awaited (each
HTTP call on a lane thread of its own, the store on the engine's thread). These tests run
the real engine, client, server and fault proxy; the recording client below is the real
client, only noting when each push call starts and ends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from sync.client import NetworkError, SyncClient
from sync.engine import (
    BatchAnswered,
    BatchPolicy,
    BatchSending,
    PushBroken,
    SyncEngine,
    SyncEvent,
)
from sync.protocol import PushResponse
from tests.support.faultproxy import FaultProxy, LinkConfig
from tests.support.server import RunningServer
from tests.sync.conftest import Counter, server_rows


class RecordingClient(SyncClient):
    """The real client; notes each push call's (start, end) and can lose the n-th answer
    after the server stored the push (what a link dropping the answer does)."""

    def __init__(
        self,
        *args: Any,
        lose_answer_of: set[int] | None = None,
        no_receipts: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lose_answer_of = lose_answer_of or set()
        self.no_receipts = no_receipts
        self.calls: list[tuple[float, float]] = []
        self._lock = threading.Lock()
        self._count = 0

    def push(
        self,
        items: Sequence[Mapping[str, Any]],
        *,
        device_id: str | None = None,
        key: str | None = None,
    ) -> PushResponse:
        with self._lock:
            self._count += 1
            n = self._count
        start = time.monotonic()
        try:
            response = super().push(items, device_id=device_id, key=key)
        finally:
            with self._lock:
                self.calls.append((start, time.monotonic()))
        if n in self.lose_answer_of:
            raise NetworkError("the answer was lost on the way back")
        return response

    @property
    def keeps_receipts(self) -> bool | None:
        # As a server of before receipts answers: its push answers do not say it keeps any.
        return False if self.no_receipts else super().keeps_receipts


def _recording_engine(
    counter: Counter, policy: BatchPolicy, **kwargs: Any
) -> tuple[SyncEngine, RecordingClient]:
    engine = counter.engine(policy=policy)
    real = engine._client
    client = RecordingClient(
        real.base_url, real._token_provider, device_id=real.device_id, **kwargs
    )
    engine._client = client
    return engine, client


def _overlapping(calls: list[tuple[float, float]]) -> int:
    """How many calls started while an earlier one had not ended."""
    ordered = sorted(calls)
    return sum(
        1 for i, (start, _) in enumerate(ordered) if any(end > start for _, end in ordered[:i])
    )


def _stored_once(server: RunningServer, ids: list[str]) -> bool:
    marks = ",".join("?" * len(ids))
    rows = server_rows(
        server, f"SELECT count(*), count(DISTINCT id) FROM requests WHERE id IN ({marks})", *ids
    )
    return rows == [(len(ids), len(ids))]


@pytest.fixture
def slow_link(server: RunningServer) -> Iterator[FaultProxy]:
    # A rural line: each push's body takes a while to cross, and so does each answer.
    with FaultProxy(
        "127.0.0.1", server.port, config=LinkConfig(rtt_ms=300, rate_bps=256_000)
    ) as proxy:
        yield proxy


def test_a_second_push_travels_while_the_first_is_answered(
    counter: Counter, server: RunningServer, slow_link: FaultProxy
) -> None:
    counter.enrol(server, url=slow_link.url_for())
    saved = counter.save(120)
    slow_link.reset_stats()
    engine, client = _recording_engine(counter, BatchPolicy(size=20, ceiling=20))
    result = engine.run_round()
    assert result.ok and (result.accepted, result.duplicate, result.waiting) == (120, 0, 0)
    sending = [e for e in counter.events if isinstance(e, BatchSending)]
    answered = [e for e in counter.events if isinstance(e, BatchAnswered)]
    assert len(sending) == len(answered) == 6
    assert max(e.in_flight for e in sending) == 2  # never more than two
    # Each answer names the push it answers; every push is answered once.
    assert sorted(e.batch for e in answered) == [e.batch for e in sending] == [1, 2, 3, 4, 5, 6]
    # On the wire: calls overlap, over two kept-alive connections (not one per push).
    assert _overlapping(client.calls) >= 2, client.calls  # one at a time: 0
    assert slow_link.stats().connections_accepted == 2
    assert client.sessions_opened == 2
    assert _stored_once(server, [s.id for s in saved])
    assert counter.outbox() == {"done": 120}


def test_one_lost_answer_beside_an_answered_push_is_recovered_by_its_receipt(
    counter: Counter, server: RunningServer
) -> None:
    counter.enrol(server)
    saved = counter.save(60)
    policy = BatchPolicy(size=20, ceiling=20)
    engine, client = _recording_engine(counter, policy, lose_answer_of={2})
    result = engine.run_round()
    # The server had stored the push whose answer was lost: its receipt answered it, the
    # round went on, and nothing was sent twice (no "duplicate" answers).
    assert result.ok, result
    assert (result.accepted, result.duplicate, result.waiting) == (60, 0, 0)
    broken = [e for e in counter.events if isinstance(e, PushBroken)]
    assert [(e.outcome, e.size) for e in broken] == [("receipt", 20)]
    assert len(client.calls) == 3  # three pushes of 20, none resent
    assert policy.size == 20  # one broken transfer is not blamed on the size (issue 11)
    assert counter.states() == {"accepted": 60}
    assert _stored_once(server, [s.id for s in saved])


def test_a_lost_answer_from_a_server_without_receipts_is_resent_in_the_same_round(
    counter: Counter, server: RunningServer
) -> None:
    """A server before receipts (its push answers do not say it keeps them): the items of
    the lost answer go again at once, in this round, answered "duplicate" (the line
    answered the push before it; one push at a time, so that it is answered first)."""
    counter.enrol(server)
    saved = counter.save(60)
    policy = BatchPolicy(size=20, ceiling=20)
    engine, client = _recording_engine(counter, policy, lose_answer_of={2}, no_receipts=True)
    engine._depth = 1
    result = engine.run_round()
    assert result.ok, result
    assert (result.accepted, result.waiting) == (60, 0)
    assert result.duplicate == 20  # the lost answer's batch, stored before, now "duplicate"
    broken = [e for e in counter.events if isinstance(e, PushBroken)]
    assert [(e.outcome, e.size) for e in broken] == [("resend", 20)]
    assert len(client.calls) == 4
    assert counter.states() == {"accepted": 60}
    assert _stored_once(server, [s.id for s in saved])


def test_stop_with_two_pushes_in_flight_ends_promptly_and_keeps_everything(
    counter: Counter, server: RunningServer, slow_link: FaultProxy
) -> None:
    counter.enrol(server, url=slow_link.url_for())
    saved = counter.save(150)
    slow_link.set_config(LinkConfig(rtt_ms=300, rate_bps=32_000))  # each push takes seconds
    stopped_at: list[float] = []
    engine: SyncEngine | None = None

    def on_event(event: SyncEvent) -> None:
        counter.events.append(event)
        if isinstance(event, BatchSending) and event.in_flight == 2 and not stopped_at:
            assert engine is not None
            stopper = threading.Timer(
                0.3, lambda: (stopped_at.append(time.monotonic()), engine.request_stop())
            )
            stopper.start()

    engine = counter.engine(policy=BatchPolicy(size=50, ceiling=50), on_event=on_event)
    result = engine.run_round()
    ended = time.monotonic()
    assert result.stopped and result.error is None
    assert stopped_at and ended - stopped_at[0] < 3.0  # prompt, not after the calls' timeouts
    assert counter.outbox().get("sending", 0) == 0
    assert counter.states().get("sending", 0) == 0
    assert sum(counter.outbox().values()) == 150 and counter.outbox().get("attention", 0) == 0
    assert not [t for t in threading.enumerate() if t.name.startswith("pishkhan-push")]

    slow_link.set_config(LinkConfig())
    again = counter.engine().run_round()
    assert again.ok and again.waiting == 0
    assert counter.states() == {"accepted": 150}
    assert _stored_once(server, [s.id for s in saved])


def test_revoked_while_two_pushes_are_in_flight_nothing_is_dropped(
    counter: Counter, server: RunningServer, slow_link: FaultProxy
) -> None:
    counter.enrol(server, url=slow_link.url_for())
    saved = counter.save(100)
    revoked: list[int] = []

    def on_event(event: SyncEvent) -> None:
        counter.events.append(event)
        if isinstance(event, BatchSending) and event.in_flight == 2 and not revoked:
            # Before the second push's call: it meets the revoked token for sure.
            server.admin("POST", f"/v1/admin/devices/{counter.device.id}/revoke").raise_for_status()
            revoked.append(event.batch)

    result = counter.engine(policy=BatchPolicy(size=25, ceiling=25), on_event=on_event).run_round()
    assert revoked and result.needs_reenrolment
    assert result.error is not None and result.error.code == "unauthorized"
    states = counter.states()
    assert set(states) <= {"accepted", "queued"} and sum(states.values()) == 100, states
    assert states.get("queued", 0) >= 25  # the second push at least
    assert counter.outbox().get("sending", 0) == 0

    counter.enrol(server, url=slow_link.url_for())
    again = counter.engine().run_round()
    assert again.ok and counter.states() == {"accepted": 100}
    assert _stored_once(server, [s.id for s in saved])
