"""Encryption at rest (issue 13): the data folder gives nothing away without a key.

Real SQLCipher files in tmp_path, the real intake path, the real key file. After saving
requests every byte of every file in the data folder (database, -wal/-shm, backups, logs,
settings, the key file) is searched for the applicants' national codes, names and mobiles.
"""

from __future__ import annotations

import logging
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from desktop import keyslots
from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkDirectory, ClerkInfo, LoginFailed
from desktop.config import Settings
from desktop.db.driver import is_plain
from desktop.db.engine import DB_FILENAME, Store
from desktop.db.peek import start_header
from desktop.intake import Intake
from desktop.keyslots import DatabaseUnreadable, KeySlotsDamaged, StoreLocked, WrongSecret
from desktop.keyslots_setup import data_key_for, encrypt_store
from desktop.logs import close_logging, setup_logging
from desktop.office import initialise
from desktop.samples import sample_draft

PASSWORD = "correct-horse"
CLERK_PASSWORD = "battery-staple"
# Names no catalogue, message or setting of the program contains.
FIRST_NAMES = ("کیخسرو", "فرنگیس", "گردآفرید")
LAST_NAMES = ("زرین‌کلاهیان", "شیرین‌سخنی", "مهرآفرینی")


def save_requests(store: Store, clerk: ClerkInfo, n: int, seed: int) -> list[dict[str, str]]:
    """``n`` requests through the real intake path; their applicants as saved."""
    catalogs = CatalogStore(store)
    intake = Intake(store, catalogs)
    rng = random.Random(seed)
    services = catalogs.current().services
    applicants = []
    for i in range(n):
        draft = sample_draft(rng.choice(services), rng)
        applicant = {
            **draft.applicant,
            "first_name": FIRST_NAMES[i % 3],
            "last_name": LAST_NAMES[i % 3],
        }
        intake.save(clerk, replace(draft, applicant=applicant))
        applicants.append(applicant)
    return applicants


def secrets_of(applicants: list[dict[str, str]]) -> set[bytes]:
    found: set[bytes] = set()
    for a in applicants:
        found |= {a["national_code"].encode(), a["mobile"].encode()}
        found |= {a["first_name"].encode(), a["last_name"].encode()}
    return found


def leaks(folder: Path, needles: set[bytes]) -> list[tuple[str, bytes]]:
    """Every (file, needle) where a needle appears in a file of ``folder``, at any depth."""
    out = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        out += [(str(path.relative_to(folder)), n) for n in needles if n in data]
    return out


@pytest.fixture
def plain_office(tmp_path: Path) -> Iterator[tuple[Path, Store, ClerkInfo]]:
    data_dir = tmp_path / "data"
    store = Store.open(data_dir)
    initialise(store, office_code="1001", office_name="دفتر پیشخوان ۱۰۰۱", counter_no=3)
    CatalogStore(store).ensure_seeded()
    manager = ClerkDirectory(store).create_manager("modir", "مدیر دفتر", PASSWORD)
    yield data_dir, store, manager
    store.close()


@pytest.fixture
def office(plain_office: tuple[Path, Store, ClerkInfo]) -> tuple[Path, Store, ClerkInfo, str]:
    data_dir, store, manager = plain_office
    recovery = encrypt_store(store, manager, PASSWORD)
    return data_dir, store, manager, recovery


def test_no_national_code_name_or_mobile_in_any_byte_of_the_folder(
    office: tuple[Path, Store, ClerkInfo, str],
) -> None:
    data_dir, store, manager, _ = office
    setup_logging(data_dir)
    try:
        Settings(data_dir).set("language", "en")
        applicants = save_requests(store, manager, 40, seed=1)
        logging.getLogger("pishkhan.store").info("saved %d requests", len(applicants))
        # A failed statement logged with its trace, as a bug is: no values in its text.
        with pytest.raises(IntegrityError) as failed:
            with store.write() as s:
                s.connection().exec_driver_sql(
                    "INSERT INTO requests (id, national_code, first_name) VALUES (?, ?, ?)",
                    ("x", applicants[0]["national_code"], applicants[0]["first_name"]),
                )
        logging.getLogger("pishkhan.ui").error("unexpected error", exc_info=failed.value)
        store.backup(data_dir / "backups" / "pishkhan-manual.sqlite3")
        # Looked at while the WAL holds the last saves (no checkpoint yet), then after.
        needles = secrets_of(applicants)
        assert Path(f"{store.path}-wal").exists()
        assert leaks(data_dir, needles) == []
        store.close()
        assert leaks(data_dir, needles) == []
    finally:
        close_logging()
    assert not is_plain(data_dir / DB_FILENAME)
    files = {p.name for p in data_dir.rglob("*") if p.is_file()}
    assert {"pishkhan.keys", "pishkhan.log", "pishkhan-manual.sqlite3"} <= files


