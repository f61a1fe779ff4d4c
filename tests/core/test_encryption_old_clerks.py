"""Clerks from before the encryption keep their way in (issue 13).

A PC set up by an older program: a plain store with a manager, two clerks and a disabled
clerk, made by the real set-up code with no encryption. The manager's first login on this
version encrypts it (``ProtectingLogin``, the login window's path); the program is closed
("restart"); each active clerk then opens the store with their own password, as the
login window and the command line do (``data_key_for``, then ``Store.open`` and
``authenticate(proven=True)``), and gets an ordinary slot. The disabled clerk's password
opens nothing, no digest of any hash is in the key file, and nothing personal is in
any byte of the data folder after the migration and after failed logins.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop import keyslots
from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkDirectory, ClerkInfo, LoginFailed, password_hasher
from desktop.db.engine import Store
from desktop.db.models import Clerk
from desktop.keyslots import WrongSecret
from desktop.keyslots_hash import UnusableHash
from desktop.keyslots_setup import ProtectingLogin, data_key_for
from desktop.logs import close_logging, setup_logging
from desktop.office import initialise
from tests.core.test_cli import ENV, batch, case
from tests.core.test_encryption import leaks, save_requests, secrets_of

PASSWORDS = {
    "modir": "correct-horse",
    "sara": "battery-staple",
    "reza": "reza-password",
    "ali": "ali-password",  # disabled by the manager before the upgrade
}


@dataclass(frozen=True)
class OldOffice:
    data_dir: Path
    needles: set[bytes]  # the applicants' national codes, names, mobiles
    hashes: dict[str, str]  # each account's PHC string as the older program left it


def _hash_parts(phc: str) -> set[bytes]:
    """The digest of a PHC string in every spelling a file could hold it in."""
    encoded = phc.split("$")[-1]
    raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4))
    return {encoded.encode(), raw, raw.hex().encode(), base64.b64encode(raw)}


@pytest.fixture
def old_office(tmp_path: Path) -> Iterator[OldOffice]:
    data_dir = tmp_path / "data"
    store = Store.open(data_dir)  # as an older program: set up, plain, no key file
    initialise(store, office_code="1001", office_name="دفتر پیشخوان ۱۰۰۱", counter_no=3)
    CatalogStore(store).ensure_seeded()
    clerks = ClerkDirectory(store)
    manager = clerks.create_manager("modir", "مدیر دفتر", PASSWORDS["modir"])
    sara = clerks.add_clerk(manager, "sara", "سارا", PASSWORDS["sara"])
    clerks.add_clerk(manager, "reza", "رضا", PASSWORDS["reza"])
    ali = clerks.add_clerk(manager, "ali", "علی", PASSWORDS["ali"])
    clerks.set_active(manager, ali.id, False)
    applicants = save_requests(store, sara, 12, seed=13)
    with store.read() as s:
        hashes = {c.username: c.password_hash for c in s.query(Clerk)}
    store.close()
    assert not keyslots.is_encrypted(data_dir)
    yield OldOffice(data_dir, secrets_of(applicants), hashes)


def _first_managers_login(data_dir: Path) -> str:
    """This version's first start: the manager logs in, which encrypts the store."""
    store = Store.open(data_dir)
    try:
        login = ProtectingLogin(ClerkDirectory(store), store)
        assert login("modir", PASSWORDS["modir"]).username == "modir"
        assert store.encrypted
        recovery = login.take_recovery_key()
        assert recovery is not None
        return recovery
    finally:
        store.close()


def _log_in(data_dir: Path, username: str, password: str) -> ClerkInfo:
    """The login window's path on an encrypted store (``ui.app.StoreOpening``)."""
    key = data_key_for(data_dir, username=username, password=password)
    store = Store.open(data_dir, key=key)
    try:
        return ClerkDirectory(store).authenticate(username, password, proven=True)
    finally:
        store.close()


