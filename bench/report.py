"""Printing results, and appending a dated section to ``bench/RESULTS.md``.

RESULTS.md is append-only and shared (the packaging engineer appends "Bundle (issue 4)"):
a run only ever adds a section at the end, never rewrites what is there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from bench.common import BenchResult

HEADER = """# Benchmark results

Appended by `python3 dev.py bench` (`python -m bench`), newest last; never edited by hand.
Each benchmark measures its baseline in the same run: the ratios are what count, because
the build machine has 2 cores shared with other work (its load average is recorded).
Goals are issue 5's. `--quick` runs (small sizes, a smoke check) are marked as such and
say nothing about the goals.
"""


def print_result(res: BenchResult) -> None:
    print(f"\n== {res.name}: {res.title} ({res.seconds:.0f} s)", flush=True)
    if res.skipped:
        print(f"   skipped: {res.skipped}")
    if res.error:
        print(f"   ERROR: {res.error}")
    for f in res.figures:
        goal = f"  goal {f.goal.text}: {f.verdict}" if f.goal else ""
        print(f"   {f.label:<58} {f.shown():>16}{goal}")
    for line in res.limits:
        print(f"   limit: {line}")
    if res.profile:
        print("   " + res.profile.replace("\n", "\n   "))
    print(flush=True)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def section(
    results: Sequence[BenchResult],
    *,
    started: dt.datetime,
    quick: bool,
    machine: dict[str, str],
    load_before: tuple[float, float, float] | None,
    load_after: tuple[float, float, float] | None,
    argv: Sequence[str],
) -> str:
    kind = "QUICK smoke run (small sizes; not a measurement)" if quick else "full run"
    out = [
        f"\n## Benchmarks (issue 5) — {started:%Y-%m-%d %H:%M} UTC — {kind}\n",
        f"Command: `{' '.join(['python -m bench', *argv])}`. Each baseline is "
        "measured in the same run; on this shared 2-core machine the ratios are what "
        "count (load average below).\n",
        "| machine | |",
        "|---|---|",
    ]
    out += [f"| {k} | {_cell(v)} |" for k, v in machine.items()]

    def load(x: tuple[float, float, float] | None) -> str:
        return "n/a" if x is None else " / ".join(f"{v:.2f}" for v in x)

    out.append(
        f"| load average (1/5/15 min) | before {load(load_before)}; after {load(load_after)} |"
    )
    out.append("")
    summary = [(r.name, f) for r in results for f in r.figures if f.goal is not None]
    if summary:
        out += ["| benchmark | figure | value | goal | result |", "|---|---|---|---|---|"]
        out += [
            f"| {name} | {_cell(f.label)} | {f.shown()} | {_cell(f.goal.text)} | **{f.verdict}** |"
            for name, f in summary
            if f.goal is not None
        ]
        out.append("")
    for r in results:
        out.append(f"### {r.name} — {r.title}\n")
        if r.skipped:
            out.append(f"Skipped: {r.skipped}\n")
        if r.error:
            out.append(
                f"**Error** (a bug in the benchmark or in what it drives): `{_cell(r.error)}`\n"
            )
        if r.params:
            out.append(
                "Parameters: "
                + "; ".join(f"{k}: {v}" for k, v in r.params.items())
                + f". Took {r.seconds:.0f} s.\n"
            )
        if r.figures:
            out += ["| figure | value | goal | result |", "|---|---|---|---|"]
            for f in r.figures:
                label = f.label + (f" ({f.note})" if f.note else "")
                goal = f.goal.text if f.goal else ""
                verdict = f"**{f.verdict}**" if f.verdict else ""
                out.append(f"| {_cell(label)} | {f.shown()} | {_cell(goal)} | {verdict} |")
            out.append("")
        for note in r.notes:
            out.append(f"- {note}")
        if r.notes:
            out.append("")
        if r.limits:
            out.append("What limits it:\n")
            out += [f"- {line}" for line in r.limits]
            out.append("")
        if r.profile:
            out += ["```", r.profile, "```", ""]
    return "\n".join(out) + "\n"


def append(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or not path.read_text(encoding="utf-8").strip():
        path.write_text(HEADER, encoding="utf-8")
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text)