def test_without_the_key_the_database_does_not_open(
    office: tuple[Path, Store, ClerkInfo, str],
) -> None:
    data_dir, store, manager, _ = office
    save_requests(store, manager, 3, seed=2)
    store.close()
    with pytest.raises(StoreLocked) as locked:
        Store.open(data_dir)
    assert "password" in locked.value.message.en and locked.value.message.fa
    with pytest.raises(DatabaseUnreadable):
        Store.open(data_dir, key=keyslots.new_data_key())
    plain = sqlite3.connect(data_dir / DB_FILENAME)
    with pytest.raises(sqlite3.DatabaseError):
        plain.execute("SELECT count(*) FROM requests").fetchone()
    plain.close()


def test_every_clerks_password_opens_it_and_a_disabled_clerks_does_not(
    office: tuple[Path, Store, ClerkInfo, str],
) -> None:
    data_dir, store, manager, _ = office
    clerks = ClerkDirectory(store)
    sara = clerks.add_clerk(manager, "sara", "سارا", CLERK_PASSWORD)
    reza = clerks.add_clerk(manager, "reza", "رضا", "reza-password")
    save_requests(store, sara, 2, seed=3)
    clerks.set_active(manager, reza.id, False)
    store.close()

    for username, password in (("modir", PASSWORD), ("SARA", CLERK_PASSWORD)):
        key = data_key_for(data_dir, username=username, password=password)
        assert key is not None
        with Store.open(data_dir, key=key).read() as s:
            pass
        reopened = Store.open(data_dir, key=key)
        assert ClerkDirectory(reopened).authenticate(username, password).username in (
            "modir",
            "sara",
        )
        reopened.close()
    with pytest.raises(WrongSecret):
        data_key_for(data_dir, username="reza", password="reza-password")
    with pytest.raises(WrongSecret) as wrong:
        data_key_for(data_dir, username="sara", password=PASSWORD)
    assert wrong.value.message.en == LoginFailed().message.en
    assert wrong.value.message.fa == LoginFailed().message.fa
    del s


def test_a_password_change_and_a_managers_reset_rewrap(
    office: tuple[Path, Store, ClerkInfo, str],
) -> None:
    data_dir, store, manager, _ = office
    clerks = ClerkDirectory(store)
    sara = clerks.add_clerk(manager, "sara", "سارا", CLERK_PASSWORD)
    clerks.change_password(sara, sara.id, "new-sara-password")
    clerks.change_password(manager, manager.id, "new-manager-password")
    store.close()
    with pytest.raises(WrongSecret):
        data_key_for(data_dir, username="sara", password=CLERK_PASSWORD)
    assert data_key_for(data_dir, username="sara", password="new-sara-password")
    assert data_key_for(data_dir, username="modir", password="new-manager-password")
    with pytest.raises(WrongSecret):
        data_key_for(data_dir, username="modir", password=PASSWORD)


def test_the_recovery_key_opens_it(office: tuple[Path, Store, ClerkInfo, str]) -> None:
    data_dir, store, manager, recovery = office
    save_requests(store, manager, 5, seed=4)
    store.close()
    key = data_key_for(data_dir, recovery_key=keyslots.format_recovery_key(recovery, persian=True))
    assert key is not None
    reopened = Store.open(data_dir, key=key)
    with reopened.read() as s:
        assert s.connection().exec_driver_sql("SELECT count(*) FROM requests").scalar() == 5
    # Every password lost: the recovery key opens the store, the manager sets a new one.
    ClerkDirectory(reopened).change_password(manager, manager.id, "after-recovery")
    reopened.close()
    assert data_key_for(data_dir, username="modir", password="after-recovery") == key
    with pytest.raises(WrongSecret):
        data_key_for(data_dir, recovery_key="1" * 48)


def test_a_clerk_from_before_the_encryption_gets_a_slot_at_login(
    plain_office: tuple[Path, Store, ClerkInfo],
) -> None:
    data_dir, store, manager = plain_office
    clerks = ClerkDirectory(store)
    clerks.add_clerk(manager, "sara", "سارا", CLERK_PASSWORD)
    encrypt_store(store, manager, PASSWORD)
    slot = keyslots.load(data_dir).clerk_slot("sara")
    assert slot is not None and slot.from_hash  # from her hash: no password was at hand
    # Logging in at the open program (the manager logged out) makes her ordinary slot.
    clerks.authenticate("sara", CLERK_PASSWORD)
    slot = keyslots.load(data_dir).clerk_slot("sara")
    assert slot is not None and not slot.from_hash
    assert data_key_for(data_dir, username="sara", password=CLERK_PASSWORD) == store.data_key


def test_the_login_window_header_stays_plain_and_impersonal(
    office: tuple[Path, Store, ClerkInfo, str],
) -> None:
    data_dir, store, _, _ = office
    store.close()
    header = start_header(data_dir)
    assert header is not None
    assert (header.office_name, header.counter_no) == ("دفتر پیشخوان ۱۰۰۱", 3)


