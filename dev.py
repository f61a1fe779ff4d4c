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


UPDATE_ROOT_ENV = "PISHKHAN_UPDATE_ROOT"
NO_ROOT_REFUSAL = """\
dev.py build: a release build ships the update repository's signed root, or the installed
program can never update itself. Give it:
    python3 dev.py build --update-root R/metadata/1.root.json   (or PISHKHAN_UPDATE_ROOT=...)
or say that this is a developer's build, whose updater stays off:
    python3 dev.py build --no-updates
(docs/PACKAGING.md, "Releasing")"""


def release_options(
    py: Path, extra: list[str], environ: dict[str, str]
) -> tuple[dict[str, str], list[str]] | int:
    """The build's environment and PyInstaller's arguments, or an exit code (refused).

    ``--update-root PATH`` (else ``PISHKHAN_UPDATE_ROOT``) is checked to be a signed,
    unexpired TUF root (``python -m updates check-root``, python-tuf's own parser) and
    handed to build.spec; ``--no-updates`` builds without one, on purpose. Neither: refused.
    """
    root: str | None = None
    no_updates = False
    rest: list[str] = []
    args = iter(extra)
    for arg in args:
        if arg == "--no-updates":
            no_updates = True
        elif arg == "--update-root":
            root = next(args, None)
            if root is None:
                print("dev.py build: --update-root needs a file", file=sys.stderr)
                return 2
        elif arg.startswith("--update-root="):
            root = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    env = dict(environ)
    from_env = env.pop(UPDATE_ROOT_ENV, "") or None
    if no_updates and root is not None:
        print("dev.py build: --update-root and --no-updates contradict", file=sys.stderr)
        return 2
    if no_updates:
        if from_env:
            print(f"dev.py build: --no-updates: {UPDATE_ROOT_ENV}={from_env} is not used")
        print("dev.py build: a developer's build (--no-updates): its updater stays off")
        return env, rest
    root = root or from_env
    if root is None:
        print(NO_ROOT_REFUSAL, file=sys.stderr)
        return 2
    path = Path(root).resolve()
    rc = subprocess.call([str(py), "-m", "updates", "check-root", str(path)], cwd=ROOT, env=env)
    if rc != 0:
        print(
            "dev.py build: refused: the update root is not one to ship (see above)", file=sys.stderr
        )
        return rc
    env[UPDATE_ROOT_ENV] = str(path)
    return env, rest


def cmd_build(py: Path, extra: list[str]) -> int:
    """The release pipeline after the tests: bundle, smoke run of the bundle, installer.

    ``--update-root PATH`` or ``--no-updates`` first (``release_options``). Then
    ``dist/pishkhan`` (PyInstaller, build.spec), then the frozen program must start,
    show its login window and exit 0 with no unexpected stderr (installer/smoke.py),
    then, on Windows, ``dist/pishkhan-<version>-setup.exe`` (NSIS). A Linux bundle
    is never packed into a Windows installer. Other arguments go to PyInstaller.
    """
    options = release_options(py, extra, dict(os.environ))
    if isinstance(options, int):
        return options
    env, extra = options
    rc = run(py, "-m", "PyInstaller", "--noconfirm", "--clean", "build.spec", *extra, env=env)
    if rc != 0:
        return rc
    shipped = ROOT / "dist" / "pishkhan" / "_internal" / "update-root.json"
    wanted = env.get(UPDATE_ROOT_ENV)
    if wanted and (not shipped.is_file() or shipped.read_bytes() != Path(wanted).read_bytes()):
        print(f"dev.py: {shipped} is not the checked root {wanted}", file=sys.stderr)
        return 1
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    rc = run(py, "installer/smoke.py", str(ROOT / "dist" / "pishkhan"), env=env)
    if rc != 0:
        print("dev.py: the frozen program failed its smoke run (see above)", file=sys.stderr)
        return rc
    if os.name != "nt":
        print("dev.py: the installer is built on Windows only (see docs/PACKAGING.md)")
        return 0
    return run(py, "installer/build_installer.py", env=env)


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
        print("       python3 dev.py build (--update-root R/metadata/1.root.json | --no-updates)")
        return 2
    py = ensure_venv()
    if argv[0] == "setup":
        return 0
    return COMMANDS[argv[0]](py, argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
