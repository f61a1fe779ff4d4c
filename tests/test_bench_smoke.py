"""The benchmarks never rot: every one runs in --quick mode and writes its figures.

Speed is not checked here (the figures of a --quick run mean nothing, and this machine is
shared); only that each benchmark runs to the end, drives the real parts, and appends its
section with figures to the results file it was given.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ("intake", "startup", "queue", "sync", "ingest", "cli")


@pytest.mark.timeout(1100)
def test_every_benchmark_runs_quick_and_reports_figures(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
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
        # A hang guard, not a goal: every quick benchmark in one process took 477 s at
        # load 8 beside the other test worker (docs/TESTING.md).
        timeout=1000,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    text = results.read_text(encoding="utf-8")
    assert "QUICK smoke run" in text
    assert "| SQLite |" in text and "| cores |" in text and "load average" in text
    for name in BENCHMARKS:
        section = re.search(rf"^### {name} — .*?(?=^### |\Z)", text, re.M | re.S)
        assert section is not None, f"no section for {name}:\n{text}"
        body = section.group(0)
        assert "Skipped" not in body and "**Error**" not in body, body
        figures = re.findall(r"^\| [^|]+ \| [\d,.]+(?: \S+)? \|", body, re.M)
        assert len(figures) >= 3, f"{name} reported too few figures:\n{body}"
    # Goals are written beside their figures, each with a verdict.
    assert re.search(r"\| \*\*(PASS|MISS)\*\* \|", text)
