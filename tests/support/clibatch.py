"""Run several command lines of the real program in one process (the tests' speed-up).

``python -m tests.support.clibatch`` reads a JSON list of runs on stdin, each
``{"argv": [...], "stdin": "text" | null, "stdin_hex": "..." | null, "env": {...}}``, runs
``desktop.__main__.main(argv)`` for each as the installed program would (stdin not a
terminal; stdout and stderr captured; argparse's SystemExit taken as the exit code) and
prints one JSON list of ``{"code", "stdout", "stderr"}``. Each command line is still the
real program on a real data folder; only Python's start and imports are shared.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from typing import Any


def _run(case: dict[str, Any]) -> dict[str, Any]:
    from desktop.__main__ import main

    raw = (
        bytes.fromhex(case["stdin_hex"])
        if case.get("stdin_hex") is not None
        else (case.get("stdin") or "").encode("utf-8")
    )
    stdin = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    saved_env = dict(os.environ)
    os.environ.update(case.get("env") or {})
    for name in case.get("unset") or ():
        os.environ.pop(name, None)
    saved_stdin = sys.stdin
    sys.stdin = stdin
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(case["argv"]))
            except SystemExit as exc:  # argparse: --help, a bad option
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdin = saved_stdin
        os.environ.clear()
        os.environ.update(saved_env)
    return {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def main() -> int:
    cases = json.loads(sys.stdin.read())
    results = [_run(case) for case in cases]
    sys.stdout.write(json.dumps(results, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