def test_each_clerk_from_before_opens_the_store_with_their_own_password(
    old_office: OldOffice,
) -> None:
    data_dir = old_office.data_dir
    _first_managers_login(data_dir)
    slots = keyslots.load(data_dir)
    by_name = {s.username: s for s in slots.slots if s.kind == keyslots.CLERK}
    assert set(by_name) == {"modir", "sara", "reza"}  # ali is disabled: no slot
    assert not by_name["modir"].from_hash
    assert by_name["sara"].from_hash and by_name["reza"].from_hash
    assert slots.has_recovery()

    # Restart: the store is locked; each clerk's own password opens it.
    for username in ("sara", "reza"):
        assert _log_in(data_dir, username, PASSWORDS[username]).username == username
        slot = keyslots.load(data_dir).clerk_slot(username)
        assert slot is not None and not slot.from_hash  # rewrapped at that first login
        assert not keyslots.load(data_dir).needs_rewrap(username)
    # And again after the rewrap, each with their slot of now.
    for username in ("modir", "sara", "reza"):
        assert _log_in(data_dir, username, PASSWORDS[username]).username == username

    with pytest.raises(WrongSecret) as disabled:
        data_key_for(data_dir, username="ali", password=PASSWORDS["ali"])
    assert disabled.value.message.en == LoginFailed().message.en
    assert disabled.value.message.fa == LoginFailed().message.fa


def test_a_wrong_password_on_a_password_hash_slot_is_the_usual_message(
    old_office: OldOffice,
) -> None:
    data_dir = old_office.data_dir
    _first_managers_login(data_dir)
    before = (data_dir / keyslots.KEYS_FILENAME).read_bytes()
    for wrong in ("not-rezas-password", PASSWORDS["sara"]):
        with pytest.raises(WrongSecret) as err:
            data_key_for(data_dir, username="reza", password=wrong)
        assert err.value.message.en == "Wrong user name or password."
        assert err.value.message.fa == LoginFailed().message.fa
    assert (data_dir / keyslots.KEYS_FILENAME).read_bytes() == before  # nothing rewrapped
    slot = keyslots.load(data_dir).clerk_slot("reza")
    assert slot is not None and slot.from_hash


def test_the_key_file_holds_no_digest_and_the_folder_nothing_personal(
    old_office: OldOffice,
) -> None:
    data_dir = old_office.data_dir
    assert leaks(data_dir, old_office.needles) != []  # the plain store: the scan sees them
    setup_logging(data_dir)  # the log file is searched too
    try:
        _migrate_and_fail(old_office)
    finally:
        close_logging()
    assert (data_dir / "logs" / "pishkhan.log").stat().st_size > 0
    everything = set(old_office.needles)
    for username, phc in old_office.hashes.items():
        everything |= _hash_parts(phc) | {PASSWORDS[username].encode()}
    everything |= {b"wrong-password", b"ghost"}
    assert leaks(data_dir, everything) == []
    assert (data_dir / "pishkhan.logins").is_file()  # reza's failure, counted in a file


def _migrate_and_fail(old_office: OldOffice) -> None:
    data_dir = old_office.data_dir
    _first_managers_login(data_dir)
    raw = (data_dir / keyslots.KEYS_FILENAME).read_bytes()
    for username, phc in old_office.hashes.items():
        assert not any(part in raw for part in _hash_parts(phc)), username
        assert PASSWORDS[username].encode() not in raw
    # The slot keeps the hash's salt and costs only: the same work per guess as the hash.
    body = json.loads(raw)
    (sara,) = [s for s in body["slots"] if s.get("username") == "sara"]
    params = sara["argon2id"]
    phc = keyslots.parse_phc(old_office.hashes["sara"])
    assert base64.b64decode(params["salt"]) == phc.salt
    assert (params["time_cost"], params["memory_kib"], params["parallelism"]) == (
        phc.time_cost,
        phc.memory_kib,
        phc.parallelism,
    )
    assert sorted(params) == ["hash_len", "memory_kib", "parallelism", "salt", "time_cost"]

    # Failed logins before the store is open, a clerk's rewrap, a disabled clerk's try.
    for username, password in (("reza", "wrong-password"), ("ghost", "x" * 8)):
        with pytest.raises(WrongSecret):
            data_key_for(data_dir, username=username, password=password)
    with pytest.raises(WrongSecret):
        data_key_for(data_dir, username="ali", password=PASSWORDS["ali"])
    _log_in(data_dir, "sara", PASSWORDS["sara"])


