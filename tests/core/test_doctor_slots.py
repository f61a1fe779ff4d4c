"""``doctor`` lists the clerks not logged in since the encryption, without a password.

A PC set up by an older program (a real plain store: a manager, two clerks from before
and one whose stored hash is of a weak old kind); the manager's first login encrypts it
(``ProtectingLogin``, the login window's path). ``doctor`` then reads the key file's clear
part only (names and slot kinds): the clerks whose slot is still a password-hash slot,
and the one left without a slot, in Persian and English and in ``--json``; each list
shrinks as a clerk logs in or the manager gives a new password. The weak-hash clerk's
own password is told what to do, at the command line and at ``data_key_for`` (the login
window's path; tests/ui/test_login_weak_digest.py shows it in the window).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update

from desktop import keyslots
from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkDirectory
from desktop.db.engine import Store
from desktop.db.models import Clerk
from desktop.doctor import examine
from desktop.keyslots_setup import ProtectingLogin, data_key_for
from desktop.office import initialise
from tests.core.test_cli import ENV, batch, case

PASSWORDS = {
    "modir": "correct-horse",
    "sara": "battery-staple",
    "mina": "mina-password",
    "reza": "reza-password",  # his hash is under the cost floor: no slot
}
NOT_LOGGED_IN_EN = "These users have not logged in since the encryption"
NOT_LOGGED_IN_FA = "این کاربران از زمان رمزگذاری وارد نشده‌اند"
WITHOUT_KEY_EN = "These users' old passwords cannot open the encrypted database"
WITHOUT_KEY_FA = "گذرواژهٔ قدیمی این کاربران پایگاه دادهٔ رمزگذاری‌شده را باز نمی‌کند"
ASK_MANAGER_EN = "Ask the office manager to set a new password for you"
ASK_MANAGER_FA = "از مدیر دفتر بخواهید گذرواژهٔ تازه‌ای برای شما بگذارد"


def make_old_office(data_dir: Path) -> None:
    """A plain store as an older program left it; reza's hash is cheaper than the floor."""
    store = Store.open(data_dir)
    try:
        initialise(store, office_code="1001", office_name="دفتر پیشخوان ۱۰۰۱", counter_no=3)
        CatalogStore(store).ensure_seeded()
        clerks = ClerkDirectory(store)
        manager = clerks.create_manager("modir", "مدیر دفتر", PASSWORDS["modir"])
        for name, display in (("sara", "سارا"), ("mina", "مینا"), ("reza", "رضا")):
            clerks.add_clerk(manager, name, display, PASSWORDS[name])
        weak = PasswordHasher(time_cost=1, memory_cost=32, parallelism=1).hash(PASSWORDS["reza"])
        with store.write() as s:
            s.execute(update(Clerk).where(Clerk.username == "reza").values(password_hash=weak))
    finally:
        store.close()


def encrypt_at_managers_login(data_dir: Path) -> None:
    store = Store.open(data_dir)
    try:
        ProtectingLogin(ClerkDirectory(store), store)("modir", PASSWORDS["modir"])
        assert store.encrypted
    finally:
        store.close()


def codes(data_dir: Path) -> dict[str, dict[str, str]]:
    report = examine(data_dir)  # no key: the key file's clear part only
    return {p.code: {"fa": p.message.fa, "en": p.message.en} for p in report.problems}


