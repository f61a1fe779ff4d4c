"""Password-hash key slots: the stored argon2id hash's parts, its cost floor, the KEK.

A clerk from before the encryption has no slot and no password at hand when the manager
turns encryption on. Their stored hash (a PHC string, ``$argon2id$v=19$m=…,t=…,p=…$S$D``)
says what their password derives: ``D = argon2id(password, S, t, m, p)``. A slot wrapped
under ``kek_from_digest(D)`` and holding only ``S`` and the costs opens with that password
and costs a guesser exactly one argon2id per guess, as the hash itself does
(docs/SECURITY.md). ``hash_floor`` refuses hashes cheaper than that should be.

The standard library at module level (imported at start with ``desktop.keyslots``);
``argon2`` and ``cryptography`` when a slot is made or opened.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

CHEAP_COSTS = (1, 64, 1)  # tests only: desktop.clerks.password_hasher()'s cheap hashes too
_HKDF_INFO = b"pishkhan-slot-kek/password-hash"


class UnusableHash(ValueError):
    """A stored password hash that cannot (or must not) make a password-hash slot."""


@dataclass(frozen=True)
class PasswordHash:
    """The parts of an argon2id PHC string (``$argon2id$v=19$m=…,t=…,p=…$salt$digest``)."""

    salt: bytes
    time_cost: int
    memory_kib: int
    parallelism: int
    digest: bytes


def parse_phc(password_hash: str) -> PasswordHash:
    """``UnusableHash`` for anything but a version-19 argon2id PHC string."""
    from argon2 import Type, extract_parameters
    from argon2.exceptions import InvalidHashError

    try:
        params = extract_parameters(password_hash)
        salt_b64, digest_b64 = password_hash.split("$")[4:6]
        salt, digest = _unb64_phc(salt_b64), _unb64_phc(digest_b64)
    except (InvalidHashError, ValueError) as exc:
        raise UnusableHash(f"not a PHC string: {type(exc).__name__}") from exc
    if params.type is not Type.ID or params.version != 19:
        raise UnusableHash(f"{params.type.name} v{params.version}, not argon2id v19")
    if not (8 <= len(salt) <= 64 and 16 <= len(digest) <= 64):
        raise UnusableHash("salt or digest length out of range")
    return PasswordHash(salt, params.time_cost, params.memory_cost, params.parallelism, digest)


def hash_floor() -> tuple[int, int]:
    """The least argon2id (passes, KiB) a stored hash may cost to make a slot of.

    Production: OWASP's lowest argon2id setting (2 passes over 19 MiB), below which a
    hash from an older program would make a slot cheaper to guess than the ordinary
    ones. Under ``PISHKHAN_CHEAP_HASHES=1`` (tests only) the floor is the cheap hashes'
    own costs, so the tests' hashes pass it and one below it is still refused.
    """
    if os.environ.get("PISHKHAN_CHEAP_HASHES") == "1":
        cheap_time, cheap_memory, _ = CHEAP_COSTS
        return cheap_time, cheap_memory
    return 2, 19 * 1024


def kek_from_digest(digest: bytes, aad: bytes) -> bytes:
    """HKDF-SHA256 of the digest, bound to the slot's owner: not the digest itself, so
    the key-encryption key (which exists only in memory) is not the stored verifier."""
    from cryptography.hazmat.primitives.hashes import SHA256
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(SHA256(), 32, salt=None, info=_HKDF_INFO + b"/" + aad).derive(digest)


def _unb64_phc(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
