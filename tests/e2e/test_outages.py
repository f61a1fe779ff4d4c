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
from tests.e2e.disruptions import Disruption, LinkOutage
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
from tests.support.faultproxy import FaultProxy, LinkConfig

pytestmark = pytest.mark.slow

OUTAGES = {
    "refused": (LinkConfig(refuse_connections=True), "refused", ClientTuning()),
    "blackhole": (
        LinkConfig(blackhole=True),
        "blackholed",
        ClientTuning(connect_timeout=1.0, read_timeout_base=1.0, worst_rate_bytes=1_000_000),
    ),
}


@pytest.mark.parametrize("kind", list(OUTAGES))
def test_link_down_mid_push_then_restored(
    kind: str, server: CentralServer, counter: Counter
) -> None:
    down, stat, tuning = OUTAGES[kind]
    with FaultProxy("127.0.0.1", server.port, config=LinkConfig(rtt_ms=40)) as proxy:
        counter.enrol(server, proxy.url_for())
        proxy.reset_stats()
        outage = LinkOutage(
            proxy, down, min_down_s=1.0, min_failed_rounds=2, in_flight=counter.sending
        )
        # Twice: early in the run and again in its middle.
        trigger = Disruption(
            {2, 6},
            outage.go_down,
            max_delay_s=0.1,
            rng=random.Random(7),
            counting=lambda: outage.is_up,
        )
        events = EventLog(observers=[outage, trigger])
        t0 = time.monotonic()
        run = settle(make_engine(counter, tuning, events), describe=lambda: describe_link(proxy))
        trigger.join()
        stats = proxy.stats()
    outcome = check_exactly_once(counter, server, expected=REQUESTS)
    assert len(outage.outages) == 2, outage.outages
    assert getattr(stats, stat) > 0, stats
    print(
        f"\n[e2e {kind}] {time.monotonic() - t0:.1f}s rounds={run.rounds} "
        f"failed={run.failed_rounds} outages={outage.outages} in_flight={trigger.fired} "
        f"{outcome.line()} {events.summary()} {stats}"
    )


def test_server_killed_mid_batch_and_restarted(server: CentralServer, counter: Counter) -> None:
    rng = random.Random(11)
    with FaultProxy("127.0.0.1", server.port, config=LinkConfig(rtt_ms=40)) as proxy:
        counter.enrol(server, proxy.url_for())

        def kill_and_restart(when: str) -> dict[str, object]:
            in_flight = counter.sending_ids()
            if when == "after_commit":
                # The batch is in the server's database; its answer is not yet at the client.
                deadline = time.monotonic() + 15
                while server.stored_among(in_flight) < len(in_flight) > 0:
                    assert time.monotonic() < deadline, "the batch in flight was never stored"
                    time.sleep(0.002)  # polling the server's database for the commit
            else:
                time.sleep(rng.uniform(0.0, 0.05 if when == "on_the_wire" else 0.4))
                in_flight = counter.sending_ids()
            stored = server.stored_among(in_flight)
            server.kill()
            t = time.monotonic()
            server.start()  # same port, same database
            return {
                "when": when,
                "in_flight": len(in_flight),
                "stored_at_kill": stored,
                "restart_s": round(time.monotonic() - t, 2),
            }

        plan = iter(["on_the_wire", "after_commit", "random"])
        # Pushes tried while the server is down are not counted.
        killer = Disruption(
            {2, 5, 9},
            lambda: kill_and_restart(next(plan)),
            max_delay_s=0.0,
            rng=rng,
            counting=lambda: server.running is not None,
        )
        events = EventLog(observers=[killer])
        t0 = time.monotonic()
        # While the server is down the engine backs off as it would (capped at 1 s here).
        tuning = ClientTuning(backoff_cap=1.0)
        run = settle(make_engine(counter, tuning, events), describe=lambda: describe_link(proxy))
        killer.join()
        stats = proxy.stats()
    assert server.kills == 3, killer.fired
    after_commit = next(k for k in killer.fired if k["when"] == "after_commit")
    assert after_commit["stored_at_kill"] == after_commit["in_flight"] > 0, killer.fired
    outcome = check_exactly_once(counter, server, expected=REQUESTS, log_complete=False)
    print(
        f"\n[e2e server_killed] {time.monotonic() - t0:.1f}s rounds={run.rounds} "
        f"failed={run.failed_rounds} kills={killer.fired} {outcome.line()} "
        f"{events.summary()} {stats}"
    )
