#!/usr/bin/env python3
"""Developer entry point: set-up, run, test, build and bench with one command.

Uses only the standard library so that it works on a fresh machine (Linux or
Windows) with nothing but Python 3.11+. The virtual environment lives in
``.venv`` next to this file and is refreshed when ``pyproject.toml`` changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".pishkhan-installed"
EXTRAS = "server,dev,build"


def venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def _requirements_fingerprint() -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(EXTRAS.encode())
    return digest.hexdigest()


def ensure_venv() -> Path:
    """Create ``.venv`` and install the project into it, once per pyproject change."""
    # dev.py may be started by any python3 on the machine: say so plainly on an old one.
    if sys.version_info < (3, 11):  # noqa: UP036
        sys.exit(f"Pishkhan needs Python 3.11 or newer (found {sys.version.split()[0]}).")
    py = venv_python()
    if not py.exists():
        print("dev.py: creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    wanted = _requirements_fingerprint()
    if not STAMP.exists() or STAMP.read_text().strip() != wanted:
        print("dev.py: installing Pishkhan and its dependencies into .venv ...", flush=True)
        subprocess.check_call([str(py), "-m", "pip", "install", "-q", "--upgrade", "pip"])
        subprocess.check_call(
            [str(py), "-m", "pip", "install", "-q", "-e", f".[{EXTRAS}]"], cwd=ROOT
        )
        STAMP.write_text(wanted)
    return py


def run(py: Path, *args: str, env: dict[str, str] | None = None) -> int:
    return subprocess.call([str(py), *args], cwd=ROOT, env=env)


def cmd_run(py: Path, extra: list[str]) -> int:
    """Start a local reference server with a demo office and the program against it."""
    return run(py, "-m", "desktop.devrun", *extra)


def _worker_args(extra: list[str]) -> list[str]:
    """pytest-xdist's options: one worker a core (``PISHKHAN_TEST_WORKERS`` to change it,
    0 for one process), each test file a unit of work and the bundle's tests one unit, the
    longest first (tests/conftest.py, docs/TESTING.md). Nothing when the caller chose."""
    chose = any(a == "-n" or a.startswith(("-n", "--numprocesses", "--dist")) for a in extra)
    workers = os.environ.get("PISHKHAN_TEST_WORKERS", "auto")
    if chose or "no:xdist" in extra or workers == "0":
        return []
    return ["-n", workers, "--dist", "loadfile", "--no-loadscope-reorder"]


def cmd_test(py: Path, extra: list[str]) -> int:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    # The layout contract first: it takes a second and explains itself.
    bindir = VENV / ("Scripts" if os.name == "nt" else "bin")
    rc = subprocess.call([str(bindir / "lint-imports")], cwd=ROOT, env=env)
    if rc != 0:
        print("dev.py: import contracts broken (see above)", file=sys.stderr)
        return rc
    return run(py, "-m", "pytest", *_worker_args(extra), *extra, env=env)


def cmd_build(py: Path, extra: list[str]) -> int:
    """The release pipeline after the tests: bundle, smoke run of the bundle, installer.

    ``dist/pishkhan`` (PyInstaller, build.spec), then the frozen program must start,
    show its login window and exit 0 with no unexpected stderr (installer/smoke.py),
    then, on Windows, ``dist/pishkhan-<version>-setup.exe`` (NSIS). A Linux bundle
    is never packed into a Windows installer. Extra arguments go to PyInstaller.
    """
    rc = run(py, "-m", "PyInstaller", "--noconfirm", "--clean", "build.spec", *extra)
    if rc != 0:
        return rc
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    rc = run(py, "installer/smoke.py", str(ROOT / "dist" / "pishkhan"), env=env)
    if rc != 0:
        print("dev.py: the frozen program failed its smoke run (see above)", file=sys.stderr)
        return rc
    if os.name != "nt":
        print("dev.py: the installer is built on Windows only (see docs/PACKAGING.md)")
        return 0
    return run(py, "installer/build_installer.py")


def cmd_bench(py: Path, extra: list[str]) -> int:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return run(py, "-m", "bench", *extra, env=env)


COMMANDS = {
    "run": cmd_run,
    "test": cmd_test,
    "build": cmd_build,
    "bench": cmd_bench,
}


def main(argv: list[str]) -> int:
    if not argv or (argv[0] not in COMMANDS and argv[0] != "setup"):
        print(__doc__)
        print("usage: python3 dev.py {setup|run|test|build|bench} [args...]")
        return 2
    py = ensure_venv()
    if argv[0] == "setup":
        return 0
    return COMMANDS[argv[0]](py, argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
