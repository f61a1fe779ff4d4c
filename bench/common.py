"""What every benchmark shares: figures with their goals, percentiles, memory, the run's context.

A benchmark returns a :class:`BenchResult`: its figures (each maybe with a goal, so PASS
or MISS), its parameters (sizes, link settings), notes, and for a miss what limits it
(a profile summary from :mod:`bench.profile`). Nothing here decides pass or fail of a
test suite: the figures are written down, not asserted.
"""

from __future__ import annotations

import math
import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = ROOT / "bench" / "RESULTS.md"
DEFAULT_CACHE = ROOT / ".bench-cache"
QUICK_STORED = 5_000


@dataclass(frozen=True)
class Goal:
    """A goal such as "≤ 20 ms": ``op`` is one of <=, <, >=, >."""

    op: str
    limit: float
    text: str

    def met(self, value: float) -> bool:
        match self.op:
            case "<=":
                return value <= self.limit
            case "<":
                return value < self.limit
            case ">=":
                return value >= self.limit
            case ">":
                return value > self.limit
        raise ValueError(self.op)


def at_most(limit: float, text: str) -> Goal:
    return Goal("<=", limit, text)


def below(limit: float, text: str) -> Goal:
    return Goal("<", limit, text)


def at_least(limit: float, text: str) -> Goal:
    return Goal(">=", limit, text)


@dataclass
class Figure:
    """One measured number; with a goal it is a PASS or a MISS."""

    label: str
    value: float | None
    unit: str = ""
    goal: Goal | None = None
    note: str = ""
    digits: int = 1

    @property
    def verdict(self) -> str:
        if self.goal is None:
            return ""
        if self.value is None or math.isnan(self.value):
            return "n/a"
        return "PASS" if self.goal.met(self.value) else "MISS"

    def shown(self) -> str:
        if self.value is None:
            return "n/a"
        if self.unit == "×":
            return f"{self.value:.2f}×"
        text = f"{self.value:,.{self.digits}f}"
        return f"{text} {self.unit}".rstrip()


@dataclass
class BenchResult:
    name: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)  # what limits a missed goal
    profile: str = ""  # a profile summary (text block), for a miss
    skipped: str = ""  # why it did not run (a missing part, no PostgreSQL)
    error: str = ""  # a crash inside the benchmark: a bug to fix, reported
    seconds: float = 0.0

    def add(
        self,
        label: str,
        value: float | None,
        unit: str = "",
        goal: Goal | None = None,
        note: str = "",
        digits: int = 1,
    ) -> Figure:
        figure = Figure(label, value, unit, goal, note, digits)
        self.figures.append(figure)
        return figure

    @property
    def misses(self) -> list[Figure]:
        return [f for f in self.figures if f.verdict == "MISS"]


@dataclass(frozen=True)
class RunOptions:
    quick: bool
    cache_dir: Path
    work_dir: Path
    pg_url: str | None
    profile: bool = True

    def size(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    @property
    def stored(self) -> int:
        """Requests in the big local store: a million, or a few thousand for --quick."""
        return self.size(1_000_000, QUICK_STORED)


class Skip(Exception):
    """A benchmark cannot run here (a part not delivered yet, no PostgreSQL): said, not hidden."""


# --------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) with linear interpolation between closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """``with stopwatch() as elapsed: ...; elapsed()`` in seconds (also after the block)."""
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


# --------------------------------------------------------------------------- memory


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes(pid: int | None = None) -> int | None:
    """Resident set size now: /proc on Linux; psutil elsewhere if it is there; else None."""
    path = Path(f"/proc/{pid or 'self'}/statm")
    if path.exists():
        return int(path.read_text().split()[1]) * _PAGE
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError:
        return None
    return int(psutil.Process(pid or os.getpid()).memory_info().rss)


# --------------------------------------------------------------------------- the run's context


def loadavg() -> tuple[float, float, float] | None:
    try:
        return os.getloadavg()
    except (AttributeError, OSError):  # Windows
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return f"{line.split('=', 1)[1].strip(chr(34))} ({platform.release()})"
    except OSError:
        pass
    return platform.platform()


def git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short=10", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}{' (+ uncommitted changes)' if dirty else ''}"


def machine() -> dict[str, str]:
    """The facts RESULTS.md records about where the numbers were made."""
    ram = _ram_gib()
    try:
        from PySide6 import __version__ as qt_version
    except ImportError:
        qt_version = "not installed"
    return {
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count()),
        "RAM": f"{ram:.1f} GiB" if ram else "unknown",
        "OS": _os_name(),
        "Python": sys.version.split()[0],
        "SQLite": sqlite3.sqlite_version,
        "PySide6": qt_version,
        "commit": git_commit(),
    }
