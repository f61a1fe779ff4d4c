"""The switch at start: which version runs, its ``--self-check``, and the rollback.

The installed (base) executable calls ``hand_over`` before anything else. If a new version
waits (``pending``), its own executable is run once with ``--self-check``; only if that
exits 0 within the time limit does the pointer name it as current (the old one is kept as
``previous``). Otherwise the pending version is marked failed, the state becomes
``rolled_back`` (the heartbeat tells the centre) and the version that ran before starts.
Then the program of the current version runs with the same arguments; the base process
waits for it and exits with its code.

Standard library only: this runs before the program has imported anything of its own.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from updates.pointer import ROLLED_BACK, SWITCHED, Hold, Pointer, version_folder

SELF_CHECK_ARG = "--self-check"
SELF_CHECK_TIMEOUT_S = 120.0
# Set for the program the launcher starts, so that it does not hand over again.
LAUNCHED_ENV = "PISHKHAN_LAUNCHED"


def executable_in(folder: Path, name: str) -> Path:
    return folder / (f"{name}.exe" if sys.platform == "win32" else name)


def self_check(program: Path, env: dict[str, str] | None = None) -> bool:
    try:
        proc = subprocess.run(
            [str(program), SELF_CHECK_ARG],
            env={**(env or os.environ), LAUNCHED_ENV: "1"},
            capture_output=True,
            timeout=SELF_CHECK_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def choose(
    root: Path, exe_name: str, env: dict[str, str] | None = None, *, now: dt.datetime | None = None
) -> Path:
    """The folder whose program runs now; switches to, or rolls back from, a pending one
    (unless a manager's postponement holds it, see ``Hold``)."""
    pointer = Pointer.read(root)
    hold = Hold.read(root)
    held = hold is not None and hold.holds(pointer.pending, now or dt.datetime.now(dt.UTC))
    if pointer.pending is not None and not held:
        candidate = version_folder(root, pointer.pending)
        if self_check(executable_in(candidate, exe_name), env):
            pointer.previous, pointer.current = pointer.current, pointer.pending
            pointer.state = SWITCHED
        else:
            pointer.failed.append(pointer.pending)
            pointer.state = ROLLED_BACK
        pointer.pending = None
        pointer.write(root)
    folder = version_folder(root, pointer.current)
    if not executable_in(folder, exe_name).is_file():
        return root  # a version folder removed by hand: the base is always there
    return folder


def hand_over(argv: list[str], *, exe_name: str) -> int | None:
    """Runs the chosen version in place of this one; None when this one is it.

    Called by the frozen program's entry with ``sys.argv[1:]``; the caller exits with the
    returned code.
    """
    if not getattr(sys, "frozen", False) or os.environ.get(LAUNCHED_ENV):
        return None
    if SELF_CHECK_ARG in argv:
        return None
    root = Path(sys.executable).resolve().parent
    folder = choose(root, exe_name)
    if folder == root:
        return None
    program = executable_in(folder, exe_name)
    return subprocess.call([str(program), *argv], env={**os.environ, LAUNCHED_ENV: "1"})
