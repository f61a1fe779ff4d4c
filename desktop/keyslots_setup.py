"""Turning encryption on for a store, and getting the data key back from a password.

``encrypt_store`` is run once per PC: right after set-up (the wizard, ``init``) or, on a PC
set up by an older program, at the first login of a manager. It makes the data key, writes
the key file (the manager's slot, a password-hash slot for every other active clerk, the
recovery slot, the plain header) *before* the database is encrypted, then encrypts the
database and its backups: killed in between, the next start finds the key file beside a
plain database and finishes (``Store.open``).

The recovery key is marked unseen in the key file until the manager has seen it and said
so (``confirm_recovery_seen``: the window's button, or the command line having printed
it). A power cut before that leaves the mark, and the next login of a manager makes a
new key to show (``renew_unseen_recovery``; the unseen one stops working): an office is
never left with a key nobody saw. A clerk's login leaves the mark for a manager. A key
made over the same open store is not replaced: its window may still be up (the set-up
wizard's stays open beside the login window), and the manager may log in first.

``data_key_for`` is how everything that opens the store gets the key: the login window
and the command line from a clerk's password, or the recovery key when every password is
lost. Nothing runs without one of them: the sync inside the program runs in a logged-in
session, a scripted ``sync`` is given a password (docs/SECURITY.md). Wrong passwords are
counted there per user name and lock the account as on a plain store
(``desktop.login_failures``); a password that opened a password-hash slot (or one of
older costs) rewraps it at once into an ordinary slot.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from pathlib import Path

from desktop import keyslots
from desktop.clerks import ClerkDirectory, ClerkInfo, normalize_username, password_text
from desktop.clock import Clock, utc_now
from desktop.db.engine import Store
from desktop.db.peek import read_header_fields
from desktop.db.raw import driver_connection

log = logging.getLogger("pishkhan.store")

# The recovery slots (their salts) made over each open store, this run: their keys are
# being shown, not lost to a power cut, so a login meanwhile does not replace them.
_MADE_OVER: weakref.WeakKeyDictionary[Store, set[bytes]] = weakref.WeakKeyDictionary()


def _made_over(store: Store, slots: keyslots.KeySlots) -> None:
    slot = slots.recovery_slot()
    if slot is not None:
        _MADE_OVER.setdefault(store, set()).add(slot.salt)


def encrypt_store(store: Store, clerk: ClerkInfo, password: str) -> str:
    """Encrypt the open plain ``store``; the recovery key's digits, to be shown once.

    ``clerk`` (a manager) has just given ``password``: their slot is the first.
    """
    if store.encrypted:
        raise ValueError("the store is already encrypted")
    data_dir = store.path.parent
    key = keyslots.new_data_key()
    slots = keyslots.KeySlots().with_clerk(key, clerk.id, clerk.username, password_text(password))
    # The other clerks' own passwords open it too, from the hashes the database keeps.
    slots = ClerkDirectory(store).with_hash_slots(slots, key, but=clerk.id)
    slots, recovery = slots.with_recovery(key)
    with store.read() as s:
        header = read_header_fields(driver_connection(s))
    if header is not None:
        slots = slots.with_header(header)
    slots.save(data_dir)
    _made_over(store, slots)
    store.encrypt(data_dir, key)
    from desktop.scans.store import ScanStore

    ScanStore.beside(store.path, key).seal_existing()  # scans kept before: sealed now
    return recovery


def new_recovery_key(store: Store) -> str:
    """A new recovery key for an encrypted store (the old one no longer opens it), marked
    unseen until ``confirm_recovery_seen``."""
    made = _new_recovery(store, only_if_unseen=False)
    assert made is not None
    return made


def renew_unseen_recovery(store: Store, clerk: ClerkInfo) -> str | None:
    """At a manager's login: a new recovery key to show if the current one was never seen
    (a power cut before it was shown), else None. Clerks' logins: None, the mark kept.

    Argon2id work: on a worker thread. A key file that cannot be written (a full disk)
    keeps the old key and its mark (the next manager's login tries again); the login
    goes on either way.
    """
    if not clerk.is_manager or store.data_key is None:
        return None
    try:
        slots = keyslots.load(store.path.parent)
        if not slots.recovery_unseen or _shown_here(store, slots):
            return None  # the usual login (no argon2id, no write), or its window is up
        made = _new_recovery(store, only_if_unseen=True)
    except OSError as exc:
        log.warning("recovery key not renewed: %s", exc.strerror or type(exc).__name__)
        return None
    if made is not None:
        log.info("the recovery key was never shown: a new one made for the manager")
    return made


def _shown_here(store: Store, slots: keyslots.KeySlots) -> bool:
    slot = slots.recovery_slot()
    return slot is not None and slot.salt in _MADE_OVER.get(store, set())


def confirm_recovery_seen(data_dir: Path, recovery_key: str) -> bool:
    """The manager has seen ``recovery_key`` (and written it down): the unseen mark goes,
    if it is still the store's recovery key. False if the mark stays (another key made
    since, whose own showing clears it)."""
    shown = keyslots.load(data_dir).recovery_opens(recovery_key)  # argon2id: outside the lock
    if shown is None:
        return False
    after = keyslots.update(data_dir, lambda now: now.with_recovery_seen(shown))
    return not after.recovery_unseen


def _new_recovery(store: Store, *, only_if_unseen: bool) -> str | None:
    key = store.data_key
    if key is None:
        raise ValueError("the store is not encrypted")
    made: list[str] = []

    def with_new_recovery(slots: keyslots.KeySlots) -> keyslots.KeySlots:
        if only_if_unseen and (not slots.recovery_unseen or _shown_here(store, slots)):
            return slots  # another login showed one meanwhile and it was confirmed
        slots, recovery = slots.with_recovery(key)
        made.append(recovery)
        return slots

    saved = keyslots.update(store.path.parent, with_new_recovery)
    if not made:
        return None
    _made_over(store, saved)
    return made[-1]


def data_key_for(
    data_dir: Path,
    *,
    username: str | None = None,
    password: str | None = None,
    recovery_key: str | None = None,
    clock: Clock = utc_now,
) -> bytes | None:
    """The data key of ``data_dir``'s store, or None for a plain store (no key file).

    ``WrongSecret`` for a password or recovery key that opens no slot (``NoSlot`` for an
    account the encryption left without one, its hash of a weak old kind), ``KeySlotsDamaged``
    for a key file that cannot be read (nothing is changed either way), ``AccountLocked``
    for a clerk locked by failed logins (counted here: the database is not open yet).
    """
    if not keyslots.is_encrypted(data_dir):
        return None
    slots = keyslots.load(data_dir)
    if recovery_key is not None:
        return slots.unlock_recovery(recovery_key)
    if username is None or password is None:
        raise keyslots.StoreLocked()
    name, typed = normalize_username(username), password_text(password)
    if slots.clerk_slot(name) is None:
        if name in slots.left_without_slot():
            # Their weak old hash made no slot: no password of theirs can open the store,
            # so say what to do (the name is in the key file in clear already).
            try:
                slots.unlock(name, typed)  # the same work as a real try
            except keyslots.WrongSecret:
                raise keyslots.NoSlot() from None
        return slots.unlock(name, typed)  # WrongSecret, with the work of a real try
    from desktop.login_failures import FailedLogins

    failures = FailedLogins.of(data_dir, clock=clock)
    failures.check(name)
    try:
        key = slots.unlock(name, typed)
    except keyslots.WrongSecret:
        failures.failed(name)  # AccountLocked if this one locks it
        raise
    failures.succeeded(name)
    slot = slots.clerk_slot(name)
    if slot is not None and slot.clerk_id is not None and slots.needs_rewrap(name):
        # Its first login since the encryption (or since new costs): an ordinary slot.
        # Not written (a full disk): the old slot still opens, the next login tries again.
        try:
            clerk_id = slot.clerk_id
            keyslots.update(
                data_dir,
                lambda now: (
                    now.with_clerk(key, clerk_id, name, typed)
                    if now.needs_rewrap(name) and now.clerk_slot(name) is not None
                    else now
                ),
            )
        except OSError as exc:
            log.warning("key slot not rewrapped: %s", exc.strerror or type(exc).__name__)
    return key


class ProtectingLogin:
    """A clerk's login that also encrypts a plain store at its first manager's login.

    A PC set up by an older program has a plain database and no key file; the first
    manager to log in on this version turns encryption on (``encrypt_store``), so a
    manager is there to take the recovery key (``take_recovery_key``, once). Clerks'
    logins before that leave the store as it is. ``before_encrypt`` closes what holds the
    plain file open (the queue's read connection).
    """

    def __init__(
        self,
        directory: ClerkDirectory,
        store: Store,
        *,
        before_encrypt: Callable[[], None] = lambda: None,
    ) -> None:
        self._directory = directory
        self._store = store
        self._before_encrypt = before_encrypt
        self._recovery_key: str | None = None

    def __call__(self, username: str, password: str) -> ClerkInfo:
        clerk = self._directory.authenticate(username, password)
        folder = self._store.path.parent
        if clerk.is_manager and not self._store.encrypted and not keyslots.is_encrypted(folder):
            self._before_encrypt()
            self._recovery_key = encrypt_store(self._store, clerk, password)
        else:  # a key never shown (a power cut at the first encryption): a new one now
            self._recovery_key = renew_unseen_recovery(self._store, clerk)
        return clerk

    def take_recovery_key(self) -> str | None:
        """The recovery key made at the last login, the first time it is asked for."""
        key, self._recovery_key = self._recovery_key, None
        return key

    def recovery_seen(self, recovery_key: str) -> bool:
        """The manager confirmed the key shown (worker thread: argon2id)."""
        return confirm_recovery_seen(self._store.path.parent, recovery_key)
