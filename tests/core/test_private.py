"""The data folder and the program's files are the user's alone (0700 / 0600 on Linux)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.config import Settings
from desktop.db.engine import DB_FILENAME, Store
from desktop.logs import close_logging, setup_logging

pytestmark = pytest.mark.skipif(
    os.name != "posix", reason="POSIX modes (Windows: ACL, see desktop/private.py)"
)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual umask (022), under which a plain create gives 0755/0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_data_folder_and_its_files_are_private(tmp_path: Path, open_umask: None) -> None:
    data = tmp_path / "new" / "data"
    setup_logging(data)
    try:
        store = Store.open(data)
        with store.write():
            pass  # a write makes the -wal and -shm files
        Settings(data).set("language", "en")
        files = [data / DB_FILENAME, data / f"{DB_FILENAME}-wal", data / f"{DB_FILENAME}-shm"]
        files += [data / "settings.json", data / "logs" / "pishkhan.log"]
        assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
        assert _mode(data) == 0o700 and _mode(data / "logs") == 0o700
        store.close()
    finally:
        close_logging()


def test_an_older_programs_open_folder_is_narrowed_on_opening(
    tmp_path: Path, open_umask: None
) -> None:
    data = tmp_path / "data"
    Store.open(data).close()
    os.chmod(data, 0o755)
    os.chmod(data / DB_FILENAME, 0o644)
    store = Store.open(data)
    try:
        assert _mode(data) == 0o700 and _mode(data / DB_FILENAME) == 0o600
    finally:
        store.close()


def test_every_file_is_private_right_after_encryption(tmp_path: Path, open_umask: None) -> None:
    """The encrypted copy is made beside the plain file and renamed over it: it must be
    the user's alone from its first byte, not only after the next opening narrows it."""
    from desktop.clerks import ClerkDirectory
    from desktop.keyslots_setup import encrypt_store

    data = tmp_path / "data"
    store = Store.open(data)
    try:
        manager = ClerkDirectory(store).create_manager("manager", "Manager", "a long passphrase 1")
        encrypt_store(store, manager, "a long passphrase 1")
        assert store.encrypted
        with store.write():
            pass
        modes = {
            str(p.relative_to(data)): _mode(p)
            for p in data.rglob("*")
            if not p.name.endswith(".lock")
        }
        files = {name: mode for name, mode in modes.items() if (data / name).is_file()}
        folders = {name: mode for name, mode in modes.items() if (data / name).is_dir()}
        assert DB_FILENAME in files
        assert files == dict.fromkeys(files, 0o600)
        assert folders == dict.fromkeys(folders, 0o700)
    finally:
        store.close()
