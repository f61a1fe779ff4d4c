"""The check a release build makes of the signed root it ships (``update-root.json``).

An installed program trusts exactly one file to start its chain of trust: the repository's
root metadata shipped beside its executable (``desktop.updater.trusted_root_of``). A
release build that ships a wrong one (an unsigned draft, a root signed by too few keys, an
expired one, some other metadata) installs a program whose updater refuses every update,
on 16,000 PCs, with no way to fix it but a new installer carried by hand. So ``dev.py
build --update-root F`` and ``build.spec`` refuse such a file before the build.

The file is read with python-tuf's own Metadata API (the same parser and signature check
the client's ``ngclient`` uses), never by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from tuf.api.metadata import Metadata, Root
from tuf.api.serialization import DeserializationError

from rules.messages import Message

UNREADABLE = Message(
    fa="پرونده‌ی ریشه‌ی به‌روزرسانی ({path}) خوانده نشد: {reason}",
    en="The update root {path} cannot be read: {reason}",
)
NOT_METADATA = Message(
    fa="پرونده‌ی {path} فراداده‌ی TUF نیست: {reason}",
    en="{path} is not TUF metadata: {reason}",
)
NOT_ROOT = Message(
    fa="پرونده‌ی {path} فراداده‌ی نقش «{role}» است، نه ریشه (root)؛ پرونده‌ی "
    "metadata/<N>.root.json مخزن را بدهید.",
    en="{path} is {role} metadata, not a root: give the repository's metadata/<N>.root.json.",
)
UNDER_SIGNED = Message(
    fa="ریشه‌ی {path} امضای کافی ندارد: {signed} امضای درست از {threshold} امضای لازم.",
    en="The root {path} is not signed enough: {signed} valid signature(s) of the "
    "{threshold} it needs.",
)
ROLE_WITHOUT_KEYS = Message(
    fa="ریشه‌ی {path} برای نقش «{role}» {keys} کلید دارد و {threshold} لازم است؛ "
    "هیچ به‌روزرسانی‌ای پذیرفته نمی‌شد.",
    en="The root {path} names {keys} key(s) for the {role} role, which needs {threshold}: "
    "no update would ever be accepted.",
)
NOT_CONSISTENT = Message(
    fa="ریشه‌ی {path} «consistent_snapshot» ندارد؛ مخزن‌های «python -m updates» آن را دارند.",
    en="The root {path} does not use consistent snapshots, as repositories made by "
    "python -m updates do.",
)
EXPIRED = Message(
    fa="ریشه‌ی {path} در {expires} منقضی شده است؛ ریشه‌ی تازه‌تر مخزن را بدهید.",
    en="The root {path} expired on {expires}: give the repository's newest root.",
)


def _as_is(text: str) -> Message:
    """A path or a library's reason, unchanged in both texts (no Persian digits in a file
    name), isolated in the Persian one so that its Latin letters keep their order."""
    return Message(fa=f"\u2068{text}\u2069", en=text)


class RootRefused(Exception):
    """The file is not a root a release may ship; ``message`` says why in both languages."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.en)
        self.message = message


@dataclass(frozen=True)
class CheckedRoot:
    """What was checked, for the build's log."""

    version: int
    expires: dt.datetime
    sha256: str
    keys: dict[str, int]  # role -> number of keys named

    def summary(self) -> str:
        roles = ", ".join(f"{role} {n}" for role, n in sorted(self.keys.items()))
        return (
            f"root version {self.version}, expires {self.expires.date().isoformat()}, "
            f"keys: {roles}, sha256 {self.sha256}"
        )


def check_release_root(path: Path, *, now: dt.datetime | None = None) -> CheckedRoot:
    """Reads ``path`` as TUF root metadata and checks it may be shipped; RootRefused if not.

    Signed by its own threshold of its own keys (what ngclient asks of a trusted root),
    every top-level role given enough keys to ever be verified, consistent snapshots,
    and not expired at ``now``.
    """
    now = now or dt.datetime.now(dt.UTC)
    shown = _as_is(str(path))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RootRefused(
            UNREADABLE.format(path=shown, reason=_as_is(exc.strerror or str(exc)))
        ) from exc
    try:
        md = Metadata.from_bytes(data)
    except DeserializationError as exc:
        reason = _as_is(str(exc.__cause__ or exc))
        raise RootRefused(NOT_METADATA.format(path=shown, reason=reason)) from exc
    root = md.signed
    if not isinstance(root, Root):
        raise RootRefused(NOT_ROOT.format(path=shown, role=_as_is(root.type)))
    result = root.get_verification_result(Root.type, md.signed_bytes, md.signatures)
    if not result.verified:
        raise RootRefused(
            UNDER_SIGNED.format(path=shown, signed=len(result.signed), threshold=result.threshold)
        )
    keys: dict[str, int] = {}
    for name, role in root.roles.items():
        keys[name] = len(role.keyids)
        if len(role.keyids) < role.threshold:
            raise RootRefused(
                ROLE_WITHOUT_KEYS.format(
                    path=shown, role=_as_is(name), keys=len(role.keyids), threshold=role.threshold
                )
            )
    if not root.consistent_snapshot:
        raise RootRefused(NOT_CONSISTENT.format(path=shown))
    if root.is_expired(now):
        raise RootRefused(EXPIRED.format(path=shown, expires=root.expires.date().isoformat()))
    return CheckedRoot(
        version=root.version,
        expires=root.expires,
        sha256=hashlib.sha256(data).hexdigest(),
        keys=keys,
    )
