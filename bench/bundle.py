"""Bundle benchmark (issue 4): the frozen program's size and its start time against source.

    python -m bench.bundle [--runs 5] [--bundle DIR] [--no-untrimmed] [--installer] [--no-record]

Builds the bundle twice with build.spec: once as PyInstaller leaves it
(``PISHKHAN_BUNDLE_UNTRIMMED=1``: no exclusions, no filters, no strip) and once
as shipped, and reports both sizes. Then times ``--version`` and ``--smoke``
of the frozen program against ``python -m desktop`` from source, alternating
the two in one run; the first pair is a warm-up (file cache) and not counted.
Wall time and, on Linux, the CPU time of the child (a loaded shared machine
stretches wall time; CPU time says more there). Medians; ratios frozen/source.

Everything runs on a snapshot of the last commit (``git archive HEAD``), both
the builds and the source runs: colleagues editing the working tree meanwhile
cannot break the run or make the two sides differ. ``--working-tree`` uses the
working tree as it is instead.

``--installer`` also packs the bundle with the NSIS script (LZMA) to show
what compression does; on Linux that is the Linux bundle, so it only
approximates the Windows installer's size. The section is appended to
bench/RESULTS.md under "Bundle (issue 4)".
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.common import DEFAULT_RESULTS, ROOT, loadavg, machine, median

EXE = ".exe" if os.name == "nt" else ""
MB = 1_000_000


@dataclass(frozen=True)
class BundleSize:
    total: int
    internal: int
    exe: int
    console_exe: int
    files: int
    qt: int  # PySide6/ (Qt libraries, plugins, bindings)
    build_seconds: float


def _tree_bytes(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_size for p in files), len(files)


def snapshot(into: Path) -> tuple[Path, str]:
    """The last commit's files in ``into`` (no .git, no untracked files), and its id."""
    into.mkdir(parents=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
        check=True,
    ).stdout.strip()  # fmt: skip
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into, commit


def build(tree: Path, dist: Path, work: Path, *, untrimmed: bool) -> tuple[Path, float]:
    env = dict(os.environ)
    env.pop("PISHKHAN_BUNDLE_UNTRIMMED", None)
    if untrimmed:
        env["PISHKHAN_BUNDLE_UNTRIMMED"] = "1"
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(dist), "--workpath", str(work), str(tree / "build.spec")],
        cwd=tree, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"PyInstaller failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return dist / "pishkhan", time.perf_counter() - started


def measure_size(bundle: Path, build_seconds: float) -> BundleSize:
    total, files = _tree_bytes(bundle)
    internal, _ = _tree_bytes(bundle / "_internal")
    qt, _ = _tree_bytes(bundle / "_internal" / "PySide6")
    return BundleSize(
        total=total,
        internal=internal,
        exe=(bundle / f"pishkhan{EXE}").stat().st_size,
        console_exe=(bundle / f"pishkhan-console{EXE}").stat().st_size,
        files=files,
        qt=qt,
        build_seconds=build_seconds,
    )


def _children_cpu() -> float:
    try:
        import resource
    except ImportError:  # Windows
        return float("nan")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_once(command: list[str], tmp: Path, tree: Path) -> tuple[float, float]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PISHKHAN_DATA_DIR=str(tmp / "data"))
    env["PYTHONPATH"] = str(tree)  # the source side runs the same files the bundle froze
    for var in ("TMPDIR", "TEMP", "TMP"):
        env[var] = str(tmp)
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{command} exited {proc.returncode}: {proc.stderr[-800:]}")
    return wall, _children_cpu() - cpu0


@dataclass(frozen=True)
class StartTimes:
    what: str
    frozen_wall: float
    source_wall: float
    frozen_cpu: float
    source_cpu: float


def measure_start(bundle: Path, tree: Path, args: list[str], runs: int) -> StartTimes:
    frozen = [str(bundle / f"pishkhan{EXE}"), *args]
    source = [sys.executable, "-m", "desktop", *args]
    samples: dict[str, list[tuple[float, float]]] = {"frozen": [], "source": []}
    with tempfile.TemporaryDirectory(prefix="bench-bundle-") as scratch:
        for i in range(runs + 1):
            # Alternate which goes first, so neither always gets the warmer cache.
            order = [("frozen", frozen), ("source", source)]
            for kind, command in order if i % 2 == 0 else reversed(order):
                sample = _run_once(command, Path(scratch), tree)
                if i > 0:  # the first pair warms the file cache
                    samples[kind].append(sample)
    return StartTimes(
        what=" ".join(args),
        frozen_wall=median([w for w, _ in samples["frozen"]]),
        source_wall=median([w for w, _ in samples["source"]]),
        frozen_cpu=median([c for _, c in samples["frozen"]]),
        source_cpu=median([c for _, c in samples["source"]]),
    )


