"""The data key's slots: who can unlock the encrypted store, kept beside it in clear.

The store is encrypted (SQLCipher) with one random 256-bit *data key*. The key is never
written in clear: ``pishkhan.keys`` holds it *wrapped* (AES-256-GCM) once per clerk under a
key derived from that clerk's password (argon2id, parameters kept in the slot), and once
under the *recovery key* (48 digits shown once to the manager, for paper). A password
change or a manager's reset rewraps that clerk's slot; a disabled clerk's slot is removed.

The file also carries the start's plain header (office name, counter number, schema
revision: nothing about citizens), so the login window is shown before the store is open.
A slot's associated data names its owner, so a slot copied onto another clerk's name does
not unlock. The file is replaced atomically (temp, fsync, rename, fsync of the folder):
a power cut leaves the old file or the new one. A file that cannot be read is never
rewritten here: the caller is told (``KeySlotsDamaged``) and nothing is overwritten.

A clerk from before the encryption gets a *password-hash slot* when it is turned on
(``with_clerk_from_hash``): the data key wrapped under HKDF of the argon2id digest that
their password makes with the salt and costs of the hash the database keeps. The slot
holds only that salt and those costs, never the digest (which stays inside the encrypted
database), so the clerk's own password opens it without the manager knowing it; their
first login rewraps it into an ordinary slot (``needs_rewrap``). docs/SECURITY.md says
why such a slot is exactly as hard to open as guessing the password against the hash.

A recovery key not yet shown to anyone is marked in the file (``recovery_unseen``),
written with its slot in the same atomic write (``with_recovery``) and cleared only once
that same key was shown and the manager confirmed it (``with_recovery_seen``): a power
cut in between leaves the mark, and the manager's next login makes a new key
(``desktop.keyslots_setup.renew_unseen_recovery``).

``seal`` / ``unseal`` encrypt other files (scans) with the data key, a nonce per file.

This module is imported at start (``read_header``): json and the standard library at
module level; ``cryptography`` and ``argon2`` only when a key is wrapped or unwrapped.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from desktop.keyfiles import locked, write_atomically
from desktop.keyslots_hash import CHEAP_COSTS, kek_from_digest
from desktop.keyslots_hash import UnusableHash as UnusableHash
from desktop.keyslots_hash import hash_floor as hash_floor
from desktop.keyslots_hash import parse_phc as parse_phc
from rules.errors import UserFacingError
from rules.messages import Message
from rules.normalize import to_ascii_digits

KEYS_FILENAME = "pishkhan.keys"
FORMAT = 1
DATA_KEY_BYTES = 32
RECOVERY_GROUPS = 8
RECOVERY_GROUP_DIGITS = 6
CLERK = "clerk"
RECOVERY = "recovery"
FROM_PASSWORD = "argon2id"  # key-encryption key = argon2id(password, the slot's salt)
FROM_HASH = "password-hash"  # = HKDF(argon2id digest of the clerk's stored hash)
_SEAL_MAGIC = b"PKS1"  # a sealed file's first bytes: format 1
_NONCE_BYTES = 12
_WRAPPED_BYTES = DATA_KEY_BYTES + 16  # the data key and AES-GCM's tag
MAX_KEYS_FILE_BYTES = 4 << 20
# The key file's list of user names the encryption could give no slot (their hash was of a
# weak old kind): so the login can tell them to ask for a new password. Names are in the
# file in clear already (the slots'); an older program keeps the field as it is.
WITHOUT_SLOT = "without_slot"


class KeySlotsDamaged(UserFacingError):
    def __init__(self, detail: str) -> None:
        super().__init__(
            Message(
                fa="پروندهٔ کلیدهای پایگاه داده ({name}) خراب یا ناخواناست؛ چیزی تغییر داده "
                "نشد. با پشتیبانی تماس بگیرید و کلید بازیابی را آماده داشته باشید.",
                en="The database's key file ({name}) is damaged or unreadable; nothing was "
                "changed. Call support and have the recovery key ready.",
            ).format(name=KEYS_FILENAME),
            detail=detail,
        )


class StoreLocked(UserFacingError):
    """An encrypted store asked for without its key (a password or the recovery key)."""

    def __init__(self) -> None:
        super().__init__(
            Message(
                fa="پایگاه داده رمزگذاری شده است: برای باز کردن آن گذرواژهٔ یک کاربر یا "
                "کلید بازیابی لازم است.",
                en="The database is encrypted: a user's password or the recovery key is "
                "needed to open it.",
            )
        )


class DatabaseUnreadable(UserFacingError):
    """SQLITE_NOTADB: a key that is not this database's, or a damaged file."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            Message(
                fa="پایگاه داده با این کلید باز نمی‌شود یا پرونده‌اش آسیب دیده است؛ چیزی "
                "تغییر داده نشد. با پشتیبانی تماس بگیرید.",
                en="The database does not open with this key, or its file is damaged; "
                "nothing was changed. Call support.",
            ),
            detail=detail,
        )


