"""The frozen program runs: the check that the installer's payload actually works.

The bundle is built once per run (``frozen_bundle``); each test runs the
frozen executables offscreen with every path pointed into ``tmp_path``. The
same smoke runs from source too, so a failure says whether the program or the
packaging broke.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import __version__
from desktop.db.engine import DB_FILENAME, schema_head
from tests.packaging.support import (
    EXE_SUFFIX,
    IS_WINDOWS,
    ROOT,
    RUN_TIMEOUT_S,
    bundle_files,
    program_env,
    run,
    tree_snapshot,
    unexpected_stderr,
)

# On Windows the windowed pishkhan.exe has no stderr at all (Qt's warnings go
# to the debugger channel), so output checks there use pishkhan-console.exe;
# on Linux and macOS both are the same program and the windowed one is run.
SMOKED = ("pishkhan", "pishkhan-console") if IS_WINDOWS else ("pishkhan",)


def _exe(bundle: Path, name: str) -> Path:
    return bundle / f"{name}{EXE_SUFFIX}"


def _check_smoke(command: list[str | Path], tmp_path: Path, *, check_stderr: bool) -> None:
    proc = run([*command, "--smoke"], program_env(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0, (
        f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    )
    if check_stderr:
        assert unexpected_stderr(proc.stderr) == [], proc.stderr
    # The smoke made its data folder in the temp folder and removed it again,
    # and never went near the real (here: default) data folder.
    assert [p.name for p in (tmp_path / "temp").iterdir()] == []
    assert not (tmp_path / "default-data").exists()


@pytest.mark.bundle
@pytest.mark.parametrize("name", SMOKED)
def test_frozen_smoke_shows_login_and_exits_0_without_stderr(
    frozen_bundle: Path, tmp_path: Path, name: str
) -> None:
    before = tree_snapshot(frozen_bundle)
    _check_smoke(
        [_exe(frozen_bundle, name)], tmp_path, check_stderr=name != "pishkhan" or not IS_WINDOWS
    )
    # Nothing written into the program folder (no __pycache__, logs, settings):
    # the installer replaces that folder wholesale and may not be able to write it.
    assert tree_snapshot(frozen_bundle) == before


def test_smoke_from_source(tmp_path: Path) -> None:
    _check_smoke([sys.executable, "-m", "desktop"], tmp_path, check_stderr=True)


@pytest.mark.bundle
def test_frozen_version(frozen_bundle: Path, tmp_path: Path) -> None:
    proc = run(
        [_exe(frozen_bundle, "pishkhan-console"), "--version"], program_env(tmp_path), tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"Pishkhan {__version__}"
    assert proc.stderr == ""


@pytest.mark.bundle
def test_frozen_program_migrates_and_logs_in_its_data_folder(
    frozen_bundle: Path, tmp_path: Path
) -> None:
    """``init`` (the one command that creates a store) builds the database from the bundled
    migration files, encrypts it with the bundled SQLCipher and logs there; ``doctor``
    then opens it with the manager's password and finds nothing wrong."""
    from desktop.db.driver import connect, is_plain
    from desktop.keyslots_setup import data_key_for

    data = tmp_path / "data"
    before = tree_snapshot(frozen_bundle)
    env = {**program_env(tmp_path), "PISHKHAN_PASSWORD": "bundle-password"}
    env["PISHKHAN_USER"] = "modir"
    init = ["init", "--office-code", "1001", "--office-name", "دفتر", "--counter", "1"]
    init += ["--manager", "modir", "--manager-name", "مدیر"]
    for command in (init, ["doctor"]):
        proc = run(
            [_exe(frozen_bundle, "pishkhan-console"), *command, "--data-dir", data], env, tmp_path
        )
        assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
        # `init` tells the manager, on stderr, to write down the recovery key it printed.
        said = [line for line in unexpected_stderr(proc.stderr) if "recovery_key" not in line]
        assert said == [], proc.stderr
    assert not is_plain(data / DB_FILENAME)
    key = data_key_for(data, username="modir", password="bundle-password")
    conn = connect(data / DB_FILENAME, key=key)
    try:
        (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        conn.close()
    assert revision == schema_head()
    log = (data / "logs" / "pishkhan.log").read_text(encoding="utf-8")
    assert f"to {schema_head()}" in log
    assert tree_snapshot(frozen_bundle) == before


@pytest.mark.bundle
def test_frozen_console_writes_persian_to_a_pipe(frozen_bundle: Path, tmp_path: Path) -> None:
    """Persian messages survive a pipe (UTF-8 mode; Windows would use the ANSI code page)."""
    proc = subprocess.run(
        [str(_exe(frozen_bundle, "pishkhan-console")), "add-request", "-", "--clerk", "nobody",
         "--lang", "fa", "--data-dir", str(tmp_path / "data")],
        input=b"{}", env=program_env(tmp_path), cwd=tmp_path, capture_output=True,
        timeout=RUN_TIMEOUT_S, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    said = (proc.stdout + proc.stderr).decode("utf-8")  # strict: no mojibake, no '?'
    assert re.search("[\u0600-\u06ff]", said), said
    assert "Traceback" not in said


def _internal(bundle: Path) -> Path:
    return bundle / "_internal"


@pytest.mark.bundle
def test_bundle_carries_every_declared_data_file(frozen_bundle: Path) -> None:
    pairs = bundle_files.resolve_data_files(ROOT)
    assert pairs
    for source, dest in pairs:
        shipped = _internal(frozen_bundle) / dest / Path(source).name
        assert shipped.is_file(), f"{source} not in the bundle at {dest}"
        assert shipped.read_bytes() == Path(source).read_bytes(), f"{shipped} differs"
    shipped_revisions = {
        p.name
        for p in (_internal(frozen_bundle) / "desktop" / "migrations" / "versions").glob("*.py")
    }
    source_revisions = {p.name for p in (ROOT / "desktop" / "migrations" / "versions").glob("*.py")}
    assert shipped_revisions == source_revisions


@pytest.mark.bundle
def test_bundle_keeps_only_persian_qt_translations(frozen_bundle: Path) -> None:
    qt_qm = {p.name for p in (_internal(frozen_bundle) / "PySide6").rglob("*.qm")}
    assert qt_qm == set(bundle_files.QT_TRANSLATIONS_KEPT)


@pytest.mark.bundle
def test_bundle_leaves_out_what_the_spec_excludes(frozen_bundle: Path) -> None:
    internal = _internal(frozen_bundle)
    files = [p.relative_to(internal).as_posix() for p in internal.rglob("*") if p.is_file()]
    assert [f for f in files if bundle_files.qt_plugin_excluded(f)] == []
    assert [f for f in files if bundle_files.qt_library_excluded(f)] == []
    qt_extensions = {
        Path(f).name.split(".", 1)[0]
        for f in files
        if f.startswith("PySide6/Qt") and "/" not in f[8:]
    }
    assert qt_extensions.isdisjoint(bundle_files.QT_MODULES_EXCLUDED), qt_extensions
    assert {"QtCore", "QtGui", "QtWidgets"} <= qt_extensions


@pytest.mark.bundle
def test_bundle_python_modules(frozen_bundle: Path) -> None:
    """Our modules (including those loaded by name) are frozen; server and dev tools are not."""
    from PyInstaller.archive.readers import CArchiveReader

    package = CArchiveReader(str(_exe(frozen_bundle, "pishkhan")))
    frozen = set(package.open_embedded_archive("PYZ.pyz").toc)
    tops = {name.split(".", 1)[0] for name in frozen}
    assert tops.isdisjoint(bundle_files.PYTHON_EXCLUDED), tops & set(bundle_files.PYTHON_EXCLUDED)
    missing = [m for m in _own_modules() if m not in frozen]
    assert missing == []
    assert set(bundle_files.MIGRATION_IMPORTS) <= frozen


def _own_modules() -> list[str]:
    names = []
    for package in bundle_files.OWN_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue  # shipped as files, checked above
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join(parts)
            if not any(
                name == m or name.startswith(m + ".") for m in bundle_files.OWN_MODULES_LEFT_OUT
            ):
                names.append(name)
    return names
