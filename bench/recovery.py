"""Recovery on a bad line: the batch and backoff rules of issue 11 against the rules before.

``python -m bench recovery``: the real engine (``desktop.synccli.make_engine``) syncs a
counter's backlog through the fault proxy on the rural line (256 kbit/s shared, 300 ms),
once with the faults profile of ``bench/rural.py`` and once with a lossier one, each with
the batch rule and backoff of this release and with the rule before issue 11 (every broken
transfer halves the batch, only a full fast batch doubles it; backoff by failure count
alone), same process, same seeds, both starting at batches of 20. Figures: time until
nothing waits, and the rule before ÷ this one; items per push; pushes of one item; rounds
that failed and time spent in backoff (notes).
"""

from __future__ import annotations

import random
import time
from typing import Any

from bench.common import BenchResult, RunOptions, ratio
from bench.rural import FAULTS, QUICK_LINK, RURAL, SEGMENT_OVERHEAD, _scenario, counter_template
from sync.backoff import Backoff
from sync.batches import BatchPolicy

NAME = "recovery"
TITLE = "Recovery on a bad line: batch size and backoff after faults (issue 11)"
LOSSY = {
    "reset_probability": 0.05,
    "drop_after_request_probability": 0.05,
    "cut_response_probability": 0.03,
}
# Both rules start at the production size (20) and grow by their own rule: no jump to
# 250 for a large backlog, which would hide how each rule moves the size.
START = {"size": 20, "large_start": 1_000_000}
BOUND_S = 900.0
SEEDS = (7, 8, 9)  # the proxy's and the backoff's, the same for both rules
# --quick drives every path (both profiles, both rules, the fault proxy, the engine) with one
# seed: each seed is a server start, enrolment and drain of its own, the same code again.
QUICK_SEEDS = SEEDS[:1]


class HalvingPolicy(BatchPolicy):
    """The batch rule before issue 11: halve on every broken transfer."""

    def answered(self, sent: int, seconds: float) -> None:
        if seconds >= self.slow_seconds:
            self.shrink(sent)
        elif sent >= self.size and seconds <= self.fast_seconds:
            self.size = min(self.ceiling, self.size * 2)

    def broken(self, sent: int, *, timeout: bool) -> None:
        self.shrink(sent)

    def too_large(self, sent: int) -> None:
        self.shrink(sent)


def _drain(
    counter: Any,
    proxy: Any,
    *,
    old: bool,
    seed: int,
    limit_s: float,
    fixed_wait: bool = False,
    head_wait: float | None = None,
) -> dict[str, Any]:
    """Sync until nothing waits. ``old``: the batch and backoff rules before issue 11;
    ``fixed_wait``: the wait for an answer's head fixed at its base (before it was learnt);
    ``head_wait``: that base (None: production's 30 s)."""
    from desktop.synccli import make_engine
    from sync.client import DEFAULT_HEAD_WAIT_FLOOR, DEFAULT_READ_TIMEOUT_BASE

    # Production's waits unless told (a 30 s base, a learnt wait of at least 10 s); the
    # quick run scales the floor with its shorter base.
    base = head_wait if head_wait is not None else DEFAULT_READ_TIMEOUT_BASE
    floor = (
        base
        if fixed_wait
        else DEFAULT_HEAD_WAIT_FLOOR
        if head_wait is None
        else base * DEFAULT_HEAD_WAIT_FLOOR / DEFAULT_READ_TIMEOUT_BASE
    )
    from sync.engine import BatchAnswered, RoundFailed

    sizes: list[int] = []
    failed = [0]

    def on_event(event: Any) -> None:
        if isinstance(event, BatchAnswered):
            sizes.append(event.size)
        elif isinstance(event, RoundFailed):
            failed[0] += 1

    backoff = Backoff(rng=random.Random(seed), outage_share=1e9 if old else 0.5)
    policy = HalvingPolicy(**START) if old else BatchPolicy(**START)
    engine = make_engine(
        counter.store,
        counter.data_dir,
        on_event=on_event,
        backoff=backoff,
        batch_policy=policy,
        read_timeout_base=base,
        head_wait_floor=floor,
    )
    proxy.reset_stats()
    t0 = time.perf_counter()
    deadline = t0 + limit_s
    waited = 0.0
    finished = False
    while time.perf_counter() < deadline:
        wait = min(engine.seconds_until_due(), max(0.0, deadline - time.perf_counter()))
        if wait > 0:
            waited += wait
            time.sleep(wait)
        result = engine.run_round()
        if result.ok and result.waiting == 0:
            finished = True
            break
    stats = proxy.stats()
    return {
        "finished": finished,
        "seconds": time.perf_counter() - t0,
        "pushes": len(sizes),
        "items_per_push": sum(sizes) / max(1, len(sizes)),
        "single_item_share": sum(1 for s in sizes if s == 1) / max(1, len(sizes)),
        "failed_rounds": failed[0],
        "backoff_s": waited,
        "faults": {
            k: getattr(stats, k) for k in ("resets", "cuts", "drops_after_request", "stalls")
        },
    }