class WrongSecret(UserFacingError):
    """A password or recovery key that opens no slot (the same words as a wrong login)."""

    def __init__(self, *, recovery: bool = False) -> None:
        super().__init__(
            Message(fa="کلید بازیابی درست نیست.", en="Wrong recovery key.")
            if recovery
            else Message(fa="نام کاربری یا گذرواژه درست نیست.", en="Wrong user name or password.")
        )


class NoSlot(WrongSecret):
    """An account the encryption left without a slot: its stored hash was of a weak old
    kind (``UnusableHash``), so no password of theirs can open the store until a manager
    sets a new one. A ``WrongSecret`` (nothing opened), said in words that tell what to do."""

    def __init__(self) -> None:
        UserFacingError.__init__(
            self,
            Message(
                fa="پایگاه داده رمزگذاری شده و گذرواژهٔ قدیمی این حساب نمی‌تواند آن را باز کند. "
                "از مدیر دفتر بخواهید گذرواژهٔ تازه‌ای برای شما بگذارد؛ چیزی از دست نرفته است.",
                en="The database is now encrypted and this account's old password cannot open "
                "it. Ask the office manager to set a new password for you; nothing is lost.",
            ),
        )


@dataclass(frozen=True)
class Header:
    """What the login window shows before the store is open: nothing about citizens."""

    office_name: str
    counter_no: int
    schema: str


@dataclass(frozen=True)
class Slot:
    kind: str  # CLERK or RECOVERY
    clerk_id: int | None
    username: str | None
    salt: bytes
    time_cost: int
    memory_kib: int
    parallelism: int
    nonce: bytes
    wrapped: bytes
    derivation: str = FROM_PASSWORD
    hash_len: int = 32  # the digest's length (a password-hash slot: its hash's)

    def aad(self) -> bytes:
        base = f"pishkhan-slot/{FORMAT}/{self.kind}/{self.clerk_id}/{self.username}"
        return (base if self.derivation == FROM_PASSWORD else f"{base}/{self.derivation}").encode()

    @property
    def from_hash(self) -> bool:
        return self.derivation == FROM_HASH


