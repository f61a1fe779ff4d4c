"""What limits a missed goal: a py-spy sampling profile, summarised for RESULTS.md.

py-spy samples any Python process from outside (this one, the server subprocess, the
program's start-up), so one tool covers every benchmark. The summary keeps what a reader
needs to act: the functions where the samples land (self time) and the project's own
functions that contain them (inclusive), each with its share of the samples.
"""

from __future__ import annotations

import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.common import ROOT

PROJECT_PACKAGES = ("desktop/", "sync/", "server/", "ui/")  # not bench/: its frames wrap all


def py_spy() -> str | None:
    found = shutil.which("py-spy")
    if found:
        return found
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else None


@dataclass
class Profile:
    samples: int
    self_top: list[tuple[str, float]]  # (function, share of samples)
    project_top: list[tuple[str, float]]
    note: str = ""

    def text(self, title: str) -> str:
        if not self.samples:
            return f"{title}: no samples ({self.note or 'py-spy gave nothing'})"
        lines = [
            f"{title} — py-spy, {self.samples} samples{'; ' + self.note if self.note else ''}",
            "  where the time is spent (self):",
        ]
        lines += [f"    {share:5.1%}  {name}" for name, share in self.self_top]
        lines.append("  inside the project's functions (inclusive):")
        lines += [f"    {share:5.1%}  {name}" for name, share in self.project_top]
        return "\n".join(lines)


def _short(frame: str) -> tuple[str, bool]:
    """'func (path:line)' -> 'func (short/path)' and whether it is the project's own code."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    own = False
    for marker in ("site-packages/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        try:
            path = str(Path(path).resolve().relative_to(ROOT))
            own = path.startswith(PROJECT_PACKAGES)
        except ValueError:
            pass
    return f"{name} ({path})", own


def summarise(raw: str, top: int = 8) -> Profile:
    self_counts: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_short(f) for f in stack.split(";") if f]
        if not frames:
            continue
        self_counts[frames[-1][0]] += count
        for name in {name for name, own in frames if own}:
            inclusive[name] += count
    return Profile(
        samples=total,
        self_top=[(n, c / total) for n, c in self_counts.most_common(top)] if total else [],
        project_top=[(n, c / total) for n, c in inclusive.most_common(top)] if total else [],
    )


def import_breakdown(raw: str, top: int = 10) -> list[tuple[str, float]]:
    """Share of samples spent importing each third-party package (outermost import wins),
    the project's own modules' import-time code, and everything that is not an import."""
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        n = int(count_text)
        total += n
        where = "not importing (running)"
        for frame in stack.split(";"):
            name, _, place = frame.partition(" (")
            if name != "<module>":
                continue
            path = place.rstrip(")").rsplit(":", 1)[0]
            if "site-packages/" in path:
                where = "importing " + path.split("site-packages/", 1)[1].split("/", 1)[0]
                break
            if "lib/python3" in path:
                where = "importing the standard library"
                break
            if where == "not importing (running)" and "bench/" not in path:
                where = "the project's modules (import-time code)"
        counts[where] += n
    return [(k, v / total) for k, v in counts.most_common(top)] if total else []


def spy_command(output: str, target: list[str], rate: int = 250) -> list[str] | None:
    """py-spy recording ``target`` (a command line) from its start, or None without py-spy."""
    tool = py_spy()
    if tool is None:
        return None
    return [
        tool,
        "record",
        "--full-filenames",
        "--nonblocking",
        "--rate",
        str(rate),
        "--format",
        "raw",
        "--output",
        output,
        "--",
        *target,
    ]


def record_pid(pid: int, seconds: float, *, idle: bool = False, rate: int = 100) -> Profile:
    """Sample a running process for ``seconds`` (blocks that long)."""
    proc = start_recording(pid, seconds, idle=idle, rate=rate)
    if proc is None:
        return Profile(0, [], [], note="py-spy is not installed (dev extra)")
    return proc.finish()


class Recording:
    def __init__(self, proc: subprocess.Popen[bytes], out: Path) -> None:
        self.proc = proc
        self.out = out

    def running(self) -> bool:
        return self.proc.poll() is None

    def finish(self, timeout: float = 120) -> Profile:
        try:
            _, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        raw = self.out.read_text(encoding="utf-8", errors="replace") if self.out.exists() else ""
        self.out.unlink(missing_ok=True)
        profile = summarise(raw)
        if not profile.samples:
            profile.note = err.decode(errors="replace").strip()[-300:]
        return profile


def start_recording(
    pid: int, seconds: float, *, idle: bool = False, rate: int = 100, subprocesses: bool = False
) -> Recording | None:
    tool = py_spy()
    if tool is None:
        return None
    fd, name = tempfile.mkstemp(prefix="bench-pyspy-", suffix=".txt")
    os.close(fd)
    Path(name).unlink()  # py-spy writes it
    args = [
        tool,
        "record",
        "--full-filenames",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, round(seconds))),
        "--rate",
        str(rate),
        "--format",
        "raw",
        "--output",
        name,
        "--nonblocking",
    ]
    if idle:
        args.append("--idle")
    if subprocesses:
        args.append("--subprocesses")
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return Recording(proc, Path(name))


def profile_self(work: Callable[[], None], seconds: float, *, idle: bool = False) -> Profile:
    """Sample this process while ``work()`` is called over and over for about ``seconds``."""
    rec = start_recording(os.getpid(), seconds, idle=idle)
    if rec is None:
        return Profile(0, [], [], note="py-spy is not installed (dev extra)")
    time.sleep(0.3)  # py-spy attaches before the samples that matter
    while rec.running():
        work()
    return rec.finish()
