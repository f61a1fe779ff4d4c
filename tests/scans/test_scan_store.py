"""The scan folder and the scans saved with a request: atomic files, one transaction, power cuts."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import random
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkDirectory
from desktop.db.engine import Store
from desktop.intake import Intake
from desktop.office import initialise
from desktop.samples import sample_draft
from desktop.scans.attach import DocumentScan
from desktop.scans.budgets import ScanKind
from desktop.scans.shrink import JPEG, ShrunkPart
from desktop.scans.store import ScanMissing, ScanStore
from tests.scans.scan_catalog import publish_with_scans

ROOT = Path(__file__).resolve().parents[2]
KILLS = 24


def test_put_is_content_addressed_private_and_idempotent(tmp_path: Path) -> None:
    scans = ScanStore(tmp_path / "scans")
    data = b"\xff\xd8 a page " * 1000
    sha = scans.put(data)
    assert sha == hashlib.sha256(data).hexdigest()
    path = scans.path_of(sha)
    assert path == tmp_path / "scans" / sha[:2] / sha
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "scans").stat().st_mode) == 0o700
    inode = path.stat().st_ino
    assert scans.put(data) == sha and path.stat().st_ino == inode  # not written twice
    assert scans.read(sha) == data
    assert scans.leftover_temp_files() == []


def test_a_damaged_or_missing_file_is_never_taken_for_the_scan(tmp_path: Path) -> None:
    scans = ScanStore(tmp_path / "scans")
    sha = scans.put(b"whole page" * 500)
    path = scans.path_of(sha)
    path.write_bytes(path.read_bytes()[:-10])  # as if cut short
    with pytest.raises(ScanMissing) as caught:
        scans.read(sha)
    assert caught.value.message.fa and "damaged" in caught.value.message.en
    with pytest.raises(ScanMissing):
        scans.read("0" * 64)
    with pytest.raises(ValueError):
        scans.path_of("../../etc/passwd")


def test_leftover_temp_files_are_swept(tmp_path: Path) -> None:
    scans = ScanStore(tmp_path / "scans")
    sha = scans.put(b"x" * 100)
    (scans.path_of(sha).parent / ".part-deadbeef").write_bytes(b"half")
    assert len(scans.leftover_temp_files()) == 1
    assert scans.sweep_temp_files() == 1
    assert scans.leftover_temp_files() == [] and scans.read(sha) == b"x" * 100


def _scan(document: str, data: bytes) -> DocumentScan:
    return DocumentScan(document, ScanKind.DOCUMENT, ShrunkPart(JPEG, data, 1, 10, 10))


def test_scans_are_recorded_with_the_request_and_immutable(
    store: Store, intake: Intake, manager: object, rng: random.Random
) -> None:
    clerk = ClerkDirectory(store).list()[0]
    service = publish_with_scans(CatalogStore(store)).service("self_employed_insurance")
    pages = [b"page one" * 300, b"page two" * 300, b"page one" * 300]
    docs = ["national_card", "birth_certificate", "national_card"]
    draft = dataclasses.replace(
        sample_draft(service, rng), scans=[_scan(d, p) for d, p in zip(docs, pages, strict=True)]
    )
    saved = intake.save(clerk, draft)
    con = sqlite3.connect(store.path)
    try:
        rows = con.execute(
            "SELECT position, document, sha256, size, upload_state FROM scan_parts "
            "WHERE request_id = ? ORDER BY position",
            (saved.id,),
        ).fetchall()
        assert [(r[0], r[1], r[3], r[4]) for r in rows] == [
            (1, "national_card", len(pages[0]), "waiting"),
            (2, "birth_certificate", len(pages[1]), "waiting"),
            (3, "national_card", len(pages[2]), "waiting"),
        ]
        assert rows[0][2] == rows[2][2]  # same content, one file
        assert [intake.scans.read(r[2]) for r in rows] == pages
        with pytest.raises(sqlite3.IntegrityError, match="immutable"):
            con.execute("UPDATE scan_parts SET sha256 = 'x' WHERE request_id = ?", (saved.id,))
        with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
            con.execute("DELETE FROM scan_parts")
        con.execute("UPDATE scan_parts SET upload_state = 'sent'")  # the upload columns may
    finally:
        con.close()


def test_a_refused_save_keeps_no_row(store: Store, intake: Intake, manager: object) -> None:
    clerk = ClerkDirectory(store).list()[0]
    service = publish_with_scans(CatalogStore(store)).service("self_employed_insurance")
    bad = dataclasses.replace(
        sample_draft(service, random.Random(1)),
        applicant={"national_code": "123"},
        scans=[_scan("national_card", b"p" * 100)],
    )
    with pytest.raises(Exception):  # noqa: B017 - any validation failure will do here
        intake.save(clerk, bad)
    con = sqlite3.connect(store.path)
    try:
        assert con.execute("SELECT count(*) FROM scan_parts").fetchone()[0] == 0
    finally:
        con.close()


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX")
def test_sigkill_while_saving_scans_leaves_whole_requests_or_nothing(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    initialise(store, office_code="1001", office_name="دفتر", counter_no=1)
    CatalogStore(store).ensure_seeded()
    publish_with_scans(CatalogStore(store))
    ClerkDirectory(store).create_manager("modir", "مدیر", "correct-horse")
    store.close()

    rng = random.Random(20261202)
    printed: list[str] = []
    for round_no in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.scans.scan_saver", str(tmp_path), str(round_no)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.02, 0.4))
        os.kill(proc.pid, signal.SIGKILL)
        out = proc.stdout.read()
        proc.wait()
        proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL
        lines = out.decode().split("\n")
        printed += [line.split()[1] for line in lines[:-1] if line]

    assert printed  # the loop really saved between kills (how often depends on the load)
    scans = ScanStore.beside(tmp_path / "pishkhan.sqlite3")
    con = sqlite3.connect(tmp_path / "pishkhan.sqlite3")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {r[0] for r in con.execute("SELECT id FROM requests")}
        assert [i for i in printed if i not in stored] == []
        per_request = dict(
            con.execute(
                "SELECT r.id, count(p.id) FROM requests r "
                "LEFT JOIN scan_parts p ON p.request_id = r.id GROUP BY r.id"
            ).fetchall()
        )
        assert set(per_request.values()) == {3}  # every request has all its scans
        for (sha,) in con.execute("SELECT sha256 FROM scan_parts"):
            scans.read(sha)  # whole, by its hash
        named = {r[0] for r in con.execute("SELECT sha256 FROM scan_parts")}
    finally:
        con.close()
    files = [p for p in scans.folder.glob("*/*") if not p.name.startswith(".part-")]
    for path in files:  # no file under a hash name is anything but that content
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name
    assert named <= {p.name for p in files}