@dataclass(frozen=True)
class KeySlots:
    slots: tuple[Slot, ...] = ()
    header: Header | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The recovery slot's key has not been shown to anyone yet (see the module's doc).
    recovery_unseen: bool = False

    # -- reading ------------------------------------------------------------------------
    def clerk_slot(self, username: str) -> Slot | None:
        for slot in self.slots:
            if slot.kind == CLERK and slot.username == username:
                return slot
        return None

    def clerk_ids(self) -> frozenset[int]:
        return frozenset(s.clerk_id for s in self.slots if s.clerk_id is not None)

    def has_recovery(self) -> bool:
        return any(s.kind == RECOVERY for s in self.slots)

    def recovery_slot(self) -> Slot | None:
        for slot in self.slots:
            if slot.kind == RECOVERY:
                return slot
        return None

    def recovery_opens(self, recovery_key: str) -> Slot | None:
        """The recovery slot ``recovery_key`` opens (argon2id: not on the GUI thread)."""
        digits = parse_recovery_key(recovery_key)
        for slot in self.slots:
            if slot.kind == RECOVERY and _unwrap(slot, digits) is not None:
                return slot
        return None

    def awaiting_first_login(self) -> tuple[str, ...]:
        """The user names whose slot is still a password-hash slot: no login since the
        encryption (read from the file's clear part only: names and slot kinds)."""
        return tuple(
            sorted(
                s.username
                for s in self.slots
                if s.kind == CLERK and s.from_hash and s.username is not None
            )
        )

    def left_without_slot(self) -> tuple[str, ...]:
        """The user names the encryption gave no slot (a weak old hash, ``UnusableHash``;
        listed in the file's ``WITHOUT_SLOT`` field) that have none still."""
        listed = self.extra.get(WITHOUT_SLOT)
        if not isinstance(listed, list):
            return ()
        return tuple(
            sorted({n for n in listed if isinstance(n, str) and self.clerk_slot(n) is None})
        )

    def needs_rewrap(self, username: str) -> bool:
        """Whether the clerk's slot should be made again at their login: missing, a
        password-hash slot (from before the encryption), or older argon2id costs."""
        slot = self.clerk_slot(username)
        if slot is None or slot.from_hash:
            return True
        return (slot.time_cost, slot.memory_kib, slot.parallelism) != _costs()

    def unlock(self, username: str, password: str) -> bytes:
        """The data key from a clerk's password (``username`` already normalised)."""
        slot = self.clerk_slot(username)
        if slot is None:
            _derive(password, _cost_salt(), *_costs())  # the same work: names are not told
            raise WrongSecret()
        key = _unwrap(slot, password)
        if key is None:
            raise WrongSecret()
        return key

    def unlock_recovery(self, recovery_key: str) -> bytes:
        digits = parse_recovery_key(recovery_key)
        for slot in self.slots:
            if slot.kind == RECOVERY:
                key = _unwrap(slot, digits)
                if key is not None:
                    return key
        raise WrongSecret(recovery=True)

    # -- changing (new objects; ``save`` writes them) --------------------------------------
    def with_clerk(self, data_key: bytes, clerk_id: int, username: str, password: str) -> KeySlots:
        """A slot for the clerk (replacing theirs if any): a new account, a new password."""
        kept = tuple(s for s in self.slots if not (s.kind == CLERK and s.clerk_id == clerk_id))
        return replace(self, slots=(*kept, _wrap(data_key, CLERK, clerk_id, username, password)))

    def with_clerk_from_hash(
        self, data_key: bytes, clerk_id: int, username: str, password_hash: str
    ) -> KeySlots:
        """A password-hash slot for a clerk whose password is not at hand (an account from
        before the encryption, an account enabled again): their ``password_hash`` (the
        database's argon2id PHC string) unwraps it with their own password.

        ``UnusableHash`` for a hash that is not argon2id or costs less than the floor
        (``hash_floor``): such a clerk gets a slot at their next login into the open store
        or from a manager's reset instead.
        """
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        phc = parse_phc(password_hash)
        floor_time, floor_memory = hash_floor()
        if phc.time_cost < floor_time or phc.memory_kib < floor_memory:
            raise UnusableHash(
                f"costs t={phc.time_cost}, m={phc.memory_kib} below the floor "
                f"t={floor_time}, m={floor_memory}"
            )
        nonce = secrets.token_bytes(_NONCE_BYTES)
        slot = Slot(
            CLERK,
            clerk_id,
            username,
            phc.salt,
            phc.time_cost,
            phc.memory_kib,
            phc.parallelism,
            nonce,
            b"",
            derivation=FROM_HASH,
            hash_len=len(phc.digest),
        )
        kek = kek_from_digest(phc.digest, slot.aad())
        slot = replace(slot, wrapped=AESGCM(kek).encrypt(nonce, data_key, slot.aad()))
        if not _in_range(slot):  # e.g. 32 lanes or 2 GiB: the file must stay readable
            raise UnusableHash(
                f"costs t={phc.time_cost}, m={phc.memory_kib}, p={phc.parallelism} out of range"
            )
        kept = tuple(s for s in self.slots if not (s.kind == CLERK and s.clerk_id == clerk_id))
        return replace(self, slots=(*kept, slot))

    def without_clerk(self, clerk_id: int) -> KeySlots:
        kept = tuple(s for s in self.slots if not (s.kind == CLERK and s.clerk_id == clerk_id))
        return replace(self, slots=kept)

    def with_recovery(self, data_key: bytes) -> tuple[KeySlots, str]:
        """A new recovery slot (replacing the old one) and its key, to be shown once: marked
        unseen until ``with_recovery_seen`` (the mark goes into the same write as the slot)."""
        digits = "".join(secrets.choice("0123456789") for _ in range(_recovery_len()))
        kept = tuple(s for s in self.slots if s.kind != RECOVERY)
        slot = _wrap(data_key, RECOVERY, None, None, digits)
        return replace(self, slots=(*kept, slot), recovery_unseen=True), digits

    def with_recovery_seen(self, shown: Slot) -> KeySlots:
        """The unseen mark cleared, if ``shown`` (the slot of the key the manager saw) is
        still the recovery slot: a key made since by another process keeps it set."""
        if not self.recovery_unseen or self.recovery_slot() != shown:
            return self
        return replace(self, recovery_unseen=False)

    def with_header(self, header: Header) -> KeySlots:
        return replace(self, header=header)

    # -- the file ---------------------------------------------------------------------------
    def to_json(self) -> bytes:
        body: dict[str, Any] = {
            **self.extra,
            "format": FORMAT,
            # Only when set: an older program's file reads as seen (nothing to show again).
            **({"recovery_unseen": True} if self.recovery_unseen else {}),
            "header": None
            if self.header is None
            else {
                "office_name": self.header.office_name,
                "counter_no": self.header.counter_no,
                "schema": self.header.schema,
            },
            "slots": [
                {
                    "kind": s.kind,
                    "clerk_id": s.clerk_id,
                    "username": s.username,
                    "argon2id": {
                        "salt": _b64(s.salt),
                        "time_cost": s.time_cost,
                        "memory_kib": s.memory_kib,
                        "parallelism": s.parallelism,
                        **({"hash_len": s.hash_len} if s.from_hash else {}),
                    },
                    **({"kek": s.derivation} if s.from_hash else {}),
                    "nonce": _b64(s.nonce),
                    "wrapped": _b64(s.wrapped),
                }
                for s in self.slots
            ],
        }
        return json.dumps(body, ensure_ascii=False, indent=1).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> KeySlots:
        try:
            body = json.loads(raw)
            if body.get("format") != FORMAT:
                raise ValueError(f"format {body.get('format')!r}")
            h = body.get("header")
            header = (
                None
                if h is None
                else Header(str(h["office_name"]), int(h["counter_no"]), str(h["schema"]))
            )
            slots = tuple(_slot_of(s) for s in body["slots"])
            unseen = body.get("recovery_unseen", False)
            if not isinstance(unseen, bool):
                raise ValueError(f"recovery_unseen {unseen!r}")
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            # RecursionError: json's answer to a file of "[[[[…" (damage or tampering).
            raise KeySlotsDamaged(f"{type(exc).__name__}: {exc}") from exc
        known = ("format", "header", "slots", "recovery_unseen")
        extra = {k: v for k, v in body.items() if k not in known}
        return cls(slots, header, extra, unseen)

    def save(self, data_dir: Path) -> Path:
        """Replace ``data_dir/pishkhan.keys`` atomically (0600)."""
        return write_atomically(data_dir / KEYS_FILENAME, self.to_json())


