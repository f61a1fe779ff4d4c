"""Packaging fixtures: the frozen bundle, built once per test run.

``frozen_bundle`` runs PyInstaller on ``build.spec`` into a temporary folder
the first time a test asks for it. ``PISHKHAN_BUNDLE_DIR`` points the tests at
a bundle built earlier instead (the Windows workflow builds with ``dev.py
build`` and then tests that very payload, which is what the installer packs).

Select or skip the build with ``-m bundle`` / ``-m "not bundle"``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.packaging.support import EXE_SUFFIX, ROOT

BUILD_TIMEOUT_S = 900


def pytest_configure(config: pytest.Config) -> None:
    # Registered here (the marker belongs to these tests); --strict-markers is on.
    config.addinivalue_line(
        "markers", "bundle: builds the frozen program with PyInstaller (once per run) and runs it"
    )


@pytest.fixture(scope="session")
def frozen_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one-folder bundle (``.../pishkhan`` holding both executables and ``_internal``)."""
    prebuilt = os.environ.get("PISHKHAN_BUNDLE_DIR")
    if prebuilt:
        bundle = Path(prebuilt).resolve()
    else:
        out = tmp_path_factory.mktemp("pyinstaller")
        started = time.monotonic()
        proc = subprocess.run(
            [
                sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                "--distpath", str(out / "dist"), "--workpath", str(out / "work"),
                str(ROOT / "build.spec"),
            ],
            cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            pytest.fail(f"PyInstaller failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        bundle = out / "dist" / "pishkhan"
        print(f"\nbuilt the bundle in {time.monotonic() - started:.0f} s")
    for name in ("pishkhan", "pishkhan-console"):
        assert (bundle / f"{name}{EXE_SUFFIX}").is_file(), f"{name} missing from {bundle}"
    return bundle