@pytest.fixture
def encrypted_office(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    make_old_office(data_dir)
    encrypt_at_managers_login(data_dir)
    return data_dir


def test_doctor_lists_the_clerks_awaiting_their_first_login_without_a_password(
    encrypted_office: Path,
) -> None:
    data_dir = encrypted_office
    report = examine(data_dir)
    assert report.facts["awaiting_first_login"] == ["mina", "sara"]  # not modir: his own
    assert report.facts["without_key"] == ["reza"]
    found = {p.code: p.message for p in report.problems}
    assert found["awaiting_first_login"].en.startswith(f"{NOT_LOGGED_IN_EN}: mina, sara.")
    assert found["awaiting_first_login"].fa.startswith(f"{NOT_LOGGED_IN_FA}: mina، sara.")
    assert found["without_key"].en.startswith(f"{WITHOUT_KEY_EN}: reza.")
    assert found["without_key"].fa.startswith(f"{WITHOUT_KEY_FA}: reza.")
    assert "database_locked" in found  # the rest needs a password; these did not
    en, fa = "\n".join(report.lines("en")), "\n".join(report.lines("fa"))
    assert "users not logged in since the encryption: mina, sara" in en
    assert "users without a key: reza" in en
    assert "کاربران بی‌ورود از زمان رمزگذاری: mina، sara" in fa
    assert "کاربران بی‌کلید: reza" in fa
    assert NOT_LOGGED_IN_EN in en and NOT_LOGGED_IN_FA in fa

    # sara logs in (the login window's path): her slot is rewrapped, she leaves the list.
    data_key_for(data_dir, username="sara", password=PASSWORDS["sara"])
    assert examine(data_dir).facts["awaiting_first_login"] == ["mina"]
    data_key_for(data_dir, username="mina", password=PASSWORDS["mina"])
    assert "awaiting_first_login" not in codes(data_dir)
    assert "without_key" in codes(data_dir)

    # The manager gives reza a new password: a slot of his own, the last finding gone.
    key = data_key_for(data_dir, username="modir", password=PASSWORDS["modir"])
    store = Store.open(data_dir, key=key)
    try:
        clerks = ClerkDirectory(store)
        manager = clerks.authenticate("modir", PASSWORDS["modir"], proven=True)
        reza = next(c for c in clerks.list() if c.username == "reza")
        clerks.change_password(manager, reza.id, "reza-new-password")
    finally:
        store.close()
    report = examine(data_dir)
    assert report.facts["awaiting_first_login"] == [] and report.facts["without_key"] == []
    assert not {"awaiting_first_login", "without_key"} & {p.code for p in report.problems}
    assert data_key_for(data_dir, username="reza", password="reza-new-password") == key


def test_doctor_json_and_the_command_line_say_it_without_a_password(
    encrypted_office: Path,
) -> None:
    data_dir = encrypted_office
    no_secret = ["PISHKHAN_PASSWORD", "PISHKHAN_USER"]
    as_reza = {**ENV, "PISHKHAN_USER": "reza", "PISHKHAN_PASSWORD": PASSWORDS["reza"]}
    as_nobody = {**ENV, "PISHKHAN_USER": "ghost", "PISHKHAN_PASSWORD": "x" * 8}
    runs = batch(
        case(data_dir, "doctor", "--json", unset=no_secret),
        case(data_dir, "doctor", "--lang", "en", unset=no_secret),
        case(data_dir, "doctor", "--lang", "fa", unset=no_secret),
        case(data_dir, "list", "--lang", "en", env=as_reza),
        case(data_dir, "list", "--lang", "fa", env=as_reza),
        case(data_dir, "list", "--lang", "en", env=as_nobody),
    )
    as_json, en, fa, reza_en, reza_fa, nobody = runs
    assert as_json.code == 1, as_json  # problems found: exit 1
    body = json.loads(as_json.stdout)
    assert body["awaiting_first_login"] == ["mina", "sara"]
    assert body["without_key"] == ["reza"]
    assert {"awaiting_first_login", "without_key"} <= {p["code"] for p in body["problems"]}
    assert f"{NOT_LOGGED_IN_EN}: mina, sara." in en.stdout
    assert f"{NOT_LOGGED_IN_FA}: mina، sara." in fa.stdout
    # reza's old password: what to do, with the exit code of a user who cannot open it.
    assert reza_en.code == 2 and ASK_MANAGER_EN in reza_en.stderr, reza_en
    assert reza_fa.code == 2 and ASK_MANAGER_FA in reza_fa.stderr, reza_fa
    assert nobody.code == 2 and "'ghost' cannot open" in nobody.stderr, nobody  # as before
    assert ASK_MANAGER_EN not in nobody.stderr
    assert all("Traceback" not in r.stderr for r in runs)
    # doctor read only the file: nobody's slot was rewrapped, nothing was written.
    assert keyslots.load(data_dir).awaiting_first_login() == ("mina", "sara")


def test_a_weak_hash_clerks_password_says_to_ask_the_manager(encrypted_office: Path) -> None:
    data_dir = encrypted_office
    for password in (PASSWORDS["reza"], "some-other-guess"):  # either: no slot to tell by
        with pytest.raises(keyslots.NoSlot) as raised:
            data_key_for(data_dir, username="reza", password=password)
        assert ASK_MANAGER_EN in raised.value.message.en
        assert ASK_MANAGER_FA in raised.value.message.fa
        assert isinstance(raised.value, keyslots.WrongSecret)  # nothing opened
    with pytest.raises(keyslots.WrongSecret) as ghost:  # a name nobody has: as before
        data_key_for(data_dir, username="ghost", password="x" * 8)
    assert not isinstance(ghost.value, keyslots.NoSlot)
    assert ghost.value.message.en == "Wrong user name or password."


def test_a_disabled_account_leaves_the_lists(encrypted_office: Path) -> None:
    data_dir = encrypted_office
    key = data_key_for(data_dir, username="modir", password=PASSWORDS["modir"])
    store = Store.open(data_dir, key=key)
    try:
        clerks = ClerkDirectory(store)
        manager = clerks.authenticate("modir", PASSWORDS["modir"], proven=True)
        for clerk in clerks.list():
            if clerk.username in ("reza", "mina"):
                clerks.set_active(manager, clerk.id, False)
    finally:
        store.close()
    report = examine(data_dir)
    assert report.facts["awaiting_first_login"] == ["sara"]
    assert report.facts["without_key"] == []
    with pytest.raises(keyslots.WrongSecret) as disabled:  # nobody is to give it a password
        data_key_for(data_dir, username="reza", password=PASSWORDS["reza"])
    assert not isinstance(disabled.value, keyslots.NoSlot)
