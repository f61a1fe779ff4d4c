"""The console's settings, each declared once with its default and meaning.

They come from the environment (``PISHKHAN_CONSOLE_*``) so that ``serve`` and the
``create-staff`` command agree without new options on every command; tests use them to
make password hashing cheap and the idle timeout short.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

ENV_PREFIX = "PISHKHAN_CONSOLE_"


@dataclass(frozen=True)
class ConsoleSettings:
    idle_timeout_seconds: int = 30 * 60
    """A session unused this long is over (the staff member logs in again)."""
    session_lifetime_seconds: int = 12 * 3600
    """A session ends this long after its login, however busy."""
    lockout_failures: int = 5
    """Wrong passwords in a row that lock an account."""
    lockout_seconds: int = 15 * 60
    """How long a locked account stays locked."""
    login_failures_burst: int = 20
    """Failed logins from one address before it is answered 429 (any account)."""
    login_failures_per_minute: float = 10.0
    argon2_time_cost: int = 3
    """argon2id parameters of new password hashes (the hash carries them: old ones verify)."""
    argon2_memory_kib: int = 64 * 1024
    argon2_parallelism: int = 1
    page_size: int = 50
    """Requests per inbox page."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ConsoleSettings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None or not raw.strip():
                continue
            kind = float if f.type in ("float", float) else int
            values[f.name] = max(kind(raw), kind(1))
        return cls(**values)  # type: ignore[arg-type]