def keys_path(data_dir: Path) -> Path:
    return data_dir / KEYS_FILENAME


def is_encrypted(data_dir: Path) -> bool:
    """Whether this data folder's store is (or is being made) encrypted."""
    return keys_path(data_dir).exists()


def load(data_dir: Path) -> KeySlots:
    """The key slots of ``data_dir``; ``KeySlotsDamaged`` for a file that cannot be read."""
    path = keys_path(data_dir)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_KEYS_FILE_BYTES + 1)
    except FileNotFoundError as exc:
        raise KeySlotsDamaged(f"missing: {path}") from exc
    except OSError as exc:
        raise KeySlotsDamaged(f"{type(exc).__name__}: {exc}") from exc
    if len(raw) > MAX_KEYS_FILE_BYTES:  # ~500 bytes a slot: no office has this many clerks
        raise KeySlotsDamaged(f"larger than {MAX_KEYS_FILE_BYTES} bytes")
    return KeySlots.from_json(raw)


def lock_path(data_dir: Path) -> Path:
    """The lock file of read-modify-writes beside the store (``update``, failed logins)."""
    return data_dir / (KEYS_FILENAME + ".lock")


def update(data_dir: Path, change: Callable[[KeySlots], KeySlots]) -> KeySlots:
    """Load, ``change`` and save the key file under an OS lock (``pishkhan.keys.lock``), so
    two processes (the program, a command line) changing slots at once lose neither
    change: a disabled clerk's slot never comes back from another's stale copy."""
    with locked(lock_path(data_dir)):
        slots = load(data_dir)
        changed = change(slots)
        if changed is not slots:
            changed.save(data_dir)
        return changed


