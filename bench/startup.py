"""Benchmark 2: start-up, process start to login window shown, with a million-request store.

Each run is a fresh process (``bench/startup_probe.py``): the real program through its
entry point (``desktop.__main__.main``: arguments, logging, ``ui.app.run_gui``: the
office read from the database, the login window shown; meanwhile, on the worker thread,
the store opened and its schema checked, the context built, the catalogue seeded) on a
copy of the cached million-request store, offscreen. The figure is the login window
shown (the loop turn after its first paint); "ready" (the store open, a login can be
checked) is reported beside it. The baseline, in the same run and alternating with it,
is a bare PySide6 dialog with the same widgets a login window has. Each side is also
given less the time its main thread waited for a CPU (the shared machine's load).
Medians of several runs; the first run of each is a warm-up (file cache, ``.pyc``) and
not counted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, BenchResult, RunOptions, at_most, median, ratio
from bench.million import copy_store
from bench.profiling import Profile, import_breakdown, spy_command, summarise

NAME = "startup"
TITLE = "Start-up: process start to login window shown, a million requests stored"
PROBE = "bench.startup_probe"  # run with -m: a script's folder on sys.path would shadow modules


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    # An installed program has its modules compiled (.pyc, or the bundle's); the warm-up
    # run writes them, so neither side is measured compiling source.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def start_once(kind: str, data_dir: Path | None = None) -> dict[str, float]:
    """Seconds from spawn to each mark of the probe (``shown`` is the figure); beside them
    ``cpu:<mark>`` (CPU seconds used by then), ``preempted:<mark>`` and ``blocked:<mark>``
    (involuntary and voluntary context switches), ``faults:<mark>`` (major page faults)
    and ``waited:<mark>`` (seconds the main thread waited for a CPU), see
    bench/startup_probe.py."""
    args = [sys.executable, "-m", PROBE, kind] + ([str(data_dir)] if data_dir else [])
    t0 = time.perf_counter()
    proc = subprocess.run(args, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(
            f"start-up probe {kind} failed ({proc.returncode}): {proc.stderr[-800:]}"
        )
    marks = json.loads(proc.stdout.strip().splitlines()[-1])
    window = marks.pop("window")
    core_before_window = marks.pop("core_before_window", False)
    marks.pop("encrypted", None)  # facts, not moments
    marks.pop("qt_namespace_before_window", None)
    usage: dict[str, list[float]] = marks.pop("usage", {})
    wanted = "LoginDialog" if kind == "app" else "QDialog"
    if window != wanted:
        raise RuntimeError(
            f"start-up probe {kind}: the first window shown was {window}, not {wanted}"
        )
    times = {k: v - t0 for k, v in marks.items()}
    times["core_before_window"] = 1.0 if core_before_window else 0.0
    for name, (cpu, preempted, blocked, faults, waited) in usage.items():
        times[f"waited:{name}"] = waited
        times[f"cpu:{name}"] = cpu
        times[f"preempted:{name}"] = preempted
        times[f"blocked:{name}"] = blocked
        times[f"faults:{name}"] = faults
    return times


def _profile_start(data_dir: Path) -> tuple[Profile, list[tuple[str, float]]]:

    out = data_dir.parent / "startup-profile.txt"
    command = spy_command(str(out), [sys.executable, "-m", PROBE, "app", str(data_dir)])
    if command is None:
        return Profile(0, [], [], note="py-spy is not installed (dev extra)"), []
    subprocess.run(command, cwd=ROOT, env=_env(), capture_output=True, timeout=300)
    raw = out.read_text(encoding="utf-8", errors="replace") if out.exists() else ""
    return summarise(raw, top=10), import_breakdown(raw)


def run(opts: RunOptions) -> BenchResult:
    res = BenchResult(NAME, TITLE)
    existing = opts.stored
    runs = opts.size(7, 1)
    res.params = {
        "requests stored": f"{existing:,}",
        f"runs each ({'no' if opts.quick else 'after one'} warm-up)": runs,
        "platform": "offscreen",
    }
    # Named as the per-user data folder: the probe starts the program without arguments.
    data_dir = copy_store(opts.cache_dir, existing, opts.work_dir / "startup" / "Pishkhan")
    if not opts.quick:  # a --quick run's one start of each is not a figure
        start_once("bare")  # warm-up: .pyc files, the file cache, Qt's font cache
        start_once("app", data_dir)
    app_runs: list[dict[str, float]] = []
    bare_runs: list[dict[str, float]] = []
    for _ in range(runs):
        app_runs.append(start_once("app", data_dir))
        bare_runs.append(start_once("bare"))

    med = _mark
    app_shown, bare_shown = med(app_runs, "shown"), med(bare_runs, "shown")
    res.add("program: login window shown (median)", app_shown * 1000, "ms", digits=0)
    res.add("baseline: bare PySide6 window shown (median)", bare_shown * 1000, "ms", digits=0)
    res.add("program ÷ baseline", ratio(app_shown, bare_shown), "×", at_most(1.5, "≤ 1.5×"))
    res.add("program: slowest run", max(r["shown"] for r in app_runs) * 1000, "ms", digits=0)
    app_unloaded = median([unloaded(r) for r in app_runs])
    bare_unloaded = median([unloaded(r) for r in bare_runs])
    res.add(
        "program ÷ baseline, each less its wait for a CPU (the machine's load)",
        ratio(app_unloaded, bare_unloaded),
        "×",
        note=f"{app_unloaded * 1000:,.0f} against {bare_unloaded * 1000:,.0f} ms",
    )
    res.add(
        "program: ready to log in (store opened on the worker meanwhile, median)",
        med(app_runs, "ready") * 1000,
        "ms",
        digits=0,
    )
    loaded = sum(1 for r in app_runs if r["core_before_window"])
    res.notes.append(
        f"SQLAlchemy had been imported when the login window was shown in "
        f"{loaded} of {len(app_runs)} runs (the store is opened after it is shown)"
    )
    phases = _phases(app_runs)
    res.notes.append(
        "program's start, medians: " + "; ".join(f"{name} {ms:,.0f} ms" for name, ms in phases)
    )
    res.notes.append(
        "baseline's start, medians: interpreter start "
        f"{med(bare_runs, 'main') * 1000:,.0f} ms; PySide6 imported "
        f"{(med(bare_runs, 'ui_imported') - med(bare_runs, 'main')) * 1000:,.0f} ms"
    )
    if res.misses and opts.profile:
        profile, imports = _profile_start(data_dir)
        res.profile = profile.text(
            "the program's start-up to the login window (py-spy, 250 Hz, one start)"
        )
        if imports:
            res.profile += (
                "\n  by what is being imported (outermost third-party import):\n"
                + "\n".join(f"    {share:5.1%}  {name}" for name, share in imports)
            )
        res.limits.append(_explain(phases, bare_shown * 1000))
    return res


def unloaded(run: dict[str, float], key: str = "shown") -> float:
    """A mark's time less what the main thread spent waiting for a CPU until then (the
    machine's other load; 0 where the system does not say): near what a quiet machine
    would show, for comparing runs made under different loads."""
    return run[key] - run.get(f"waited:{key}", 0.0)


def _mark(runs: list[dict[str, float]], key: str) -> float:
    """The median over the runs of one mark's time since spawn."""
    return median([r[key] for r in runs if key in r])


def _phases(app_runs: list[dict[str, float]]) -> list[tuple[str, float]]:
    steps = [
        ("interpreter start", "main", None),
        (
            "arguments, logging, the light core, then the UI (PySide6 and the login "
            "window's modules) imported",
            "ui_imported",
            "main",
        ),
        ("application object, fonts, theme", "application_created", "application_start"),
        ("translations, office read, login window built and shown", "shown", "application_created"),
        ("after it is shown: store opened, context built (worker)", "ready", "shown"),
    ]
    out = []
    for name, end, start in steps:
        value = _mark(app_runs, end) - (_mark(app_runs, start) if start else 0.0)
        out.append((name, value * 1000))
    return out


def _explain(phases: list[tuple[str, float]], bare_ms: float) -> str:
    biggest = max(phases, key=lambda p: p[1])
    return (
        f"the largest part of the start is {biggest[0]} ({biggest[1]:,.0f} ms, against "
        f"{bare_ms:,.0f} ms for the whole bare start); see the profile for the modules"
    )
