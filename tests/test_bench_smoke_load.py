"""Bench smoke, group "load": ingest and multinode (many PCs at once), printing; --quick.

One file a group so that pytest-xdist's ``--dist loadfile`` can run the groups on different
workers; the checks are tests/test_bench_smoke.py's (``run_group``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_bench_smoke import run_group


@pytest.mark.timeout(660)
def test_the_load_benchmarks_run_quick_and_report_figures(tmp_path: Path) -> None:
    run_group("load", tmp_path)
