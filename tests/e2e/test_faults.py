"""1,000 requests over each kind of bad link end as exactly 1,000 requests on the server.

Real server process, real HTTP, the fault proxy between the counter and the server, real
SQLite files on both sides. Each scenario asserts that its faults really happened (the
proxy's counters) and then the promise (``check_exactly_once``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sync.engine import BatchSending, PushBroken
from tests.e2e.conftest import REQUESTS
from tests.support.e2e import (
    CentralServer,
    ClientTuning,
    Counter,
    EventLog,
    check_exactly_once,
    describe_link,
    make_engine,
    settle,
)
from tests.support.faultproxy import FaultProxy, LinkConfig, LinkStats

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Weather:
    link: LinkConfig
    must_happen: tuple[str, ...]  # LinkStats counters that must be > 0 afterwards
    tuning: ClientTuning = field(default_factory=ClientTuning)


# Probabilities are per 16 KiB chunk (per request/answer turn for drops). A clean run of
# 1,000 requests in batches of at most 100 moves ~70 chunks in ~16 turns; each rate below
# makes "no fault at all" a chance well under 1 %, yet lets the run settle in seconds.
WEATHER = {
    # A rural line: 300 ms round trips, 512 kbit/s each way shared by every connection.
    "latency_and_rate": Weather(
        LinkConfig(rtt_ms=300, rate_bps=512_000, seed=1),
        (),
        ClientTuning(
            read_timeout_base=30, worst_rate_bytes=16_000, batch_size=50, batch_ceiling=500
        ),
    ),
    "random_resets": Weather(LinkConfig(reset_probability=0.1, seed=2), ("resets",)),
    # Stalls longer than the client's patience: timeouts, smaller batches, resends.
    "stalls": Weather(
        LinkConfig(stall_probability=0.08, stall_ms=1200, seed=3),
        ("stalls",),
        ClientTuning(read_timeout_base=1.0, worst_rate_bytes=1_000_000),
    ),
    "cut_responses": Weather(
        LinkConfig(cut_response_probability=0.15, cut_response_turns=frozenset({2}), seed=4),
        ("cuts",),
    ),
    # The server stores the batch, the answer never arrives: the resend must come back as
    # "duplicate". Batches of 50: ~20 pushes, so some push is surely among the drops.
    "drop_after_request": Weather(
        LinkConfig(drop_after_request_probability=0.3, drop_after_turns=frozenset({2}), seed=5),
        ("drops_after_request",),
        ClientTuning(batch_size=50, batch_ceiling=50),
    ),
}


@pytest.mark.parametrize("name", list(WEATHER))
def test_every_request_reaches_the_server_exactly_once(
    name: str, server: CentralServer, counter: Counter, tmp_path: Path
) -> None:
    weather = WEATHER[name]
    with FaultProxy("127.0.0.1", server.port, config=LinkConfig()) as proxy:
        counter.enrol(server, proxy.url_for())
        proxy.set_config(weather.link)
        proxy.reset_stats()
        events = EventLog()
        engine = make_engine(counter, weather.tuning, events)
        t0 = time.monotonic()
        run = settle(engine, describe=lambda: describe_link(proxy))
        stats = proxy.stats()
    outcome = check_exactly_once(counter, server, expected=REQUESTS)
    for counter_name in weather.must_happen:
        assert getattr(stats, counter_name) > 0, f"no {counter_name} happened: {stats}"
    if name == "drop_after_request":
        # Stored by the server, never heard by the client: its receipt answers it (issue
        # 11), or, when the receipt's calls are lost too, it is sent again: "duplicate".
        receipts = [e for e in events.of(PushBroken) if e.outcome == "receipt"]
        assert receipts or outcome.duplicate_answers > 0, outcome.line()
    print(
        f"\n[e2e {name}] {time.monotonic() - t0:.1f}s rounds={run.rounds} "
        f"failed={run.failed_rounds} {outcome.line()} {events.summary()} {_faults(stats)}"
    )


def test_two_pushes_in_flight_on_a_faulty_rural_line_store_each_request_once(
    server: CentralServer, counter: Counter
) -> None:
    """The engine keeps two pushes on the wire: a fault on one connection while the other
    carries a push, answers lost after the server stored the batch, cut answers; every
    request still ends stored once, accepted here with the server's own code."""
    link = LinkConfig(
        rtt_ms=150,
        rate_bps=512_000,
        reset_probability=0.02,
        drop_after_request_probability=0.15,
        cut_response_probability=0.02,
        # Besides the dice, these turns' answers are lost or cut on every run, so the
        # assertions below never depend on how the chunks happened to fall.
        drop_after_turns=frozenset({3, 8}),
        cut_response_turns=frozenset({5}),
        seed=11,
    )
    tuning = ClientTuning(
        read_timeout_base=30, worst_rate_bytes=16_000, batch_size=50, batch_ceiling=100
    )
    with FaultProxy("127.0.0.1", server.port, config=LinkConfig()) as proxy:
        counter.enrol(server, proxy.url_for())
        proxy.set_config(link)
        proxy.reset_stats()
        events = EventLog()
        engine = make_engine(counter, tuning, events)
        t0 = time.monotonic()
        run = settle(engine, describe=lambda: describe_link(proxy))
        stats = proxy.stats()
    outcome = check_exactly_once(counter, server, expected=REQUESTS)
    assert stats.drops_after_request > 0 and stats.resets + stats.cuts > 0, stats
    # A lost answer's batch is made good by its receipt (issue 11), or, when the receipt's
    # call broke as well, by a resend answered "duplicate": never by storing it twice.
    receipts = [e for e in events.of(PushBroken) if e.outcome == "receipt"]
    assert receipts or outcome.duplicate_answers > 0, outcome.line()
    assert max(e.in_flight for e in events.of(BatchSending)) == 2
    assert events.of(PushBroken)  # breaks there were, made good inside rounds or across
    print(
        f"\n[e2e pipelined faults] {time.monotonic() - t0:.1f}s rounds={run.rounds} "
        f"failed={run.failed_rounds} {outcome.line()} {events.summary()} {_faults(stats)}"
    )


def _faults(stats: LinkStats) -> str:
    return (
        f"resets={stats.resets} cuts={stats.cuts} drops={stats.drops_after_request} "
        f"stalls={stats.stalls} refused={stats.refused} blackholed={stats.blackholed} "
        f"connections={stats.connections_accepted} "
        f"bytes_up={stats.bytes_client_to_server} bytes_down={stats.bytes_server_to_client}"
    )
