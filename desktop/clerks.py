"""Clerk accounts: the first manager, adding and disabling clerks, login with lockout.

Passwords are hashed with argon2id. Repeated failures lock the account for a
while (settings ``lockout_attempts`` / ``lockout_minutes``); every login,
failure, lock and change is an audit event.

On an encrypted store each active clerk also has a key slot (``desktop.keyslots``): a new
account or a new password writes that clerk's slot, disabling an account removes it. The
clerks from before the encryption get a password-hash slot when it is turned on
(``with_hash_slots``), as does an account enabled again; the clerk's next login rewraps
it into an ordinary slot with the program's current costs (``_ensure_slot``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop import audit, keyslots
from desktop.audit import Action
from desktop.clock import Clock, utc_now
from desktop.db.engine import Store
from desktop.db.models import Clerk
from desktop.errors import PermissionDeniedError
from desktop.keyslots_hash import CHEAP_COSTS
from rules.errors import UserFacingError
from rules.messages import CONTROL_CHARACTERS, Message
from rules.normalize import has_control_characters, normalize_letters, to_ascii_digits

log = logging.getLogger("pishkhan.store")

if TYPE_CHECKING:
    from desktop.login_failures import FailedLogins

MIN_PASSWORD_LENGTH = 8
MANAGER = "manager"
CLERK = "clerk"


def password_hasher() -> PasswordHasher:
    if os.environ.get("PISHKHAN_CHEAP_HASHES") == "1":
        # Tests only: production parameters cost ~0.1 s a hash (FACTS.md).
        time_cost, memory_kib, lanes = CHEAP_COSTS  # the key slots' cheap costs too
        return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=lanes)
    return PasswordHasher()


@dataclass(frozen=True)
class ClerkInfo:
    id: int
    username: str
    display_name: str
    role: str
    active: bool

    @property
    def is_manager(self) -> bool:
        return self.role == MANAGER


class LoginFailed(UserFacingError):
    def __init__(self) -> None:
        super().__init__(
            Message(fa="نام کاربری یا گذرواژه درست نیست.", en="Wrong user name or password.")
        )


class AccountLocked(UserFacingError):
    def __init__(self, minutes: int) -> None:
        super().__init__(
            Message(
                fa="به دلیل چند ورود نادرست، این حساب تا {minutes} دقیقهٔ دیگر قفل است.",
                en="Too many failed logins: this account is locked for {minutes} more minute(s).",
            ).format(minutes=minutes)
        )

    @classmethod
    def until(cls, locked_until: dt.datetime, now: dt.datetime) -> AccountLocked:
        """Locked until ``locked_until``: the minutes left, counting the one begun."""
        return cls(int((locked_until - now).total_seconds() // 60) + 1)


class AccountError(UserFacingError):
    pass


def _info(clerk: Clerk) -> ClerkInfo:
    return ClerkInfo(clerk.id, clerk.username, clerk.display_name, clerk.role, clerk.active)


def normalize_username(username: str) -> str:
    return to_ascii_digits(normalize_letters(username)).strip().lower()


class ClerkDirectory:
    def __init__(
        self,
        store: Store,
        *,
        clock: Clock = utc_now,
        lockout_attempts: int = 5,
        lockout_minutes: int = 5,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._lockout_attempts = lockout_attempts
        self._lockout = dt.timedelta(minutes=lockout_minutes)
        self._hasher = hasher or password_hasher()

    def has_any(self) -> bool:
        with self._store.read() as s:
            return bool(s.scalar(select(func.count(Clerk.id))))

    def list(self) -> list[ClerkInfo]:
        with self._store.read() as s:
            return [_info(c) for c in s.scalars(select(Clerk).order_by(Clerk.id))]

    def create_manager(self, username: str, display_name: str, password: str) -> ClerkInfo:
        """The first account of a new installation; refused once any account exists."""
        password = password_text(password)
        with self._store.write() as s:
            if s.scalar(select(func.count(Clerk.id))):
                raise PermissionDeniedError(
                    Message(
                        fa="مدیر دفتر قبلاً تعریف شده است.",
                        en="The office manager account already exists.",
                    )
                )
            clerk = self._new(s, username, display_name, password, MANAGER)
            audit.record(s, Action.CLERK_ADDED, at=self._clock(), clerk_id=clerk.id, role=MANAGER)
            info = _info(clerk)
        self._write_slot(info, password)
        return info

    def add_clerk(
        self, by: ClerkInfo, username: str, display_name: str, password: str, role: str = CLERK
    ) -> ClerkInfo:
        self._require_manager(by)
        password = password_text(password)
        with self._store.write() as s:
            clerk = self._new(s, username, display_name, password, role)
            audit.record(
                s,
                Action.CLERK_ADDED,
                at=self._clock(),
                clerk_id=by.id,
                new_clerk=clerk.id,
                role=role,
            )
            info = _info(clerk)
        self._write_slot(info, password)
        return info

    def set_active(self, by: ClerkInfo, clerk_id: int, active: bool) -> ClerkInfo:
        self._require_manager(by)
        if clerk_id == by.id and not active:
            raise AccountError(
                Message(
                    fa="مدیر نمی‌تواند حساب خودش را غیرفعال کند.",
                    en="A manager cannot disable their own account.",
                )
            )
        with self._store.write() as s:
            clerk = s.get(Clerk, clerk_id)
            if clerk is None:
                raise AccountError(Message(fa="این کاربر پیدا نشد.", en="No such user."))
            clerk.active = active
            audit.record(
                s,
                Action.CLERK_ENABLED if active else Action.CLERK_DISABLED,
                at=self._clock(),
                clerk_id=by.id,
                target=clerk_id,
            )
            info = _info(clerk)
            password_hash = clerk.password_hash
        if not active:
            self._drop_slot(clerk_id, info.username)
        elif self._store.data_key is not None:
            # Enabled again: their own password opens the store, as before the disabling.
            key = self._store.data_key

            def with_theirs(slots: keyslots.KeySlots) -> keyslots.KeySlots:
                if slots.clerk_slot(info.username) is not None:
                    return slots
                try:
                    return slots.with_clerk_from_hash(key, info.id, info.username, password_hash)
                except keyslots.UnusableHash as exc:
                    log.info("clerk %d enabled without a key slot: %s", info.id, exc)
                    return _left_without_slot(slots, info.username)

            keyslots.update(self._store.path.parent, with_theirs)
        return info

    def change_password(self, by: ClerkInfo, clerk_id: int, new_password: str) -> None:
        if by.id != clerk_id:
            self._require_manager(by)
        new_password = password_text(new_password)
        _check_password(new_password)
        if self._store.encrypted:
            # The slot first: killed in between, the new password opens the store and the
            # login mends the account's hash from the slot (``authenticate(proven=True)``).
            with self._store.read() as s:
                target = s.get(Clerk, clerk_id)
                if target is None:
                    raise AccountError(Message(fa="این کاربر پیدا نشد.", en="No such user."))
                if target.active:
                    self._write_slot(_info(target), new_password)
        with self._store.write() as s:
            clerk = s.get(Clerk, clerk_id)
            if clerk is None:
                raise AccountError(Message(fa="این کاربر پیدا نشد.", en="No such user."))
            clerk.password_hash = self._hasher.hash(new_password)
            clerk.failed_attempts = 0
            clerk.locked_until = None
            username = clerk.username
            audit.record(
                s, Action.PASSWORD_CHANGED, at=self._clock(), clerk_id=by.id, target=clerk_id
            )
        before_open = self._failures_before_open()
        if before_open is not None:
            before_open.succeeded(username)  # a new password: the old one's failures go

    def authenticate(self, username: str, password: str, *, proven: bool = False) -> ClerkInfo:
        """Check a login. Failures are counted and audited; too many lock the account.

        ``proven``: the password has just unlocked this clerk's key slot (the store was
        opened with it), so it is right even where the stored hash is older (a password
        change cut short between the slot and the database).
        """
        now = self._clock()
        name = normalize_username(username)
        password = password_text(password)
        before_open = self._failures_before_open()
        unaudited = (0, 0)
        if before_open is not None:
            before_open.check(name)  # locked by wrong passwords typed before it was open
            unaudited = before_open.unaudited(name)
        with self._store.write() as s:
            clerk = s.scalar(select(Clerk).where(Clerk.username == name))
            if clerk is None or not clerk.active:
                # Same work as a real check, so timing does not tell which names exist.
                _burn(self._hasher, password)
                audit.record(s, Action.LOGIN_FAILED, at=now, reason="unknown_or_disabled")
                raise LoginFailed()
            if clerk.locked_until is not None and clerk.locked_until > now:
                raise AccountLocked.until(clerk.locked_until, now)
            if proven:
                if not _verify(self._hasher, clerk.password_hash, password):
                    clerk.password_hash = self._hasher.hash(password)
                verified = True
            else:
                verified = _verify(self._hasher, clerk.password_hash, password)
            if not verified:
                clerk.failed_attempts += 1
                audit.record(
                    s,
                    Action.LOGIN_FAILED,
                    at=now,
                    clerk_id=clerk.id,
                    reason="password",
                    attempts=clerk.failed_attempts,
                )
                if clerk.failed_attempts >= self._lockout_attempts:
                    clerk.locked_until = now + self._lockout
                    clerk.failed_attempts = 0
                    audit.record(s, Action.ACCOUNT_LOCKED, at=now, clerk_id=clerk.id)
                    locked = True
                else:
                    locked = False
            else:
                locked = None
                clerk.failed_attempts = 0
                clerk.locked_until = None
                clerk.last_login_at = now
                failed_before, locked_before = unaudited
                if failed_before:
                    # Typed at the window before the store was open (desktop.login_failures).
                    audit.record(
                        s,
                        Action.LOGIN_FAILED,
                        at=now,
                        clerk_id=clerk.id,
                        reason="password_before_open",
                        attempts=failed_before,
                    )
                if locked_before:
                    audit.record(
                        s,
                        Action.ACCOUNT_LOCKED,
                        at=now,
                        clerk_id=clerk.id,
                        reason="password_before_open",
                        times=locked_before,
                    )
                if self._hasher.check_needs_rehash(clerk.password_hash):
                    clerk.password_hash = self._hasher.hash(password)
                audit.record(s, Action.LOGIN, at=now, clerk_id=clerk.id)
                info = _info(clerk)
        # Raised after the commit so the failure count and audit event are kept.
        if locked is True:
            raise AccountLocked(int(self._lockout.total_seconds() // 60))
        if locked is False:
            raise LoginFailed()
        if before_open is not None:
            before_open.succeeded(name, audited=True)
        if self._store.encrypted and not proven:
            self._ensure_slot(info, password)
        return info

    # -- key slots (an encrypted store only) ---------------------------------------------
    def _failures_before_open(self) -> FailedLogins | None:
        """The encrypted store's count of failed logins kept beside the key file (the
        window's first login counts there, before the store is open): one lockout."""
        if not self._store.encrypted:
            return None
        from desktop.login_failures import FailedLogins

        return FailedLogins(
            self._store.path.parent,
            attempts=self._lockout_attempts,
            minutes=int(self._lockout.total_seconds() // 60),
            clock=self._clock,
        )

    def _write_slot(self, clerk: ClerkInfo, password: str) -> None:
        key = self._store.data_key
        if key is None:
            return
        keyslots.update(
            self._store.path.parent,
            lambda slots: slots.with_clerk(key, clerk.id, clerk.username, password),
        )

    def _drop_slot(self, clerk_id: int, username: str) -> None:
        if self._store.data_key is None:
            return

        def without(slots: keyslots.KeySlots) -> keyslots.KeySlots:
            slots = slots.without_clerk(clerk_id) if clerk_id in slots.clerk_ids() else slots
            return _left_without_slot(slots, username, listed=False)

        keyslots.update(self._store.path.parent, without)

    def _ensure_slot(self, clerk: ClerkInfo, password: str) -> None:
        """A login into the open store: a slot for a clerk without one, and an ordinary
        slot (current costs) for one with a password-hash slot or older costs."""
        key = self._store.data_key
        if key is None:
            return
        keyslots.update(
            self._store.path.parent,
            lambda slots: (
                slots.with_clerk(key, clerk.id, clerk.username, password)
                if slots.needs_rewrap(clerk.username)
                else slots
            ),
        )

    def with_hash_slots(
        self, slots: keyslots.KeySlots, data_key: bytes, *, but: int
    ) -> keyslots.KeySlots:
        """``slots`` with a password-hash slot for every active clerk but ``but`` (the
        manager whose password is at hand): encryption turned on over an older store.
        Disabled accounts get none; a hash that cannot make one (not argon2id, under the
        cost floor) is logged and that clerk is left to a login or a manager's reset."""
        with self._store.read() as s:
            accounts = [
                (c.id, c.username, c.password_hash)
                for c in s.scalars(select(Clerk).where(Clerk.active.is_(True)).order_by(Clerk.id))
                if c.id != but
            ]
        for clerk_id, username, password_hash in accounts:
            try:
                slots = slots.with_clerk_from_hash(data_key, clerk_id, username, password_hash)
            except keyslots.UnusableHash as exc:
                log.info("clerk %d gets no key slot from their hash: %s", clerk_id, exc)
                slots = _left_without_slot(slots, username)
        return slots

    def create_manager_in(
        self, s: Session, username: str, display_name: str, password: str
    ) -> ClerkInfo:
        """The first manager inside the caller's transaction (``desktop.office.set_up``
        records the office, this PC and the manager in one); the caller has checked that
        no account exists."""
        clerk = self._new(s, username, display_name, password_text(password), MANAGER)
        audit.record(s, Action.CLERK_ADDED, at=self._clock(), clerk_id=clerk.id, role=MANAGER)
        return _info(clerk)

    def _new(self, s: Session, username: str, display_name: str, password: str, role: str) -> Clerk:
        problems = account_problems(username, display_name, password)
        if problems:
            raise AccountError(next(iter(problems.values())))
        if role not in (MANAGER, CLERK):
            raise AccountError(Message(fa="نقش نامعتبر است.", en="Unknown role."))
        name = normalize_username(username)
        display = normalize_letters(display_name)
        if s.scalar(select(Clerk).where(Clerk.username == name)) is not None:
            raise AccountError(
                Message(fa="این نام کاربری قبلاً گرفته شده است.", en="This user name is taken.")
            )
        clerk = Clerk(
            username=name,
            display_name=display,
            role=role,
            password_hash=self._hasher.hash(password),
            active=True,
            failed_attempts=0,
            created_at=self._clock(),
        )
        s.add(clerk)
        s.flush()
        return clerk

    @staticmethod
    def _require_manager(by: ClerkInfo) -> None:
        if not by.is_manager:
            raise PermissionDeniedError(
                Message(
                    fa="این کار فقط از مدیر دفتر برمی‌آید.",
                    en="Only the office manager can do this.",
                )
            )


def password_text(raw: str) -> str:
    """A typed password with Persian/Arabic digits made ASCII: the same keys give the same
    password whichever keyboard layout was on (counter PCs switch layouts all day)."""
    return to_ascii_digits(raw)


def account_problems(username: str, display_name: str, password: str) -> dict[str, Message]:
    """What is wrong with a new account's user name, display name and password (typed
    text; empty if nothing), checked before anything is written. Keys: ``username``,
    ``display_name``, ``password``."""
    problems: dict[str, Message] = {}
    name = normalize_username(username)
    if not name or len(name) > 50 or not all(ch.isalnum() or ch in "._-" for ch in name):
        problems["username"] = Message(
            fa="نام کاربری فقط از حرف، رقم، نقطه و خط تیره تشکیل شود.",
            en="User names use letters, digits, dots and dashes only.",
        )
    display = normalize_letters(display_name)
    if not display:
        problems["display_name"] = Message(
            fa="نام نمایشی را وارد کنید.", en="Enter a display name."
        )
    elif has_control_characters(display):
        problems["display_name"] = CONTROL_CHARACTERS
    try:
        _check_password(password_text(password))
    except AccountError as exc:
        problems["password"] = exc.message
    return problems


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            Message(
                fa="گذرواژه دست‌کم {n} نویسه باشد.", en="Passwords need at least {n} characters."
            ).format(n=MIN_PASSWORD_LENGTH)
        )


def _verify(hasher: PasswordHasher, stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _burn(hasher: PasswordHasher, password: str) -> None:
    hasher.hash(password)


def _left_without_slot(
    slots: keyslots.KeySlots, username: str, *, listed: bool = True
) -> keyslots.KeySlots:
    """``slots`` naming ``username`` among the accounts left without a slot (their login
    then says to ask for a new password, not "wrong password": docs/SECURITY.md), or,
    ``listed=False``, no longer (a disabled account: nobody is to give it a password)."""
    field = slots.extra.get(keyslots.WITHOUT_SLOT)
    names = [n for n in field if isinstance(n, str)] if isinstance(field, list) else []
    if (username in names) == listed:
        return slots
    kept = [*names, username] if listed else [n for n in names if n != username]
    return replace(slots, extra={**slots.extra, keyslots.WITHOUT_SLOT: kept})
