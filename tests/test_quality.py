"""Quality gates that run with the suite: ruff (lint and format) on the whole tree, mypy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_ruff_is_clean() -> None:
    res = _run("ruff", "check", "--output-format", "concise", ".")
    assert res.returncode == 0, res.stdout + res.stderr


def test_ruff_format_leaves_every_file_as_it_is() -> None:
    res = _run("ruff", "format", "--check", ".")
    assert res.returncode == 0, res.stdout + res.stderr


def test_mypy_is_clean_on_the_core_and_the_server() -> None:
    # Packages (rules, desktop, sync, server) and options come from [tool.mypy] in pyproject.toml.
    res = _run("mypy")
    assert res.returncode == 0, res.stdout + res.stderr
