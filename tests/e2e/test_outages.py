"""The link goes down, or the server dies, in the middle of a push: still exactly once.

- refused: the line is down (connections reset at once) for a while, then back.
- blackhole: the line hangs (nothing moves; the client times out), then the held bytes
  flow again, so the server may store a push whose client gave up long ago.
- server killed: SIGKILL while a push is in flight, started again on the same port and
  database; the proxy meanwhile cannot reach it.
"""

from __future__ import annotations

import random
import time

import pytest

from tests.e2e.conftest import REQUESTS
from tests.support.e2e import (
    CentralServer,
    ClientTuning,
    Counter,
    Disruption,
    EventLog,
    LinkOutage,
    check_exactly_once,
    describe_link,
    make_engine,
    settle,
)
from tests.support.faultproxy import FaultProxy, LinkConfig

pytestmark = pytest.mark.slow

OUTAGES = {
    "refused": (LinkConfig(refuse_connections=True), "refused",
                ClientTuning()),
    "blackhole": (LinkConfig(blackhole=True), "blackholed",
                  ClientTuning(connect_timeout=1.0, read_timeout_base=1.0,
                               worst_rate_bytes=1_000_000)),
}


@pytest.mark.parametrize("kind", list(OUTAGES))
def test_link_down_mid_push_then_restored(kind: str, server: CentralServer,
                                           counter: Counter) -> None:
    down, stat, tuning = OUTAGES[kind]
    with FaultProxy("127.0.0.1", server.port, config=LinkConfig(rtt_ms=40)) as proxy:
        counter.enrol(server, proxy.url_for())
        proxy.reset_stats()
        outage = LinkOutage(proxy, down, min_down_s=1.0, min_failed_rounds=2,
                            in_flight=counter.sending)
        # Twice: early in the run and again in its middle.
        trigger = Disruption({2, 6}, outage.go_down, max_delay_s=0.1, rng=random.Random(7),
                             counting=lambda: outage.is_up)
        events = EventLog(observers=[outage, trigger])
        t0 = time.monotonic()
        run = settle(make_engine(counter, tuning, events), describe=lambda: describe_link(proxy))
        trigger.join()
        stats = proxy.stats()
    outcome = check_exactly_once(counter, server, expected=REQUESTS)
    assert len(outage.outages) == 2, outage.outages
    assert getattr(stats, stat) > 0, stats
    print(f"\n[e2e {kind}] {time.monotonic() - t0:.1f}s rounds={run.rounds} "
          f"failed={run.failed_rounds} outages={outage.outages} in_flight={trigger.fired} "
          f"{outcome.line()} {events.summary()} {stats}")


def test_server_killed_mid_batch_and_restarted(server: CentralServer, counter: Counter) -> None:
    with FaultProxy("127.0.0.1", server.port, config=LinkConfig(rtt_ms=40)) as proxy:
        counter.enrol(server, proxy.url_for())

        def kill_and_restart() -> dict[str, float]:
            sending = counter.sending()
            server.kill()
            t = time.monotonic()
            server.start()  # same port, same database
            return {"sending": sending, "down_s": round(time.monotonic() - t, 2)}

        killer = Disruption({2, 5, 9}, kill_and_restart, max_delay_s=0.15,
                            rng=random.Random(11))
        events = EventLog(observers=[killer])
        t0 = time.monotonic()
        run = settle(make_engine(counter, ClientTuning(), events),
                     describe=lambda: describe_link(proxy))
        killer.join()
        stats = proxy.stats()
    assert server.kills == 3, killer.fired
    outcome = check_exactly_once(counter, server, expected=REQUESTS, log_complete=False)
    print(f"\n[e2e server_killed] {time.monotonic() - t0:.1f}s rounds={run.rounds} "
          f"failed={run.failed_rounds} kills={killer.fired} {outcome.line()} "
          f"{events.summary()} {stats}")
