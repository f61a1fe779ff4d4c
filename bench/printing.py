"""Benchmark: what printing a receipt costs, and what of it the GUI thread waits for.

The preview paints the receipt's flow on images; a direct print paints it on the
printer: both take ~0.1 s and so run beside the GUI thread (``Worker.aside``). The
baseline, measured in the same process and interleaved, is the paper path: the same
receipt painted as a PDF. What the GUI thread still does is open the preview window
with its pages. The printer list is read beside the GUI thread (the settings dialog);
its cost here is this machine's (no printers installed).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bench.common import ROOT, BenchResult, RunOptions, below, median, percentile, ratio
from bench.startup import _env

NAME = "printing"
TITLE = "Printing: a receipt painted (beside the GUI thread) and its preview opened"


def _probe(data_dir: object, runs: int) -> dict[str, Any]:
    args = [sys.executable, "-m", "bench.printing_probe", str(data_dir), str(runs)]
    proc = subprocess.run(args, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"printing probe failed ({proc.returncode}): {proc.stderr[-1500:]}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1])


def run(opts: RunOptions) -> BenchResult:
    from desktop.db.engine import Store
    from desktop.demo import seed_demo

    res = BenchResult(NAME, TITLE)
    runs = opts.size(30, 3)
    data_dir = opts.work_dir / "printing"
    store = Store.open(data_dir)
    seed_demo(store, requests=3)
    store.close()
    res.params = {"runs (interleaved)": runs, "receipt": "a demo request, Persian"}
    r = _probe(data_dir, runs)
    ms = 1000.0
    for layout in ("80mm", "a5"):
        images, pdf = median(r[f"images_{layout}"]), median(r[f"pdf_{layout}"])
        res.add(f"preview pages painted, {layout} (median, off the GUI thread)", images * ms, "ms")
        res.add(f"baseline: the same receipt as a PDF, {layout} (median)", pdf * ms, "ms")
        res.add(f"preview ÷ PDF, {layout}", ratio(images, pdf), "×")
    res.add(
        "GUI thread: preview window opened and shown with its pages, p90",
        percentile(r["preview_open"], 90) * ms,
        "ms",
        below(100, "< 100 ms"),
        digits=0,
    )
    res.add(
        "GUI thread: the first preview of a session",
        r["preview_first"][0] * ms,
        "ms",
        digits=0,
        note="PySide6 builds enums and Qt its widgets' styles on first use",
    )
    res.add(
        "system printer list (off the GUI thread), median",
        median(r["printer_names"]) * ms,
        "ms",
        digits=2,
        note=f"{int(r['printers'][0])} printers installed here",
    )
    res.notes.append(
        "A direct print paints as the PDF baseline does (the same painting on another "
        "device), beside the GUI thread; the driver's spooling is the system's."
    )
    return res