def test_the_command_line_opens_it_with_a_clerks_password_from_before(
    old_office: OldOffice,
) -> None:
    data_dir = old_office.data_dir
    _first_managers_login(data_dir)
    runs = batch(
        case(
            data_dir,
            "list",
            "--json",
            env={**ENV, "PISHKHAN_USER": "reza", "PISHKHAN_PASSWORD": PASSWORDS["reza"]},
        ),
        case(
            data_dir,
            "list",
            "--lang",
            "en",
            env={**ENV, "PISHKHAN_USER": "sara", "PISHKHAN_PASSWORD": "not-saras"},
        ),
        case(
            data_dir,
            "list",
            "--lang",
            "en",
            env={**ENV, "PISHKHAN_USER": "ali", "PISHKHAN_PASSWORD": PASSWORDS["ali"]},
        ),
    )
    reza, wrong, disabled = runs
    assert reza.code == 0, reza
    assert len(json.loads(reza.stdout)) == 12
    slot = keyslots.load(data_dir).clerk_slot("reza")
    assert slot is not None and not slot.from_hash  # the command line rewrapped it too
    assert wrong.code == 1 and "Wrong user name or password" in wrong.stderr
    slot = keyslots.load(data_dir).clerk_slot("sara")
    assert slot is not None and slot.from_hash
    assert disabled.code == 2 and "'ali' cannot open" in disabled.stderr
    assert all("Traceback" not in r.stderr for r in runs)


def test_a_clerk_enabled_again_opens_it_with_their_password(old_office: OldOffice) -> None:
    data_dir = old_office.data_dir
    _first_managers_login(data_dir)
    key = data_key_for(data_dir, username="modir", password=PASSWORDS["modir"])
    store = Store.open(data_dir, key=key)
    try:
        clerks = ClerkDirectory(store)
        manager = clerks.authenticate("modir", PASSWORDS["modir"], proven=True)
        ali = next(c for c in clerks.list() if c.username == "ali")
        clerks.set_active(manager, ali.id, True)
    finally:
        store.close()
    assert _log_in(data_dir, "ali", PASSWORDS["ali"]).username == "ali"


def test_a_hash_under_the_cost_floor_makes_no_slot(
    old_office: OldOffice, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = keyslots.new_data_key()
    cheap = old_office.hashes["sara"]  # the tests' hashes: t=1, 64 KiB
    assert keyslots.hash_floor() == (1, 64)
    keyslots.KeySlots().with_clerk_from_hash(key, 2, "sara", cheap)
    from argon2 import PasswordHasher, Type

    weaker = PasswordHasher(time_cost=1, memory_cost=32, parallelism=1).hash("battery-staple")
    with pytest.raises(UnusableHash):
        keyslots.KeySlots().with_clerk_from_hash(key, 2, "sara", weaker)
    argon2i = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, type=Type.I).hash("x")
    # More lanes than a slot read back may have: refused, or the whole file would be
    # "damaged" at the next start.
    many_lanes = PasswordHasher(time_cost=1, memory_cost=8 * 32, parallelism=32).hash("x")
    unusables = (argon2i, many_lanes, "$2b$12$abcdefghijklmnopqrstuv", "", cheap[:-10] + "!!!!")
    for unusable in unusables:
        with pytest.raises(UnusableHash):
            keyslots.KeySlots().with_clerk_from_hash(key, 2, "sara", unusable)
    # The production floor is real: the tests' cheap hashes would be refused there.
    monkeypatch.delenv("PISHKHAN_CHEAP_HASHES")
    assert keyslots.hash_floor() == (2, 19 * 1024)
    with pytest.raises(UnusableHash):
        keyslots.KeySlots().with_clerk_from_hash(key, 2, "sara", cheap)
    assert password_hasher().time_cost >= keyslots.hash_floor()[0]
    assert password_hasher().memory_cost >= keyslots.hash_floor()[1]


def test_a_clerk_with_a_weak_old_hash_is_left_to_a_login_or_a_reset(old_office: OldOffice) -> None:
    from argon2 import PasswordHasher
    from sqlalchemy import update

    data_dir = old_office.data_dir
    weak = PasswordHasher(time_cost=1, memory_cost=32, parallelism=1).hash(PASSWORDS["reza"])
    store = Store.open(data_dir)
    with store.write() as s:
        s.execute(update(Clerk).where(Clerk.username == "reza").values(password_hash=weak))
    store.close()
    _first_managers_login(data_dir)
    slots = keyslots.load(data_dir)
    assert slots.clerk_slot("reza") is None and slots.clerk_slot("sara") is not None
    with pytest.raises(WrongSecret):
        data_key_for(data_dir, username="reza", password=PASSWORDS["reza"])
