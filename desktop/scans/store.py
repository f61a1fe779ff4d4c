"""The content-addressed folder of scan files beside the local database.

A scan part is kept once, under its sha256 (``scans/ab/abcdef…``), whatever requests
refer to it. A write is atomic and durable before the request that names it commits:
temp file in the same folder, fsync, rename over the final name, fsync of the folder.
A power cut leaves at most a ``.part-*`` temp file, which no name ever points at; a
read checks the hash, so a damaged file is never taken for the scan it should be.

With the store's data key (an encrypted store, docs/SECURITY.md) each file is sealed
(``desktop.keyslots.seal``: AES-256-GCM, a nonce per file, bound to its name); the name
stays the sha256 of the plain content. A plain file from before the encryption still
reads; ``seal_existing`` turns them into sealed ones when encryption is turned on.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from desktop.keyfiles import fsync_dir
from desktop.keyslots import SEAL_OVERHEAD, is_sealed, seal, unseal
from desktop.private import private_dir
from rules.errors import UserFacingError
from rules.messages import Message

FOLDER_NAME = "scans"
_TEMP_PREFIX = ".part-"

SCAN_MISSING = Message(
    fa="پرونده اسکن {sha} روی این رایانه نیست یا آسیب دیده است",
    en="The scan file {sha} is missing or damaged on this PC",
)


class ScanMissing(UserFacingError):
    """A scan named by a request is not on the disk as it was saved."""


@dataclass(frozen=True)
class ScanStore:
    """Scan files under `folder`; one per distinct content."""

    folder: Path
    key: bytes | None = None  # the store's data key: files sealed with it

    @classmethod
    def beside(cls, db_path: Path, key: bytes | None = None) -> ScanStore:
        """The store that belongs to the database at `db_path` (same data folder)."""
        return cls(db_path.parent / FOLDER_NAME, key)

    def path_of(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.folder / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        """Keep `data` durably; its sha256. Writing what is already there costs a stat."""
        sha = hashlib.sha256(data).hexdigest()
        final = self.path_of(sha)
        if final.exists() and final.stat().st_size == len(data) + self._overhead():
            return sha
        self._write(final, data if self.key is None else seal(self.key, data, name=sha))
        return sha

    def _overhead(self) -> int:
        return 0 if self.key is None else SEAL_OVERHEAD

    def _write(self, final: Path, data: bytes) -> None:
        shard = final.parent
        if not shard.exists():
            private_dir(self.folder)
            shard.mkdir(mode=0o700, exist_ok=True)
            fsync_dir(self.folder)
        temp = shard / f"{_TEMP_PREFIX}{secrets.token_hex(8)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, final)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        fsync_dir(shard)

    def has(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def read(self, sha256: str) -> bytes:
        """The bytes of a scan, checked against their name."""
        try:
            data = self.path_of(sha256).read_bytes()
        except OSError as exc:
            raise ScanMissing(SCAN_MISSING.format(sha=sha256[:12]), detail=str(exc)) from exc
        if self.key is not None and is_sealed(data):
            try:
                data = unseal(self.key, data, name=sha256)
            except ValueError as exc:
                raise ScanMissing(SCAN_MISSING.format(sha=sha256[:12]), detail=str(exc)) from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ScanMissing(SCAN_MISSING.format(sha=sha256[:12]), detail="hash mismatch")
        return data

    def seal_existing(self) -> int:
        """Seal the plain files (kept before the encryption), each replaced atomically."""
        if self.key is None or not self.folder.is_dir():
            return 0
        done = 0
        for path in sorted(self.folder.glob("??/*")):
            if path.name.startswith(_TEMP_PREFIX) or not path.is_file():
                continue
            data = path.read_bytes()
            if not is_sealed(data) and hashlib.sha256(data).hexdigest() == path.name:
                self._write(path, seal(self.key, data, name=path.name))
                done += 1
        return done

    def leftover_temp_files(self) -> list[Path]:
        """Temp files a power cut left behind (never named by any request)."""
        if not self.folder.exists():
            return []
        return sorted(self.folder.glob(f"*/{_TEMP_PREFIX}*"))

    def sweep_temp_files(self) -> int:
        """Delete what a cut left behind; how many. Run at start, before any write."""
        leftovers = self.leftover_temp_files()
        for path in leftovers:
            path.unlink(missing_ok=True)
        return len(leftovers)


_O_BINARY = getattr(os, "O_BINARY", 0)