def installer_size(bundle: Path, out_dir: Path) -> int:
    sys.path.insert(0, str(ROOT / "installer"))
    import build_installer

    out = out_dir / "pishkhan-bench-installer.exe"
    proc = build_installer.build(bundle, out)
    if proc.returncode != 0:
        raise RuntimeError(proc.stdout + proc.stderr)
    return out.stat().st_size


def _mb(n: int) -> str:
    return f"{n / MB:.1f} MB"


def report(
    sizes: dict[str, BundleSize],
    starts: list[StartTimes],
    installer: int | None,
    runs: int,
    source: str,
) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    facts = machine()
    load = loadavg()
    lines = [
        f"## Bundle (issue 4) — {now}",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in facts.items())
        + (f"; load average {load[0]:.1f} at the end" if load else ""),
        f"Built and run from: {source}.",
        "",
        "| bundle | total | _internal | of which PySide6 | pishkhan | pishkhan-console "
        "| files | build |",
        "|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for name, s in sizes.items():
        lines.append(
            f"| {name} | {_mb(s.total)} | {_mb(s.internal)} | {_mb(s.qt)} | {_mb(s.exe)} "
            f"| {_mb(s.console_exe)} | {s.files} | {s.build_seconds:.0f} s |"
        )
    if "untrimmed" in sizes and "shipped" in sizes:
        before, after = sizes["untrimmed"].total, sizes["shipped"].total
        lines += ["", f"Exclusions save {_mb(before - after)} ({(before - after) / before:.0%})."]
    shipped = sizes.get("shipped")
    if shipped:
        lines += [
            "",
            f"Both executables share one `_internal`; a second COLLECT for the console "
            f"variant would add {_mb(shipped.internal)} (a full copy), the second EXE adds "
            f"{_mb(shipped.console_exe)} (it carries its own copy of the Python archive).",
        ]
    if installer is not None:
        lines += ["", f"NSIS installer of this bundle (LZMA, solid): {_mb(installer)}."]
    lines += [
        "",
        f"Start time, median of {runs} runs each after one warm-up, frozen and source "
        "alternating in one run (wall / CPU of the child):",
        "",
        "| command | frozen | source | frozen/source |",
        "|---|---|---|---|",
    ]
    for s in starts:
        lines.append(
            f"| `{s.what}` | {s.frozen_wall:.2f} s / {s.frozen_cpu:.2f} s "
            f"| {s.source_wall:.2f} s / {s.source_cpu:.2f} s "
            f"| {s.frozen_wall / s.source_wall:.2f} / {s.frozen_cpu / s.source_cpu:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bundle", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bundle", type=Path, help="measure this built bundle instead of building")
    parser.add_argument("--no-untrimmed", action="store_true", help="skip the 'before' build")
    parser.add_argument("--installer", action="store_true", help="also pack it with NSIS (LZMA)")
    parser.add_argument("--no-record", action="store_true", help="print only")
    parser.add_argument("--working-tree", action="store_true", help="not a snapshot of HEAD")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    args = parser.parse_args(argv)

    sizes: dict[str, BundleSize] = {}
    with tempfile.TemporaryDirectory(prefix="bench-bundle-build-") as scratch:
        tmp = Path(scratch)
        if args.working_tree:
            tree, source = ROOT, "the working tree"
        else:
            tree, commit = snapshot(tmp / "src")
            source = f"commit {commit} (git archive)"
        if not args.no_untrimmed:
            bundle, seconds = build(tree, tmp / "untrimmed", tmp / "work-u", untrimmed=True)
            sizes["untrimmed"] = measure_size(bundle, seconds)
            print(f"untrimmed: {_mb(sizes['untrimmed'].total)}", flush=True)
        if args.bundle:
            bundle, seconds = args.bundle.resolve(), float("nan")
        else:
            bundle, seconds = build(tree, tmp / "shipped", tmp / "work-s", untrimmed=False)
        sizes["shipped"] = measure_size(bundle, seconds)
        print(f"shipped: {_mb(sizes['shipped'].total)}", flush=True)
        installer = installer_size(bundle, tmp) if args.installer else None
        starts = [measure_start(bundle, tree, a, args.runs) for a in (["--version"], ["--smoke"])]
        text = report(sizes, starts, installer, args.runs, source)
    print(text)
    if not args.no_record:
        with args.results.open("a", encoding="utf-8") as fh:
            fh.write("\n" + text)
        print(f"appended to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
