"""Failed logins counted before an encrypted store is open, and the lockout they bring.

On a plain store the clerk's row counts failures (``ClerkDirectory.authenticate``). On an
encrypted one a wrong password fails at unwrapping the key slot, before the database
that holds that count is open, so the count is kept beside the key file instead:
``pishkhan.logins`` (JSON, written atomically, 0600), one entry per user name *that has
a key slot*: the key file names those clerks in clear already, so nothing is written
here that is not there (a name nobody has, which may be a password typed in the wrong
field, is never written). Entries: failures since the last success, the end of a lock,
and how many failures and locks the database's audit has not been told of yet (the next
login into the open store records them: ``ClerkDirectory.authenticate``); counts only,
no times but the lock's end. The same settings as the plain store (``lockout_attempts``,
``lockout_minutes``) and the same message (``AccountLocked``); a success resets the count.

This guards the login window and the command line against guessing at the keyboard. It
does nothing against a copied disk (whoever has the files can delete this one; only the
password's argon2id cost counts there: docs/SECURITY.md). A damaged file counts as no
failures (logged), and is replaced at the next failure; one that cannot be written (a
full disk) leaves the login as it would be without the count (logged).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.clerks import AccountLocked
from desktop.clock import Clock, utc_now
from desktop.keyfiles import locked, write_atomically
from desktop.keyslots import lock_path

log = logging.getLogger("pishkhan.store")

FAILURES_FILENAME = "pishkhan.logins"
FORMAT = 1
_MAX_COUNT = 1_000_000  # a count, bounded: a file cannot grow with a guessing script


@dataclass(frozen=True)
class _Entry:
    failures: int = 0
    locked_until: dt.datetime | None = None
    unaudited_failures: int = 0
    unaudited_locks: int = 0

    @property
    def empty(self) -> bool:
        return self == _Entry()


class FailedLogins:
    """The failures of ``data_dir``'s clerks before the store is open."""

    def __init__(
        self, data_dir: Path, *, attempts: int = 5, minutes: int = 5, clock: Clock = utc_now
    ) -> None:
        self.path = data_dir / FAILURES_FILENAME
        self._attempts = max(1, attempts)
        self._lockout = dt.timedelta(minutes=max(1, minutes))
        self._clock = clock

    @classmethod
    def of(cls, data_dir: Path, *, clock: Clock = utc_now) -> FailedLogins:
        """With the office's lockout settings (``settings.json``, readable before the store)."""
        from desktop.config import Settings

        settings = Settings(data_dir)
        return cls(
            data_dir,
            attempts=int(settings.get("lockout_attempts")),
            minutes=int(settings.get("lockout_minutes")),
            clock=clock,
        )

    def check(self, username: str) -> None:
        """``AccountLocked`` while ``username`` is locked (before any password is tried)."""
        entry = self._read().get(username)
        if entry is None or entry.locked_until is None:
            return
        now = self._clock()
        if now < entry.locked_until <= now + self._lockout:
            raise AccountLocked.until(entry.locked_until, now)
        # Over, or further ahead than a lock lasts (the PC's clock was put back): not locked.

    def failed(self, username: str) -> None:
        """Count a wrong password; ``AccountLocked`` if this one locks the account."""
        with self._locked():
            self._failed(username)

    def _failed(self, username: str) -> None:
        entries = self._read()
        entry = entries.get(username, _Entry())
        failures = entry.failures + 1
        unaudited = min(entry.unaudited_failures + 1, _MAX_COUNT)
        if failures >= self._attempts:
            locks = min(entry.unaudited_locks + 1, _MAX_COUNT)
            entries[username] = _Entry(0, self._clock() + self._lockout, unaudited, locks)
            self._write(entries)
            log.warning("a clerk's account locked after %d failed logins", failures)
            raise AccountLocked(int(self._lockout.total_seconds() // 60))
        entries[username] = _Entry(failures, None, unaudited, entry.unaudited_locks)
        self._write(entries)

    def succeeded(self, username: str, *, audited: bool = False) -> None:
        """A right password: the count and any lock end. ``audited``: the database's
        audit has just recorded the unaudited failures (``unaudited``) too."""
        with self._locked():
            self._succeeded(username, audited=audited)

    def _succeeded(self, username: str, *, audited: bool) -> None:
        entries = self._read()
        entry = entries.get(username)
        if entry is None:
            return
        kept = _Entry() if audited else _Entry(0, None, *self.unaudited_of(entry))
        if kept.empty:
            del entries[username]
        else:
            entries[username] = kept
        if kept != entry:
            self._write(entries)

    def unaudited(self, username: str) -> tuple[int, int]:
        """(failures, locks) counted here that the database's audit has not recorded."""
        entry = self._read().get(username)
        return (0, 0) if entry is None else self.unaudited_of(entry)

    @staticmethod
    def unaudited_of(entry: _Entry) -> tuple[int, int]:
        return entry.unaudited_failures, entry.unaudited_locks

    def failures(self, username: str) -> int:
        entry = self._read().get(username)
        return 0 if entry is None else entry.failures

    # -- the file ---------------------------------------------------------------------------
    def _locked(self) -> contextlib.AbstractContextManager[None]:
        """The key file's lock: the window and a command line counting at once lose no
        failure (a lock file that cannot be made, a full disk: counted unlocked)."""
        return locked(lock_path(self.path.parent), or_none=True)

    def _read(self) -> dict[str, _Entry]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            log.warning("failed logins file unreadable (%s): counted as none", exc.strerror)
            return {}
        try:
            body = json.loads(raw)
            if body.get("format") != FORMAT:
                raise ValueError(f"format {body.get('format')!r}")
            return {str(name): _entry_of(value) for name, value in body["clerks"].items()}
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            log.warning("failed logins file damaged (%s): counted as none", type(exc).__name__)
            return {}

    def _write(self, entries: dict[str, _Entry]) -> None:
        body: dict[str, Any] = {
            "format": FORMAT,
            "clerks": {
                name: {
                    "failures": e.failures,
                    "locked_until": None if e.locked_until is None else e.locked_until.isoformat(),
                    "unaudited_failures": e.unaudited_failures,
                    "unaudited_locks": e.unaudited_locks,
                }
                for name, e in sorted(entries.items())
            },
        }
        try:
            write_atomically(self.path, json.dumps(body, ensure_ascii=False, indent=1).encode())
        except OSError as exc:
            # A full or read-only disk must not turn a login into an error: uncounted.
            log.warning("failed logins not recorded: %s", exc.strerror or type(exc).__name__)


def _entry_of(value: dict[str, Any]) -> _Entry:
    failures = int(value["failures"])
    until = value.get("locked_until")
    locked_until = None if until is None else dt.datetime.fromisoformat(str(until))
    if locked_until is not None and locked_until.tzinfo is None:
        locked_until = locked_until.replace(tzinfo=dt.UTC)
    return _Entry(
        max(0, failures),
        locked_until,
        max(0, int(value.get("unaudited_failures", 0))),
        max(0, int(value.get("unaudited_locks", 0))),
    )
