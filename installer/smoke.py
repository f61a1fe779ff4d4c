"""Smoke-run a built bundle: it must start, show the login window and exit 0, quietly.

    python installer/smoke.py [dist/pishkhan]

Runs ``pishkhan-console --smoke`` offscreen with a temporary data folder and
fails on a non-zero exit or on any stderr line not in ``ALLOWED_STDERR``.
Standard library only: ``dev.py build`` runs it right after PyInstaller, and
tests/packaging uses the same allow-list.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

# Lines Qt may print on stderr that are not a problem. Everything else fails.
ALLOWED_STDERR: dict[str, str] = {
    # Qt's offscreen platform plugin has no window manager to pass a window's
    # minimum/maximum size to; QPlatformWindow's default implementation says so
    # once per window that has size constraints. Only printed offscreen (the
    # smoke runs), never on a real screen.
    "This plugin does not support propagateSizeHints()": "offscreen has no window manager",
}
TIMEOUT_S = 180


def unexpected_stderr(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip() and line not in ALLOWED_STDERR]


def smoke(bundle: Path) -> list[str]:
    """Problems found (empty: the bundle passed)."""
    exe = bundle / ("pishkhan-console.exe" if os.name == "nt" else "pishkhan-console")
    if not exe.is_file():
        return [f"{exe} does not exist"]
    with tempfile.TemporaryDirectory(prefix="pishkhan-smoke-") as scratch:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PISHKHAN_DATA_DIR=scratch)
        for var in ("TMPDIR", "TEMP", "TMP"):
            env[var] = scratch
        proc = subprocess.run(
            [str(exe), "--smoke"],
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=TIMEOUT_S,
            check=False,
        )
    problems = [f"stderr: {line}" for line in unexpected_stderr(proc.stderr)]
    if proc.returncode != 0:
        problems.insert(0, f"exit code {proc.returncode}")
    return problems


def main(argv: list[str]) -> int:
    bundle = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "dist" / "pishkhan"
    problems = smoke(bundle)
    for problem in problems:
        print(f"smoke: {problem}", file=sys.stderr)
    if not problems:
        print(f"smoke: {bundle} starts, shows the login window and exits 0")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
