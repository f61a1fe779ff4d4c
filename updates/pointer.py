"""Versioned program folders and the pointer file that says which one starts.

Layout inside the installed program folder (``%LOCALAPPDATA%\\Programs\\Pishkhan``):

    pishkhan(.exe), _internal/     the version the installer put there (the base)
    versions/<version>/            each update, unpacked and verified, in a folder of its own
    versions/pointer.json          which version starts, which waits for its first start
    versions/hold.json             a manager's postponement of that first start (``Hold``)
    update-state/                  TUF metadata and downloads (resumable parts)

The pointer is replaced atomically (write, fsync, rename): a power cut leaves the old
pointer or the new one, never half of one. Nothing here touches the user's data folder.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from updates import archive

VERSIONS_DIR = "versions"
POINTER_NAME = "pointer.json"
HOLD_NAME = "hold.json"
STATE_DIR = "update-state"

# Update states reported by the heartbeat.
UP_TO_DATE = "up_to_date"
READY = "ready"  # a new version is staged; it starts at the next start
SWITCHED = "switched"  # the last start switched to a new version that passed its check
ROLLED_BACK = "rolled_back"  # a new version failed its start check; the old one runs


def write_json(folder: Path, name: str, data: object, *, sort_keys: bool = False) -> None:
    """``folder/name`` replaced whole by ``data`` as JSON: after a power cut at any instant
    the old file or the new one, never half of one (temp file, fsync, rename, and on POSIX
    an fsync of the folder so the rename itself lasts)."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{Path(name).stem}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, sort_keys=sort_keys)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, folder / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)  # a full disk: no temp file left about
        raise
    if hasattr(os, "O_DIRECTORY"):
        dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


@dataclass
class Pointer:
    current: str | None = None  # None: the base (the installer's own) version
    pending: str | None = None
    previous: str | None = None
    state: str = UP_TO_DATE
    failed: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, root: Path) -> Pointer:
        path = root / VERSIONS_DIR / POINTER_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                current=data.get("current"),
                pending=data.get("pending"),
                previous=data.get("previous"),
                state=str(data.get("state", UP_TO_DATE)),
                failed=[str(v) for v in data.get("failed", [])],
            )
        except FileNotFoundError:
            return cls()
        except (ValueError, AttributeError):
            # A pointer that cannot be read starts the base version: always there.
            return cls(state=ROLLED_BACK)

    def write(self, root: Path) -> None:
        write_json(root / VERSIONS_DIR, POINTER_NAME, asdict(self), sort_keys=True)


@dataclass(frozen=True)
class Hold:
    """A manager postponed the switch to ``version`` until ``until`` (an aware time).

    Written by the running program (``desktop.updater``), which clips ``until`` to the
    centre's minimum date, and read by the launcher: while it holds, a start keeps the
    current version and the staged one waits. A separate file from the pointer, so that
    the program's thread staging a version and the GUI's postponement never rewrite each
    other's pointer. Unreadable, for another version, or past: it does not hold."""

    version: str
    until: dt.datetime

    @classmethod
    def read(cls, root: Path) -> Hold | None:
        try:
            data = json.loads((root / VERSIONS_DIR / HOLD_NAME).read_text(encoding="utf-8"))
            until = dt.datetime.fromisoformat(str(data["until"]))
            if until.tzinfo is None:
                return None
            return cls(version=str(data["version"]), until=until)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def holds(self, version: str | None, now: dt.datetime) -> bool:
        return version == self.version and now < self.until

    def write(self, root: Path) -> None:
        write_json(
            root / VERSIONS_DIR,
            HOLD_NAME,
            {"version": self.version, "until": self.until.isoformat()},
        )

    @staticmethod
    def clear(root: Path) -> None:
        (root / VERSIONS_DIR / HOLD_NAME).unlink(missing_ok=True)


def version_folder(root: Path, version: str | None) -> Path:
    return root if version is None else root / VERSIONS_DIR / version


def running_version_folder(root: Path, base_version: str) -> tuple[str, Path]:
    """The version that starts now according to the pointer, and its folder."""
    pointer = Pointer.read(root)
    if pointer.current is None:
        return base_version, root
    return pointer.current, version_folder(root, pointer.current)


def prune(root: Path) -> list[str]:
    """Removes the version folders no start can need: all but the current, the previous
    (the one to fall back to) and a pending one; also a staging cut short. Returns their
    names. The base version (the installer's, in ``root`` itself) is never touched.

    Called by the running program after a successful switch, on its updater's thread, not
    by the launcher: ~130 MB a folder must not delay the clerk's start."""
    pointer = Pointer.read(root)
    keep = {v for v in (pointer.current, pointer.previous, pointer.pending) if v}
    hold = Hold.read(root)
    if hold is not None and hold.version != pointer.pending:
        Hold.clear(root)  # the postponed version was switched to (or failed): done with
    removed = []
    versions = root / VERSIONS_DIR
    for folder in sorted(versions.iterdir()) if versions.is_dir() else []:
        if not folder.is_dir() or folder.name in keep:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder.name)
    return removed


def stage(root: Path, archive_path: Path, *, version: str, installed: Path | None) -> Path:
    """Unpacks ``archive_path`` into ``versions/<version>`` and verifies it; marks it pending.

    The folder is built under a temporary name and renamed when complete and verified, so a
    half-unpacked version never has the name the pointer would use. Raises ArchiveError.
    """
    versions = root / VERSIONS_DIR
    versions.mkdir(parents=True, exist_ok=True)
    final = versions / version
    incoming = versions / f".incoming-{version}"
    if incoming.exists():
        shutil.rmtree(incoming)  # a staging cut short by a power failure
    try:
        archive.rebuild(archive_path, installed, incoming, version=version)
    except BaseException:
        shutil.rmtree(incoming, ignore_errors=True)
        raise
    if final.exists():
        shutil.rmtree(final)
    os.replace(incoming, final)
    pointer = Pointer.read(root)
    pointer.pending = version
    pointer.state = READY
    pointer.write(root)
    return final
