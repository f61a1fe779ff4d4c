"""``python -m bench [names...] [--quick]``: run the benchmarks, print, append to RESULTS.md.

Names: intake, startup, queue, sync, recovery, ingest, fuzz, multinode, hostile, console,
cli, printing, encryption, scans (all by default, in that order). A benchmark
that crashes is reported as an error and the others still run; the exit status is 1
then (a broken benchmark is a bug), and never because a goal was missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from bench import report
from bench.common import (
    DEFAULT_CACHE,
    DEFAULT_RESULTS,
    BenchResult,
    RunOptions,
    Skip,
    git_commit,
    loadavg,
    machine,
)

BENCHMARKS = {
    "intake": "bench.intake",
    "startup": "bench.startup",
    "queue": "bench.queueview",
    "sync": "bench.rural",
    "recovery": "bench.recovery",
    "ingest": "bench.ingest",
    "fuzz": "bench.fuzz",
    "multinode": "bench.multinode",
    "hostile": "bench.hostile",
    "console": "bench.console",
    "cli": "bench.cli",
    "printing": "bench.printing",
    "encryption": "bench.encryption",
    "scans": "bench.scans",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run (default all): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes: a smoke run that checks the benchmarks work",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=DEFAULT_RESULTS,
        help="the results file to append to (default bench/RESULTS.md)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=DEFAULT_CACHE,
        help="where the million-request store is kept between runs",
    )
    parser.add_argument(
        "--no-profile", action="store_true", help="do not profile missed goals (py-spy)"
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("PISHKHAN_TEST_PG_URL"),
        help="PostgreSQL URL for the ingest benchmark (default PISHKHAN_TEST_PG_URL)",
    )
    return parser


def run_one(name: str, opts: RunOptions) -> BenchResult:
    started = time.perf_counter()
    try:
        module = importlib.import_module(BENCHMARKS[name])
        result: BenchResult = module.run(opts)
    except Skip as exc:
        result = BenchResult(name, name, skipped=str(exc))
    except Exception as exc:
        traceback.print_exc()
        result = BenchResult(name, name, error=f"{type(exc).__name__}: {exc}")
    result.seconds = time.perf_counter() - started
    return result


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}",
            file=sys.stderr,
        )
        return 2
    names = args.names or list(BENCHMARKS)
    # A stopped run still stops the servers and proxies it started (their context managers).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = dt.datetime.now(dt.UTC)
    load_before = loadavg()
    info = machine()
    print("bench: " + ", ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    # The work folder sits beside the cache so that copying a 1 GB store is one filesystem.
    work = Path(tempfile.mkdtemp(prefix="run-", dir=args.cache_dir))
    results: list[BenchResult] = []
    try:
        opts = RunOptions(
            quick=args.quick,
            cache_dir=args.cache_dir,
            work_dir=work,
            pg_url=args.pg_url,
            profile=not args.no_profile,
        )
        for name in names:
            result = run_one(name, opts)
            report.print_result(result)
            results.append(result)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    end_commit = git_commit()
    if end_commit != info["commit"]:
        # Others commit and edit while a long run goes on: say so, a benchmark may have run
        # either version of their code.
        info["commit"] += (
            f"; at the end of the run: {end_commit} (the commit or the "
            f"working tree changed during the run)"
        )
    text = report.section(
        results,
        started=started,
        quick=args.quick,
        machine=info,
        load_before=load_before,
        load_after=loadavg(),
        argv=argv,
    )
    report.append(args.results, text)
    print(f"bench: results appended to {args.results}")
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