def read_header(data_dir: Path) -> Header | None:
    """The plain header, or None for no file, no header or a file that cannot be read."""
    try:
        return load(data_dir).header
    except KeySlotsDamaged:
        return None


def new_data_key() -> bytes:
    return secrets.token_bytes(DATA_KEY_BYTES)


def parse_recovery_key(text: str) -> str:
    """The recovery key's digits as typed: either digit set, any spaces or dashes."""
    return "".join(ch for ch in to_ascii_digits(text) if ch.isdigit() and ch.isascii())


def format_recovery_key(digits: str, *, persian: bool = False) -> str:
    """Groups of six for paper: ``123456-654321-…`` (Persian digits if asked)."""
    groups = [
        digits[i : i + RECOVERY_GROUP_DIGITS] for i in range(0, len(digits), RECOVERY_GROUP_DIGITS)
    ]
    text = "-".join(groups)
    return text.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) if persian else text


# -- sealing other files with the data key ------------------------------------------------
def seal(data_key: bytes, plain: bytes, *, name: str = "") -> bytes:
    """``plain`` encrypted (AES-256-GCM, a fresh nonce); ``name`` binds it to its file."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(_NONCE_BYTES)
    return _SEAL_MAGIC + nonce + AESGCM(data_key).encrypt(nonce, plain, name.encode())


SEAL_OVERHEAD = len(_SEAL_MAGIC) + _NONCE_BYTES + 16  # magic, nonce, GCM tag


def is_sealed(data: bytes) -> bool:
    return data.startswith(_SEAL_MAGIC)


def unseal(data_key: bytes, sealed: bytes, *, name: str = "") -> bytes:
    """The plain bytes of ``seal``'s output; ``ValueError`` if damaged or another key's."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not sealed.startswith(_SEAL_MAGIC) or len(sealed) < len(_SEAL_MAGIC) + _NONCE_BYTES + 16:
        raise ValueError("not a sealed file")
    nonce = sealed[len(_SEAL_MAGIC) : len(_SEAL_MAGIC) + _NONCE_BYTES]
    try:
        return AESGCM(data_key).decrypt(
            nonce, sealed[len(_SEAL_MAGIC) + _NONCE_BYTES :], name.encode()
        )
    except InvalidTag as exc:
        raise ValueError("sealed file damaged or sealed with another key") from exc


# -- wrapping ---------------------------------------------------------------------------
def _costs() -> tuple[int, int, int]:
    """argon2id's (time, memory KiB, lanes): argon2-cffi's defaults, cheap in tests."""
    if os.environ.get("PISHKHAN_CHEAP_HASHES") == "1":
        return CHEAP_COSTS  # tests only (FACTS.md: the real ones cost ~0.1 s)
    return 3, 65536, 4


