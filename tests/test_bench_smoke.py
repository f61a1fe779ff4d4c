"""The benchmarks never rot: every one runs in --quick mode and writes its figures.

Speed is not checked here (the figures of a --quick run mean nothing, and this machine is
shared); only that each benchmark runs to the end, drives the real parts, and appends its
section with figures to the results file it was given.

The benchmarks run in groups, one ``python -m bench --quick NAME...`` process a group and
one test file a group (this file runs the counter's; ``test_bench_smoke_<group>.py`` the
others), so that pytest-xdist's ``--dist loadfile`` spreads them over its workers: all of
them in one process were the suite's longest single unit (docs/TESTING.md). This file also
checks that the groups together are every benchmark ``python -m bench`` knows.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Group → benchmarks: about 20-30 s a group on a quiet machine (docs/TESTING.md has each
# benchmark's time), so that no group is a long unit of its own.
# Each group has a benchmark with a goal that needs no PostgreSQL, so it shows a verdict
# anywhere (ingest's and multinode's goals are PostgreSQL's: printing is with them).
GROUPS: dict[str, tuple[str, ...]] = {
    "counter": ("intake", "startup", "queue", "encryption", "cli"),
    "sync": ("sync", "recovery"),
    "load": ("ingest", "multinode", "printing"),
    "hostile": ("hostile", "fuzz"),
    "scans": ("scans", "console"),
}


def _allowed_skip(name: str) -> str | None:
    """What a benchmark may say it skipped for on this machine (None: it must run)."""
    if name in ("console", "multinode") and not os.environ.get("PISHKHAN_TEST_PG_URL"):
        return "PISHKHAN_TEST_PG_URL"
    if name == "multinode" and not (shutil.which("haproxy") or Path("/usr/sbin/haproxy").exists()):
        return "haproxy"
    return None


def run_group(group: str, tmp_path: Path) -> None:
    """Run one group's benchmarks in --quick mode and check the section each one wrote."""
    names = GROUPS[group]
    results = tmp_path / "RESULTS.md"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            *names,
            "--quick",
            "--no-profile",
            "--results",
            str(results),
            "--cache-dir",
            str(tmp_path / "cache"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        # A hang guard, not a goal: the longest group took ~40 s on a quiet machine, and
        # every benchmark in one process 477 s at load 8 (docs/TESTING.md).
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    text = results.read_text(encoding="utf-8")
    assert "QUICK smoke run" in text
    assert "| SQLite |" in text and "| cores |" in text and "load average" in text
    for name in names:
        section = re.search(rf"^### {name} — .*?(?=^### |\Z)", text, re.M | re.S)
        assert section is not None, f"no section for {name}:\n{text}"
        body = section.group(0)
        assert "**Error**" not in body, body
        reason = _allowed_skip(name)
        if "Skipped" in body and reason is not None:
            assert reason in body, body  # skipped for the reason this machine gives, only
            continue
        assert "Skipped" not in body, body
        figures = re.findall(r"^\| [^|]+ \| [\d,.]+(?: \S+)? \|", body, re.M)
        assert len(figures) >= 3, f"{name} reported too few figures:\n{body}"
    # Goals are written beside their figures, each with a verdict.
    assert re.search(r"\| \*\*(PASS|MISS)\*\* \|", text)


def test_the_groups_are_every_benchmark_once() -> None:
    from bench.__main__ import BENCHMARKS

    grouped = [name for names in GROUPS.values() for name in names]
    assert sorted(grouped) == sorted(BENCHMARKS), "add the benchmark to a group in GROUPS"
    here = Path(__file__).resolve().parent
    for group in GROUPS:
        if group != "counter":  # this file's own
            path = here / f"test_bench_smoke_{group}.py"
            assert f'run_group("{group}", ' in path.read_text(encoding="utf-8"), path


@pytest.mark.timeout(660)
def test_the_counters_benchmarks_run_quick_and_report_figures(tmp_path: Path) -> None:
    run_group("counter", tmp_path)
