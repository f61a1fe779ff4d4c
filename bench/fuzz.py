"""Benchmark: a longer schema-driven fuzzing run against the real server (SQLite, and
PostgreSQL when PISHKHAN_TEST_PG_URL is set), as tests/server/test_fuzz.py does bounded.

Figures: test cases generated and run, wall time, cases per second, failures (any 5xx, an
answer the OpenAPI document does not promise, schema-invalid data accepted) and server
errors in the server's log. The goal is no failure at all.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from bench.common import BenchResult, RunOptions, at_most

NAME = "fuzz"
TITLE = "Schema-driven fuzzing (schemathesis) of the central server"


@contextlib.contextmanager
def _server(opts: RunOptions, key: str, pg_url: str | None) -> Iterator[object]:
    from tests.support.server import postgres_schema_url, start_server

    args = ("--auth-failures-burst", "1000000")
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(postgres_schema_url(pg_url)) if pg_url else None
        yield stack.enter_context(
            start_server(opts.work_dir / f"fuzz-{key}", database_url=url, extra_args=args)
        )


def run(opts: RunOptions) -> BenchResult:
    from tests.support.fuzz import PHASES, fuzz

    res = BenchResult(NAME, TITLE)
    examples = opts.size(40, 3)
    res.params = {"examples per operation": examples, "phases": "all four", "seed": "fixed"}
    backends: list[tuple[str, str | None]] = [("SQLite", None)]
    if opts.pg_url:
        backends.append(("PostgreSQL", opts.pg_url))
    for label, url in backends:
        with _server(opts, label.lower(), url) as server:
            outcome = fuzz(
                server,
                opts.work_dir / f"st-{label.lower()}",
                max_examples=examples,
                phases=PHASES if not opts.quick else ("examples", "fuzzing"),
            )
            log = server.log_text()  # type: ignore[attr-defined]
        match = re.search(r"(\d+) generated, (\d+) passed(?:, (\d+) failed)?", outcome.output)
        generated = int(match.group(1)) if match else 0
        failed = int(match.group(3) or 0) if match else (0 if outcome.ok else 1)
        # Errors (a failed health check, a crash in a hook) are not failed cases, yet the
        # run did not do its work: they count too.
        errors_found = re.search(r"(\d+) errors?\b[^\n]* in [\d.]+s", outcome.output)
        failed += int(errors_found.group(1)) if errors_found else 0
        if not outcome.ok and failed == 0:
            failed = 1
        errors = log.count("unhandled error")
        res.add(f"{label}: test cases", generated, "", digits=0)
        res.add(f"{label}: wall time", outcome.seconds, "s", digits=0)
        res.add(
            f"{label}: cases per second", generated / max(outcome.seconds, 1e-9), "/s", digits=0
        )
        res.add(f"{label}: failures", failed, "", at_most(0, "0"), digits=0)
        res.add(f"{label}: server errors logged", errors, "", at_most(0, "0"), digits=0)
        links = re.search(r"API Links:\s+(.*)", outcome.output)
        res.notes.append(
            f"{label}: schemathesis exit {outcome.returncode}"
            + (f"; stateful links {links.group(1).strip()}" if links else "")
        )
        if not outcome.ok:
            res.notes.append(f"{label}: " + outcome.output[-2000:].replace("\n", " | "))
    return res
