"""The key file: slots that unwrap the data key, the recovery key, damage, sealing files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from desktop import keyslots
from desktop.keyslots import KeySlots, KeySlotsDamaged, WrongSecret


@pytest.fixture
def data_key() -> bytes:
    return keyslots.new_data_key()


def test_each_password_unwraps_the_same_key(tmp_path: Path, data_key: bytes) -> None:
    slots = KeySlots().with_clerk(data_key, 1, "modir", "correct-horse")
    slots = slots.with_clerk(data_key, 2, "sara", "battery-staple")
    slots.save(tmp_path)
    loaded = keyslots.load(tmp_path)
    assert loaded.unlock("modir", "correct-horse") == data_key
    assert loaded.unlock("sara", "battery-staple") == data_key
    with pytest.raises(WrongSecret):
        loaded.unlock("sara", "correct-horse")
    with pytest.raises(WrongSecret):
        loaded.unlock("nobody", "correct-horse")


def test_the_key_file_holds_no_key_nor_password(tmp_path: Path, data_key: bytes) -> None:
    slots, recovery = (
        KeySlots().with_clerk(data_key, 1, "modir", "correct-horse").with_recovery(data_key)
    )
    raw = slots.save(tmp_path).read_bytes()
    for secret in (data_key, data_key.hex().encode(), b"correct-horse", recovery.encode()):
        assert secret not in raw
    if os.name == "posix":
        assert (tmp_path / keyslots.KEYS_FILENAME).stat().st_mode & 0o777 == 0o600


def test_persian_digits_in_a_password_open_the_latin_slot(data_key: bytes) -> None:
    slots = KeySlots().with_clerk(data_key, 1, "modir", "pass1234")
    assert slots.unlock("modir", "pass۱۲۳۴") == data_key


def test_rewrapping_replaces_the_old_password(data_key: bytes) -> None:
    slots = KeySlots().with_clerk(data_key, 1, "modir", "old-password")
    slots = slots.with_clerk(data_key, 1, "modir", "new-password")
    assert len(slots.slots) == 1
    assert slots.unlock("modir", "new-password") == data_key
    with pytest.raises(WrongSecret):
        slots.unlock("modir", "old-password")
    assert slots.without_clerk(1).clerk_slot("modir") is None


def test_a_slot_moved_to_another_name_does_not_open(tmp_path: Path, data_key: bytes) -> None:
    KeySlots().with_clerk(data_key, 1, "modir", "correct-horse").save(tmp_path)
    path = tmp_path / keyslots.KEYS_FILENAME
    body = json.loads(path.read_bytes())
    body["slots"][0]["username"] = "thief"
    path.write_text(json.dumps(body))
    with pytest.raises(WrongSecret):
        keyslots.load(tmp_path).unlock("thief", "correct-horse")


def test_recovery_key_in_either_digit_set_with_any_grouping(data_key: bytes) -> None:
    slots, digits = KeySlots().with_recovery(data_key)
    assert len(digits) == 48 and digits.isdigit()
    paper_fa = keyslots.format_recovery_key(digits, persian=True)
    assert len(paper_fa.split("-")) == 8 and not any(
        ch.isascii() and ch.isdigit() for ch in paper_fa
    )
    assert slots.unlock_recovery(paper_fa) == data_key
    assert slots.unlock_recovery(keyslots.format_recovery_key(digits).replace("-", " ")) == data_key
    wrong = ("1" if digits[0] != "1" else "2") + digits[1:]
    with pytest.raises(WrongSecret) as err:
        slots.unlock_recovery(wrong)
    assert "recovery" in err.value.message.en
    _, other = slots.with_recovery(data_key)
    assert other != digits


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"{not json",
        b'{"format": 99, "slots": []}',
        b'{"format": 1, "slots": [{"kind": "clerk"}]}',
        b'{"format": 1, "slots": [{"kind": "clerk", "clerk_id": 1, "username": "a", '
        b'"argon2id": {"salt": "AAAAAAAAAAAAAAAAAAAAAA==", "time_cost": 1, '
        b'"memory_kib": 99999999999, "parallelism": 1}, "nonce": "AAAAAAAAAAAAAAAA", '
        b'"wrapped": "AA=="}]}',
        b"[" * 100_000,  # json's RecursionError
        b'{"format": 1, "slots": [{"kind": "clerk", "clerk_id": 1, "username": "a", '
        b'"argon2id": {"salt": "AAAAAAAAAAAAAAAAAAAAAA==", "time_cost": 1, '
        b'"memory_kib": 64, "parallelism": 1}, "nonce": "AAAAAAAAAAAAAAAA", '
        b'"wrapped": "AAAA"}]}',  # a wrapped key cut short: damage, not a wrong password
        b'{"format": 1, "slots": [], "pad": "' + b"x" * (4 << 20) + b'"}',
    ],
)
def test_a_damaged_key_file_is_told_and_left_as_it_is(tmp_path: Path, damage: bytes) -> None:
    path = tmp_path / keyslots.KEYS_FILENAME
    path.write_bytes(damage)
    with pytest.raises(KeySlotsDamaged) as err:
        keyslots.load(tmp_path)
    assert "pishkhan.keys" in err.value.message.en and "pishkhan.keys" in err.value.message.fa
    assert path.read_bytes() == damage
    assert keyslots.read_header(tmp_path) is None


def test_a_missing_key_file_is_told(tmp_path: Path) -> None:
    with pytest.raises(KeySlotsDamaged):
        keyslots.load(tmp_path)


def test_a_failed_write_leaves_the_old_file(
    tmp_path: Path, data_key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    KeySlots().with_clerk(data_key, 1, "modir", "correct-horse").save(tmp_path)
    before = (tmp_path / keyslots.KEYS_FILENAME).read_bytes()

    def no_room(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(keyslots.os, "fsync", no_room)
    with pytest.raises(OSError):
        KeySlots().with_clerk(data_key, 2, "sara", "battery-staple").save(tmp_path)
    assert (tmp_path / keyslots.KEYS_FILENAME).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [keyslots.KEYS_FILENAME]  # no temp


def test_the_header_round_trips(tmp_path: Path, data_key: bytes) -> None:
    header = keyslots.Header("دفتر پیشخوان ۱۰۰۱", 3, "0004")
    KeySlots().with_header(header).with_clerk(data_key, 1, "modir", "x" * 8).save(tmp_path)
    assert keyslots.read_header(tmp_path) == header


def test_seal_and_unseal(data_key: bytes) -> None:
    plain = "کارت ملی ۰۰۱۲۳۴۵۶۷۸".encode() * 50
    sealed = keyslots.seal(data_key, plain, name="scan-1.jpg")
    assert plain[:20] not in sealed
    assert keyslots.unseal(data_key, sealed, name="scan-1.jpg") == plain
    assert keyslots.seal(data_key, plain, name="scan-1.jpg") != sealed  # a nonce per file
    with pytest.raises(ValueError):
        keyslots.unseal(data_key, sealed, name="scan-2.jpg")
    with pytest.raises(ValueError):
        keyslots.unseal(keyslots.new_data_key(), sealed, name="scan-1.jpg")
    with pytest.raises(ValueError):
        keyslots.unseal(data_key, sealed[:-1] + bytes([sealed[-1] ^ 1]), name="scan-1.jpg")
    with pytest.raises(ValueError):
        keyslots.unseal(data_key, plain)


def test_the_start_knows_the_key_files_name() -> None:
    from desktop.db import peek

    assert peek.KEYS_FILENAME == keyslots.KEYS_FILENAME  # peek must not import keyslots


def test_a_password_hash_slot_round_trips_and_keeps_no_digest(
    tmp_path: Path, data_key: bytes
) -> None:
    from desktop.clerks import password_hasher

    phc = password_hasher().hash("battery-staple")
    slots = KeySlots().with_clerk_from_hash(data_key, 2, "sara", phc)
    raw = slots.save(tmp_path).read_bytes()
    assert phc.split("$")[-1].encode() not in raw and keyslots.parse_phc(phc).digest not in raw
    loaded = keyslots.load(tmp_path)
    slot = loaded.clerk_slot("sara")
    assert slot is not None and slot.from_hash and loaded.needs_rewrap("sara")
    assert loaded.unlock("sara", "battery-staple") == data_key
    assert loaded.unlock("sara", "battery-staple".replace("1", "۱")) == data_key
    with pytest.raises(WrongSecret):
        loaded.unlock("sara", "battery-stapl3")
    # Claimed as an ordinary slot (its "kek" taken out), it opens nothing: bound in its AAD.
    body = json.loads(raw)
    del body["slots"][0]["kek"], body["slots"][0]["argon2id"]["hash_len"]
    (tmp_path / keyslots.KEYS_FILENAME).write_text(json.dumps(body))
    with pytest.raises(WrongSecret):
        keyslots.load(tmp_path).unlock("sara", "battery-staple")
    rewrapped = loaded.with_clerk(data_key, 2, "sara", "battery-staple")
    assert not rewrapped.needs_rewrap("sara") and len(rewrapped.slots) == 1


_ADD_SLOTS = """
import sys
from pathlib import Path
from desktop import keyslots
folder, first, key = Path(sys.argv[1]), int(sys.argv[2]), bytes.fromhex(sys.argv[3])
for clerk_id in range(first, first + 40):
    keyslots.update(
        folder, lambda s: s.with_clerk(key, clerk_id, f"clerk{clerk_id}", "password-1")
    )
"""


def test_two_processes_changing_slots_at_once_lose_nothing(tmp_path: Path, data_key: bytes) -> None:
    import subprocess
    import sys

    KeySlots().with_clerk(data_key, 1, "modir", "correct-horse").save(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _ADD_SLOTS, str(tmp_path), str(first), data_key.hex()], env=env
        )
        for first in (100, 200)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    slots = keyslots.load(tmp_path)
    assert slots.clerk_ids() == {1, *range(100, 140), *range(200, 240)}
    assert slots.unlock("clerk239", "password-1") == data_key
    lock = tmp_path / (keyslots.KEYS_FILENAME + ".lock")
    assert lock.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == [keyslots.KEYS_FILENAME, lock.name]