def _recovery_len() -> int:
    return RECOVERY_GROUPS * RECOVERY_GROUP_DIGITS


def _cost_salt() -> bytes:
    return secrets.token_bytes(16)


def _derive(
    secret: str, salt: bytes, time_cost: int, memory_kib: int, lanes: int, hash_len: int = 32
) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(
        to_ascii_digits(secret).encode(),
        salt,
        time_cost=time_cost,
        memory_cost=memory_kib,
        parallelism=lanes,
        hash_len=hash_len,
        type=Type.ID,
        version=19,
    )


def _wrap(
    data_key: bytes, kind: str, clerk_id: int | None, username: str | None, secret: str
) -> Slot:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    time_cost, memory_kib, lanes = _costs()
    salt = _cost_salt()
    nonce = secrets.token_bytes(_NONCE_BYTES)
    slot = Slot(kind, clerk_id, username, salt, time_cost, memory_kib, lanes, nonce, b"")
    kek = _derive(secret, salt, time_cost, memory_kib, lanes)
    return replace(slot, wrapped=AESGCM(kek).encrypt(nonce, data_key, slot.aad()))


def _unwrap(slot: Slot, secret: str) -> bytes | None:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    derived = _derive(
        secret, slot.salt, slot.time_cost, slot.memory_kib, slot.parallelism, slot.hash_len
    )
    # A password-hash slot: the derived bytes are the stored hash's digest (same salt,
    # costs and length as the account's hash), stretched once more through HKDF.
    kek = kek_from_digest(derived, slot.aad()) if slot.from_hash else derived
    try:
        key = AESGCM(kek).decrypt(slot.nonce, slot.wrapped, slot.aad())
    except InvalidTag:
        return None
    return key if len(key) == DATA_KEY_BYTES else None


def _slot_of(raw: dict[str, Any]) -> Slot:
    kdf = raw["argon2id"]
    kind = str(raw["kind"])
    if kind not in (CLERK, RECOVERY):
        raise ValueError(f"slot kind {kind!r}")
    derivation = str(raw.get("kek", FROM_PASSWORD))
    if derivation not in (FROM_PASSWORD, FROM_HASH) or (derivation == FROM_HASH) != (
        kind == CLERK and "hash_len" in kdf
    ):
        raise ValueError(f"slot key derivation {derivation!r}")
    clerk_id = raw.get("clerk_id")
    username = raw.get("username")
    slot = Slot(
        kind=kind,
        clerk_id=None if clerk_id is None else int(clerk_id),
        username=None if username is None else str(username),
        salt=_unb64(kdf["salt"]),
        time_cost=int(kdf["time_cost"]),
        memory_kib=int(kdf["memory_kib"]),
        parallelism=int(kdf["parallelism"]),
        nonce=_unb64(raw["nonce"]),
        wrapped=_unb64(raw["wrapped"]),
        derivation=derivation,
        hash_len=int(kdf.get("hash_len", 32)),
    )
    if not _in_range(slot):
        raise ValueError("slot parameters out of range")
    return slot


def _in_range(slot: Slot) -> bool:
    """What a slot read back must be; a slot made (``with_clerk_from_hash``) is held to it
    too, or one odd hash would make the whole file unreadable."""
    # A damaged (or tampered) file must not make a login run for minutes or take the RAM.
    return (
        1 <= slot.time_cost <= 20
        and 8 * slot.parallelism <= slot.memory_kib <= 1 << 20
        and 1 <= slot.parallelism <= 16
        and 8 <= len(slot.salt) <= 64
        and len(slot.nonce) == _NONCE_BYTES
        and 16 <= slot.hash_len <= 64
        # Any other length is damage, not a wrong password: said as such, never counted
        # as a failed login.
        and len(slot.wrapped) == _WRAPPED_BYTES
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode(), validate=True)
