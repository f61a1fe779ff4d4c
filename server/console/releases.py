"""Which program version the centre has published (issue 16), for the fleet's "behind".

The server serves the update repository as static files (``--updates-dir``:
``metadata/`` and ``targets/``, docs/UPDATES.md). The latest release is named in the
``releases.json`` target, listed with its hash in the newest ``N.targets.json`` (TUF's
consistent snapshots: ``targets/<sha256>.releases.json``). The server reads what it serves
itself (its own disk, signed by the offline key; the PCs verify the signatures, the page
only names a version), and the server never imports the ``updates`` package.

Anything missing or unreadable means "nothing published": no PC is shown behind.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from rules.messages import Message
from server.monitoring import version_key

RELEASES = "releases.json"

# What a PC's updater last said (the heartbeat's update_state, migration 0009).
UPDATE_STATES = {
    "up_to_date": Message("به‌روز", "up to date"),
    "downloading": Message("در حال دریافت", "downloading"),
    "ready": Message("آمادهٔ نصب", "ready to install"),
    "switched": Message("نصب شد", "installed"),
    "rolled_back": Message("برگشت به نسخهٔ پیشین", "rolled back"),
    "refused": Message("نپذیرفت", "refused"),
}
FAILED_STATES = frozenset({"rolled_back", "refused"})  # marked on the page


def published_version(updates_dir: Path | None) -> str | None:
    """The latest published version, or None (no repository, nothing published)."""
    if updates_dir is None:
        return None
    metadata, targets = updates_dir / "metadata", updates_dir / "targets"
    try:
        numbered = [
            (int(p.name.split(".", 1)[0]), p)
            for p in metadata.glob("*.targets.json")
            if p.name.split(".", 1)[0].isdigit()
        ]
        if not numbered:
            return None
        newest = max(numbered)[1]
        listing = json.loads(newest.read_bytes())
        sha = str(listing["signed"]["targets"][RELEASES]["hashes"]["sha256"])
        data = (targets / f"{sha}.{RELEASES}").read_bytes()
        if hashlib.sha256(data).hexdigest() != sha:  # a copy cut short: name nothing
            return None
        latest = json.loads(data).get("latest")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return str(latest) if latest else None


def is_behind(version: str | None, current: str | None) -> bool:
    """A PC (or an office's oldest PC) runs an older program than the published one."""
    if not current or version is None:
        return False
    return version_key(version) < version_key(current)
