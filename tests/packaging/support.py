"""Shared helpers for the packaging tests: paths, the bundle's declarations, running programs."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
IS_WINDOWS = sys.platform == "win32"
EXE_SUFFIX = ".exe" if IS_WINDOWS else ""
RUN_TIMEOUT_S = 180  # a cold start on a loaded 2-core CI box takes seconds, not minutes


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


# installer/ is not a package (PyInstaller loads it by path from build.spec);
# the tests load the very same files.
bundle_files = _load("pishkhan_bundle_files", ROOT / "installer" / "bundle_files.py")
version_info = _load("pishkhan_version_info", ROOT / "installer" / "version_info.py")
build_installer = _load("pishkhan_build_installer", ROOT / "installer" / "build_installer.py")
smoke = _load("pishkhan_smoke", ROOT / "installer" / "smoke.py")


def program_env(tmp: Path) -> dict[str, str]:
    """Environment for a program under test: no screen, and nothing outside ``tmp``.

    The data folder variable and the temp folders point into ``tmp`` so a test
    can never touch the real per-user data folder, and can see what the
    program left behind.
    """
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PISHKHAN_DATA_DIR"] = str(tmp / "default-data")
    for var in ("TMPDIR", "TEMP", "TMP"):
        env[var] = str(tmp / "temp")
    (tmp / "temp").mkdir(parents=True, exist_ok=True)
    # The frozen program must not depend on the developer's environment.
    for var in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(var, None)
    return env


def run(
    command: list[str | Path], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=RUN_TIMEOUT_S,
        check=False,
    )


def unexpected_stderr(stderr: str) -> list[str]:
    """Stderr lines outside the allow-list in installer/smoke.py (one list for all smoke runs)."""
    return list(smoke.unexpected_stderr(stderr))


def tree_snapshot(folder: Path) -> dict[str, int]:
    """Every file under ``folder`` with its size: to prove the program wrote nothing there."""
    return {
        p.relative_to(folder).as_posix(): p.stat().st_size
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
