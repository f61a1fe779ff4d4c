"""A store on a disk with 0 bytes free, and SQLite errors judged by their result code.

The full disk is real: a 2 MB tmpfs mounted inside a private mount namespace
(``unshare --mount``; as a non-root user ``--map-root-user`` too), so nothing is mounted on
the machine itself and the test needs no clean-up. A store is set up there, a filler file
takes the last byte, and every command is run as the clerk would run it.
"""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path

import pytest

from desktop.db.engine import translate_db_error
from desktop.errors import DatabaseBusyError, DiskFullError, DiskIOError
from tests.core.test_cli import readme_request
from tests.support.mountns import run_unshared

ROOT = Path(__file__).resolve().parents[2]

_SCRIPT = textwrap.dedent(
    """
    set -u
    mount -t tmpfs -o size=2m tmpfs "$MNT" || exit 99
    "$PY" -m desktop --data-dir "$MNT/d" init --office-code 1001 --office-name Office \\
        --counter 1 --manager modir --manager-name Modir --password-env PW >/dev/null || exit 98
    dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null
    [ "$(df --output=avail "$MNT" | tail -1 | tr -d ' ')" = 0 ] || exit 97
    for cmd in status doctor list; do
        for lang in fa en; do
            "$PY" -m desktop --data-dir "$MNT/d" --lang $lang $cmd >"$OUT/$cmd.$lang.out" \\
                2>"$OUT/$cmd.$lang.err"
            echo $? >"$OUT/$cmd.$lang.rc"
        done
    done
    "$PY" -m desktop --data-dir "$MNT/d" doctor --json >"$OUT/doctor.json" 2>"$OUT/doctor.json.err"
    echo $? >"$OUT/doctor.json.rc"
    "$PY" -m desktop --data-dir "$MNT/d" --lang en add-request - --clerk modir <"$REQ" \
        >"$OUT/add.out" 2>"$OUT/add.err"
    echo $? >"$OUT/add.rc"
    """
)


def test_a_store_on_a_disk_with_no_free_byte_gives_the_reason_in_both_languages(
    tmp_path: Path,
) -> None:
    request_file = tmp_path / "request.json"
    request_file.write_text(json.dumps(readme_request(), ensure_ascii=False), encoding="utf-8")
    res, mnt, out = run_unshared(
        _SCRIPT,
        tmp_path,
        PW="correct-horse-9",
        # `init` encrypts the store: the commands open it with the manager's password.
        PISHKHAN_USER="modir",
        PISHKHAN_PASSWORD="correct-horse-9",
        REQ=str(request_file),
    )
    assert res.returncode == 0, (res.returncode, res.stderr)
    assert not list(mnt.iterdir())  # the tmpfs lived in the namespace only
    for cmd in ("status", "doctor", "list"):
        # "... پر است": doctor's own report line says "دیسک پر است", the others the store's
        # "دیسک این رایانه پر است".
        for lang, words in (("fa", "پر است"), ("en", "The disk of this PC is full")):
            said = (out / f"{cmd}.{lang}.out").read_text() + (out / f"{cmd}.{lang}.err").read_text()
            rc = int((out / f"{cmd}.{lang}.rc").read_text())
            assert rc == 1, (cmd, lang, rc, said)
            assert words in said, (cmd, lang, said)
            assert "Traceback" not in said and "OperationalError" not in said, said
    # doctor still reports, read-only, what it can read; a request is refused, not half-saved.
    assert int((out / "doctor.json.rc").read_text()) == 1
    report = json.loads((out / "doctor.json").read_text())
    assert "database_unopenable" in {p["code"] for p in report["problems"]}
    assert report["integrity"] == "ok" and report["requests"] == 0
    add = (out / "add.out").read_text() + (out / "add.err").read_text()
    assert int((out / "add.rc").read_text()) == 1, add
    assert "The disk of this PC is full" in add and "Traceback" not in add, add


def _sqlite_error(code: int, name: str, text: str) -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError(text)
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    exc.sqlite_errorname = name  # type: ignore[attr-defined]
    return exc


def test_errors_are_judged_by_result_code_not_by_their_words(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite3"
    # An I/O error on a disk with room is a failing disk, whatever its text says.
    ioerr = _sqlite_error(sqlite3.SQLITE_IOERR_WRITE, "SQLITE_IOERR_WRITE", "disk is full")
    assert isinstance(translate_db_error(ioerr, path=db), DiskIOError)
    full = _sqlite_error(sqlite3.SQLITE_FULL, "SQLITE_FULL", "disk I/O error")
    assert isinstance(translate_db_error(full, path=db), DiskFullError)
    opening = translate_db_error(full, path=db, opening=True)
    assert isinstance(opening, DiskFullError) and "open" in opening.message.en
    # A message that merely mentions a lock, without SQLite's code, stays a bug.
    plain = sqlite3.OperationalError("database is locked")
    assert translate_db_error(plain) is plain


def test_a_real_lock_is_busy(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite3"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError) as info:
            other.execute("BEGIN IMMEDIATE")
        assert isinstance(translate_db_error(info.value, path=db), DatabaseBusyError)
    finally:
        other.close()
        holder.close()


def test_the_file_systems_own_refusals_are_judged_by_errno(tmp_path: Path) -> None:
    import errno

    db = tmp_path / "x.sqlite3"
    assert isinstance(translate_db_error(OSError(errno.ENOSPC, "No space"), path=db), DiskFullError)
    too_large = translate_db_error(OSError(errno.EFBIG, "File too large"), path=db)
    assert isinstance(too_large, DiskIOError)  # room on the disk: it failed, it is not full
    other = OSError(errno.EACCES, "Permission denied")
    assert translate_db_error(other, path=db) is other  # not a disk's failure: said as it is