def run(opts: RunOptions) -> BenchResult:
    from tests.support.faultproxy import LinkConfig

    res = BenchResult(NAME, TITLE)
    n = opts.size(3_000, 60)
    link = QUICK_LINK if opts.quick else RURAL
    template = counter_template(opts.cache_dir, n)
    clean = LinkConfig(
        rtt_ms=link.rtt_ms,
        rate_bps=link.rate_bps,
        shared_line=True,
        segment_overhead_bytes=SEGMENT_OVERHEAD,
        seed=5,
    )
    profiles = {"faults": FAULTS, "lossy": LOSSY}
    seeds = QUICK_SEEDS if opts.quick else SEEDS
    res.params = {
        "requests": f"{n:,}",
        "link": f"{link.rate_bps // 1000} kbit/s shared, {link.rtt_ms:.0f} ms round trip",
        **{
            f"{name} profile": ", ".join(f"{k} {v:.1%}" for k, v in faults.items())
            for name, faults in profiles.items()
        },
        "engine": "desktop.synccli.make_engine, production backoff (seeded), batches from 20",
    }
    for name, faults in profiles.items():
        totals: dict[bool, dict[str, float]] = {}
        for old in (True, False):
            agg = {"seconds": 0.0, "pushes": 0.0, "items": 0.0, "single": 0.0, "failed": 0.0}
            agg.update(backoff=0.0, unfinished=0.0)
            for seed in seeds:
                work = opts.work_dir / f"recovery-{name}-{'old' if old else 'new'}-{seed}"
                with _scenario(work, template, clean) as (server, proxy, counter):
                    counter.enrol(server, proxy.url_for())
                    proxy.set_config(clean.replace(**faults, seed=seed))
                    r = _drain(counter, proxy, old=old, seed=seed, limit_s=BOUND_S)
                agg["seconds"] += r["seconds"]
                agg["pushes"] += r["pushes"]
                agg["items"] += r["items_per_push"] * r["pushes"]
                agg["single"] += r["single_item_share"] * r["pushes"]
                agg["failed"] += r["failed_rounds"]
                agg["backoff"] += r["backoff_s"]
                agg["unfinished"] += 0 if r["finished"] else 1
                res.notes.append(
                    f"{name}, {'rule before' if old else 'this rule'}, seed {seed}: "
                    f"{r['seconds']:.1f} s, {r['pushes']} pushes answered, "
                    f"{r['failed_rounds']} rounds failed, {r['backoff_s']:.1f} s of backoff, "
                    f"faults injected {r['faults']}"
                    + ("" if r["finished"] else f" (stopped at {BOUND_S:.0f} s)")
                )
            totals[old] = agg
        runs = len(seeds)
        for label, agg in (("rule before issue 11", totals[True]), ("this rule", totals[False])):
            pushes = max(1.0, agg["pushes"])
            res.add(
                f"{name}: {label}: until nothing waits (mean of {runs})", agg["seconds"] / runs, "s"
            )
            res.add(f"{name}: {label}: items per answered push", agg["items"] / pushes, "")
            res.add(
                f"{name}: {label}: pushes of one item", 100 * agg["single"] / pushes, "%", digits=0
            )
            res.add(f"{name}: {label}: rounds failed (all runs)", agg["failed"], "", digits=0)
            res.add(f"{name}: {label}: backoff waited (all runs)", agg["backoff"], "s")
        res.add(
            f"{name}: rule before ÷ this rule (time until nothing waits, {runs} seeds)",
            ratio(totals[True]["seconds"], totals[False]["seconds"]),
            "×",
        )
    _stalled_answer(res, opts, template, clean)
    return res


#: A push answer held this long before its head (the server answered; the line stopped).
STALL_MS = 120_000
#: --quick: the same paths at a tenth of the waits (a 3 s base, a 20 s stall).
QUICK_HEAD_WAIT, QUICK_STALL_MS = 3.0, 20_000
STALLED_TURN = 4  # a push in the middle of the backlog (two are in flight)


def _stalled_answer(res: BenchResult, opts: RunOptions, template: Any, clean: Any) -> None:
    """The same backlog with one push answer stalled before its head, on an otherwise
    clean line: the wait for the head fixed at 30 s (as before) against the learnt one."""
    seconds: dict[bool, float] = {}
    base = QUICK_HEAD_WAIT if opts.quick else None
    stall_ms = QUICK_STALL_MS if opts.quick else STALL_MS
    for fixed in (True, False):
        work = opts.work_dir / f"recovery-stall-{'fixed' if fixed else 'learnt'}"
        with _scenario(work, template, clean) as (server, proxy, counter):
            counter.enrol(server, proxy.url_for())
            proxy.reset_stats()
            proxy.set_config(
                clean.replace(stall_response_turns=frozenset({STALLED_TURN}), stall_ms=stall_ms)
            )
            r = _drain(
                counter,
                proxy,
                old=False,
                seed=SEEDS[0],
                limit_s=BOUND_S,
                fixed_wait=fixed,
                head_wait=base,
            )
        seconds[fixed] = r["seconds"]
        label = (
            f"wait for the head fixed at {base or 30:g} s"
            if fixed
            else "wait learnt from the answers"
        )
        res.notes.append(
            f"stalled answer, {label}: {r['seconds']:.1f} s, {r['pushes']} pushes answered, "
            f"{r['failed_rounds']} rounds failed, {r['backoff_s']:.1f} s of backoff, "
            f"faults injected {r['faults']}"
        )
        res.add(
            f"one answer stalled before its head: {label}: until nothing waits", r["seconds"], "s"
        )
    res.add(
        "one answer stalled: seconds the learnt wait saves",
        seconds[True] - seconds[False],
        "s",
    )
