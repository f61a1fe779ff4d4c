"""The command line on an encrypted store: a password or the recovery key, doctor's words.

``init`` encrypts the new store and prints the recovery key once; every other command
opens it with a clerk's password (PISHKHAN_USER / --user, PISHKHAN_PASSWORD) or the
recovery key (--recovery-key, PISHKHAN_RECOVERY_KEY). Real program, real folders.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from desktop import keyslots
from desktop.db.driver import is_plain
from tests.core.test_cli import INIT, TRACEBACK, batch, case, pishkhan


@pytest.fixture
def office(tmp_path: Path) -> tuple[Path, str]:
    data = tmp_path / "data"
    res = pishkhan(data, *INIT)
    assert res.returncode == 0, res.stderr
    recovery = json.loads(res.stdout)["recovery_key"]
    assert "recovery" in res.stderr or "بازیابی" in res.stderr
    return data, recovery


def test_init_encrypts_and_prints_the_recovery_key_once(office: tuple[Path, str]) -> None:
    data, recovery = office
    groups = recovery.split("-")
    assert len(groups) == 8 and all(len(g) == 6 and g.isdigit() for g in groups)
    assert not is_plain(data / "pishkhan.sqlite3")
    slots = keyslots.load(data)
    assert slots.has_recovery() and slots.clerk_slot("modir") is not None
    assert recovery.replace("-", "").encode() not in (data / "pishkhan.keys").read_bytes()


def test_commands_need_a_password_or_the_recovery_key(office: tuple[Path, str]) -> None:
    data, recovery = office
    no_user = {"unset": ["PISHKHAN_USER"]}
    runs = batch(
        case(data, "list", "--json"),
        case(data, "list", "--lang", "en", **no_user),
        case(data, "list", "--lang", "en", unset=["PISHKHAN_PASSWORD"]),
        case(data, "list", "--lang", "en", env={"PISHKHAN_PASSWORD": "not-the-password"}),
        case(data, "list", "--lang", "en", "--user", "ghost"),
        case(data, "list", "--json", "--recovery-key", env={"PISHKHAN_RECOVERY_KEY": recovery}),
        case(data, "list", "--lang", "en", "--recovery-key", env={"PISHKHAN_RECOVERY_KEY": "1"}),
        case(data, "list", "--lang", "en", "--recovery-key"),
    )
    ok, no_name, no_password, wrong, ghost, by_recovery, bad_recovery, no_recovery = runs
    assert ok.code == 0 and json.loads(ok.stdout) == []
    assert no_name.code == 2 and "--user" in no_name.stderr
    assert no_password.code == 2 and "PISHKHAN_PASSWORD" in no_password.stderr
    assert wrong.code == 1 and "Wrong user name or password" in wrong.stderr
    assert ghost.code == 2 and "'ghost' cannot open" in ghost.stderr
    assert by_recovery.code == 0 and json.loads(by_recovery.stdout) == []
    assert bad_recovery.code == 1 and "Wrong recovery key" in bad_recovery.stderr
    assert no_recovery.code == 2 and "PISHKHAN_RECOVERY_KEY" in no_recovery.stderr
    assert all(TRACEBACK not in r.stderr for r in runs)


def test_every_password_lost_the_recovery_key_sets_a_new_one(office: tuple[Path, str]) -> None:
    data, recovery = office
    runs = batch(
        case(
            data,
            "set-password",
            "modir",
            "--recovery-key",
            env={"PISHKHAN_RECOVERY_KEY": recovery, "PISHKHAN_NEW_PASSWORD": "new-password"},
        ),
        case(data, "list", "--lang", "en"),
        case(data, "list", "--json", env={"PISHKHAN_PASSWORD": "new-password"}),
        case(
            data,
            "set-password",
            "--new-recovery-key",
            env={"PISHKHAN_PASSWORD": "new-password"},
        ),
        case(
            data, "list", "--lang", "en", "--recovery-key", env={"PISHKHAN_RECOVERY_KEY": recovery}
        ),
    )
    reset, old_password, new_password, new_key, old_key = runs
    assert reset.code == 0, reset
    assert old_password.code == 1 and "Wrong user name or password" in old_password.stderr
    assert new_password.code == 0, new_password
    assert new_key.code == 0, new_key
    assert json.loads(new_key.stdout)["recovery_key"] != recovery
    assert old_key.code == 1 and "Wrong recovery key" in old_key.stderr


def test_doctor_names_a_damaged_or_missing_key_file(office: tuple[Path, str]) -> None:
    data, _ = office
    keys = data / "pishkhan.keys"
    (locked,) = batch(case(data, "doctor", "--json", unset=["PISHKHAN_PASSWORD"]))
    assert locked.code == 1
    assert [p["code"] for p in json.loads(locked.stdout)["problems"]] == ["database_locked"]
    good = keys.read_bytes()
    keys.write_bytes(good[: len(good) // 2])
    (damaged,) = batch(case(data, "doctor", "--json"))
    report = json.loads(damaged.stdout)
    assert damaged.code == 1 and [p["code"] for p in report["problems"]] == ["key_file_damaged"]
    assert "recovery" in report["problems"][0]["en"]
    assert keys.read_bytes() == good[: len(good) // 2]  # nothing rewritten
    keys.unlink()
    (missing,) = batch(case(data, "doctor", "--json", "--lang", "en"))
    assert missing.code == 1
    assert [p["code"] for p in json.loads(missing.stdout)["problems"]] == ["key_file_missing"]
    keys.write_bytes(good)
    (fine,) = batch(case(data, "doctor", "--lang", "en"))
    assert fine.code == 0, fine
    assert TRACEBACK not in locked.stderr + damaged.stderr + missing.stderr + fine.stderr


def test_doctor_names_a_plain_store_that_is_set_up(tmp_path: Path) -> None:
    from desktop.catalog_store import CatalogStore
    from desktop.clerks import ClerkDirectory
    from desktop.db.engine import Store
    from desktop.office import initialise

    data = tmp_path / "older"
    store = Store.open(data)  # as an older program left it: set up, plain
    initialise(store, office_code="1001", office_name="دفتر", counter_no=1)
    CatalogStore(store).ensure_seeded()
    ClerkDirectory(store).create_manager("modir", "مدیر", "correct-horse")
    store.close()
    (run,) = batch(case(data, "doctor", "--json"))
    assert run.code == 1
    assert [p["code"] for p in json.loads(run.stdout)["problems"]] == ["not_encrypted"]


def test_a_damaged_key_file_is_a_sentence_for_every_way_in(office: tuple[Path, str]) -> None:
    data, recovery = office
    good = (data / "pishkhan.keys").read_bytes()
    body = json.loads(good)
    body["slots"][0]["wrapped"] = body["slots"][0]["wrapped"][:8]
    damages = (good[:-30], b"[" * 100_000, json.dumps(body).encode(), bytes(range(256)))
    folders = []
    for i, damaged in enumerate(damages):  # a copy of the office per damage: one batch
        folder = data.with_name(f"damaged-{i}")
        shutil.copytree(data, folder)
        (folder / "pishkhan.keys").write_bytes(damaged)
        folders.append(folder)
    by_recovery = {"PISHKHAN_RECOVERY_KEY": recovery}
    reset = {"PISHKHAN_NEW_PASSWORD": "new-password"}
    runs = batch(
        *[
            c
            for folder in folders
            for c in (
                case(folder, "list", "--lang", "en"),
                case(folder, "list", "--lang", "fa"),
                case(folder, "list", "--lang", "en", "--recovery-key", env=by_recovery),
                case(folder, "set-password", "modir", "--lang", "en", env=reset),
            )
        ],
        case(
            data, "list", "--lang", "en", "--recovery-key", env={"PISHKHAN_RECOVERY_KEY": "1" * 48}
        ),
        case(
            data, "list", "--lang", "fa", "--recovery-key", env={"PISHKHAN_RECOVERY_KEY": "۱۲۳-ab"}
        ),
    )
    damaged_runs, wrong_keys = runs[:-2], runs[-2:]
    for run in damaged_runs:
        assert run.code == 1, run
        assert "pishkhan.keys" in run.stderr, run
    assert all("damaged" in r.stderr for i, r in enumerate(damaged_runs) if i % 4 != 1)
    assert all("خراب" in r.stderr for i, r in enumerate(damaged_runs) if i % 4 == 1)
    for folder, damaged in zip(folders, damages, strict=True):
        assert (folder / "pishkhan.keys").read_bytes() == damaged  # nothing rewritten
    assert [r.code for r in wrong_keys] == [1, 1]
    assert "Wrong recovery key" in wrong_keys[0].stderr
    assert "کلید بازیابی درست نیست" in wrong_keys[1].stderr
    assert all(TRACEBACK not in r.stderr and "Unexpected" not in r.stderr for r in runs)
