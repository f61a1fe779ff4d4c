"""Benchmark: one command line process, start to exit (``add-request``, ``set-status``).

Each run is a fresh process, as a script calls it. In the same run, alternating with it:

- ``add-request``: the real command (``python -m desktop add-request FILE``) on a set-up
  data folder; the same command with the sync stack imported first (what every command
  paid before the sub-commands' handlers were imported lazily: ``desktop.synccli``,
  ``requests``, the engine); and the floor, a process that imports only what a save
  needs (SQLAlchemy's ORM: the store is SQLAlchemy's) and exits;
- ``set-status`` (the back office's decision, ``python -m server set-status``) on a
  server database with that request; and its import floor, a process that imports what
  it imports (``server.cli`` and ``server.prepare``, whose ``prepare_database`` every
  admin command calls; neither FastAPI nor Alembic since issue 10's server work) and exits.

``python -X importtime`` of one run of each gives where the time goes (top packages).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, BenchResult, RunOptions, median, ratio

NAME = "cli"
TITLE = "Command line: one process, start to exit (add-request, set-status)"

REQUEST = {
    "service": "criminal_record",
    "applicant": {
        "national_code": "0013542419",
        "first_name": "علی",
        "last_name": "کریمی",
        "mobile": "09121234567",
    },
    "answers": {
        "purpose": "employment",
        "father_name": "حسن",
        "birth_date": "1370/05/12",
        "birth_place": "کرج",
        "residence_postal_code": "1316789456",
    },
    "documents": ["national_card", "birth_certificate", "photo"],
    "card_ref": "123456789012",
}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # installed programs run compiled modules
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PISHKHAN_CHEAP_HASHES"] = "1"  # init only: add-request hashes nothing
    env["PISHKHAN_PASSWORD"] = "bench-password"
    env["PISHKHAN_CREDENTIALS"] = "file"
    return env


def _timed(args: list[str], *, stdin: str | None = None) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(
        args, cwd=ROOT, env=_env(), input=stdin, capture_output=True, text=True, timeout=300
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{args[2:5]} failed ({proc.returncode}): {proc.stderr[-600:]}")
    return elapsed


def _top_imports(args: list[str], top: int = 7) -> str:
    """Where one run's import time goes (``-X importtime``): each module's own time,
    summed by its top-level package, the heaviest first."""
    proc = subprocess.run(
        [args[0], "-X", "importtime", *args[1:]],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    by_package: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, _, name = line.split("|", 2)
        package = name.strip().split(".")[0]
        by_package[package] = by_package.get(package, 0) + int(own.split(":")[1])
    total = sum(by_package.values())
    ranked = sorted(by_package.items(), key=lambda kv: -kv[1])[:top]
    parts = ", ".join(f"{n} {us / 1000:,.0f} ms" for n, us in ranked)
    return f"imports {total / 1000:,.0f} ms in all: {parts}"


def run(opts: RunOptions) -> BenchResult:
    res = BenchResult(NAME, TITLE)
    runs = opts.size(7, 1)
    res.params = {f"runs each ({'no' if opts.quick else 'after one'} warm-up)": runs}
    py = sys.executable
    work = opts.work_dir / "cli"
    data = work / "counter"
    server_dir = work / "server"
    request_file = work / "request.json"
    work.mkdir(parents=True, exist_ok=True)
    request_file.write_text(json.dumps(REQUEST, ensure_ascii=False), encoding="utf-8")
    office = ("--office-code", "1001", "--office-name", "دفتر", "--counter", "1")
    manager = ("--manager", "modir", "--manager-name", "مدیر")
    _timed([py, "-m", "desktop", "init", *office, *manager, "--data-dir", str(data)])
    add = [py, "-m", "desktop", "add-request", str(request_file), "--clerk", "modir"]
    add += ["--data-dir", str(data)]
    eager = [
        py,
        "-c",
        "import sys, desktop.synccli; from desktop.__main__ import main; "
        "sys.exit(main(sys.argv[1:]))",
        *add[3:],
    ]
    floor = [py, "-c", "import sqlalchemy.orm"]

    # The server side: a database holding one pushed request to decide on.
    database_url = f"sqlite:///{(server_dir / 'server.sqlite3').resolve()}"
    request_id = _push_one(server_dir, database_url)
    set_status = [py, "-m", "server", "set-status", request_id, "accepted"]
    set_status += ["--database-url", database_url]
    server_floor = [py, "-c", "import server.cli, server.prepare"]

    # Warm-up: .pyc, file cache. Not for --quick, whose one run of each is not a figure.
    for args in () if opts.quick else (add, eager, floor, set_status, server_floor):
        _timed(args)
    times: dict[str, list[float]] = {k: [] for k in ("add", "eager", "floor", "set", "sfloor")}
    for _ in range(runs):
        times["add"].append(_timed(add))
        times["eager"].append(_timed(eager))
        times["floor"].append(_timed(floor))
        times["set"].append(_timed(set_status))
        times["sfloor"].append(_timed(server_floor))
    m = {k: median(v) for k, v in times.items()}
    res.add("add-request, one process (median)", m["add"] * 1000, "ms", digits=0)
    res.add(
        "add-request with the sync stack imported first (as before, median)",
        m["eager"] * 1000,
        "ms",
        digits=0,
    )
    res.add("floor: importing SQLAlchemy's ORM alone (median)", m["floor"] * 1000, "ms", digits=0)
    res.add("add-request ÷ as before", ratio(m["add"], m["eager"]), "×", digits=2)
    res.add("add-request ÷ floor", ratio(m["add"], m["floor"]), "×", digits=2)
    res.add("set-status, one process (median)", m["set"] * 1000, "ms", digits=0)
    res.add(
        "floor: importing server.cli and server.prepare alone (median)",
        m["sfloor"] * 1000,
        "ms",
        digits=0,
    )
    res.add("set-status ÷ its imports", ratio(m["set"], m["sfloor"]), "×", digits=2)
    res.notes.append("add-request: " + _top_imports(add))
    res.notes.append("add-request as before: " + _top_imports(eager))
    res.notes.append("set-status: " + _top_imports(set_status))
    return res


def _push_one(server_dir: Path, database_url: str) -> str:
    """A request pushed to a real server process (an enrolled device, one item): its id."""
    from tests.support.server import sample_item, start_server

    server_dir.mkdir(parents=True, exist_ok=True)
    with start_server(server_dir, database_url=database_url) as server:
        office = server.add_office()
        device = server.enrol(office.code, counter_no=1)
        item = sample_item(office.code, 1)
        server.push(device, [item]).raise_for_status()
        return str(item["id"])