def test_a_damaged_key_file_is_told_and_kept(office: tuple[Path, Store, ClerkInfo, str]) -> None:
    data_dir, store, _, _ = office
    store.close()
    path = data_dir / keyslots.KEYS_FILENAME
    damaged = path.read_bytes()[:-40]
    path.write_bytes(damaged)
    db_before = (data_dir / DB_FILENAME).read_bytes()
    with pytest.raises(KeySlotsDamaged) as err:
        data_key_for(data_dir, username="modir", password=PASSWORD)
    assert "recovery" in err.value.message.en and err.value.message.fa
    assert start_header(data_dir) is None  # the ordinary start, which says what is wrong
    with pytest.raises(KeySlotsDamaged):
        Store.open(data_dir)
    assert path.read_bytes() == damaged
    assert (data_dir / DB_FILENAME).read_bytes() == db_before


def test_a_damaged_database_is_told_and_not_written(
    office: tuple[Path, Store, ClerkInfo, str],
) -> None:
    data_dir, store, _, _ = office
    key = store.data_key
    store.close()
    db = data_dir / DB_FILENAME
    raw = bytearray(db.read_bytes())
    raw[100:120] = bytes(20)  # inside page 1: its HMAC no longer matches
    db.write_bytes(bytes(raw))
    with pytest.raises(DatabaseUnreadable) as err:
        Store.open(data_dir, key=key)
    assert err.value.message.fa and "damaged" in err.value.message.en
    assert db.read_bytes() == bytes(raw)


def test_a_plain_store_with_its_backups_is_encrypted_and_loses_nothing(
    plain_office: tuple[Path, Store, ClerkInfo],
) -> None:
    data_dir, store, manager = plain_office
    applicants = save_requests(store, manager, 30, seed=5)
    store.backup(data_dir / "backups" / "pishkhan-0003-old.sqlite3")
    with store.read() as s:
        before = s.connection().exec_driver_sql("SELECT id, content_hash FROM requests").all()
    assert leaks(data_dir, secrets_of(applicants)) != []  # the test can see a leak
    encrypt_store(store, manager, PASSWORD)
    with store.read() as s:
        after = s.connection().exec_driver_sql("SELECT id, content_hash FROM requests").all()
    assert sorted(after) == sorted(before)
    assert store.integrity_check() == "ok"
    store.close()
    assert leaks(data_dir, secrets_of(applicants)) == []
    key = data_key_for(data_dir, username="modir", password=PASSWORD)
    backup = Store(data_dir / "backups" / "pishkhan-0003-old.sqlite3", key=key)
    with backup.read() as s:
        assert s.connection().exec_driver_sql("SELECT count(*) FROM requests").scalar() == 30
    backup.close()


def test_scans_are_sealed_with_the_data_key(plain_office: tuple[Path, Store, ClerkInfo]) -> None:
    from desktop.scans.store import ScanMissing, ScanStore

    data_dir, store, manager = plain_office
    page = b"\xff\xd8 scan of national card 0012345678 " + "کیخسرو".encode() * 20
    before = ScanStore.beside(store.path).put(page)  # kept before the encryption: plain
    assert page in (data_dir / "scans" / before[:2] / before).read_bytes()
    encrypt_store(store, manager, PASSWORD)
    scans = ScanStore.beside(store.path, store.data_key)
    later = page + b" second page"
    second = scans.put(later)
    assert leaks(data_dir, {b"0012345678", "کیخسرو".encode()}) == []
    assert scans.read(before) == page and scans.read(second) == later
    kept = (data_dir / "scans" / second[:2] / second).stat().st_mtime_ns
    assert scans.put(later) == second  # already there: not written again
    assert (data_dir / "scans" / second[:2] / second).stat().st_mtime_ns == kept
    with pytest.raises(ScanMissing):
        ScanStore.beside(store.path, keyslots.new_data_key()).read(second)
    with pytest.raises(ScanMissing):
        ScanStore.beside(store.path).read(second)  # sealed: no key, no scan


def test_a_password_change_cut_between_slot_and_database_is_mended_at_login(
    office: tuple[Path, Store, ClerkInfo, str],
) -> None:
    data_dir, store, manager, _ = office
    key = store.data_key
    assert key is not None
    # change_password writes the slot first: killed before the database's hash.
    keyslots.load(data_dir).with_clerk(key, manager.id, "modir", "newer-password").save(data_dir)
    store.close()
    unlocked = data_key_for(data_dir, username="modir", password="newer-password")
    reopened = Store.open(data_dir, key=unlocked)
    try:
        directory = ClerkDirectory(reopened)
        with pytest.raises(LoginFailed):  # the database alone still has the old hash
            directory.authenticate("modir", "newer-password")
        assert directory.authenticate("modir", "newer-password", proven=True).id == manager.id
        assert directory.authenticate("modir", "newer-password").id == manager.id  # mended
        with pytest.raises(LoginFailed):
            directory.authenticate("modir", PASSWORD)
    finally:
        reopened.close()
