"""Where the server keeps the bytes of scanned documents: a small interface and the folder.

`BlobStorage` is what `server.blobs` needs: partial uploads written at an offset, a
finished upload moved under its sha256, whole blobs read back. `FolderStorage` keeps them in
the server's data folder (``blobs/ab/<sha256>``, partial ones in ``uploads/``); an object
store can take its place behind the same five methods. Bytes are fsynced before the
database records the offset they reach, so the database never claims bytes the disk lost.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Protocol


class BlobStorage(Protocol):
    def write_at(self, key: str, offset: int, data: bytes) -> None:
        """Write `data` at `offset` of partial upload `key` (dropping anything after it)."""

    def partial_sha256(self, key: str, length: int) -> str:
        """The sha256 of the first `length` bytes of partial upload `key`."""

    def finish(self, key: str, sha256: str) -> None:
        """Make partial upload `key` the blob `sha256` (idempotent)."""

    def discard(self, key: str) -> None:
        """Forget partial upload `key`."""

    def read(self, sha256: str) -> bytes:
        """The whole blob; FileNotFoundError if there is none."""


class FolderStorage:
    """Blobs in a folder of the server's disk."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.uploads = root / "uploads"
        self.blobs = root / "blobs"

    def _partial(self, key: str) -> Path:
        if not key.replace("-", "").isalnum():
            raise ValueError(f"bad upload key {key!r}")
        return self.uploads / key

    def blob_path(self, sha256: str) -> Path:
        return self.blobs / sha256[:2] / sha256

    def write_at(self, key: str, offset: int, data: bytes) -> None:
        self.uploads.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._partial(key)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
        try:
            os.ftruncate(fd, offset)  # bytes a crash left past the recorded offset go
            os.lseek(fd, offset, os.SEEK_SET)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)

    def partial_sha256(self, key: str, length: int) -> str:
        digest = hashlib.sha256()
        with self._partial(key).open("rb") as f:
            remaining = length
            while remaining > 0:
                block = f.read(min(remaining, 1 << 20))
                if not block:
                    break
                digest.update(block)
                remaining -= len(block)
        return digest.hexdigest()

    def finish(self, key: str, sha256: str) -> None:
        final = self.blob_path(sha256)
        if final.exists():
            self.discard(key)
            return
        final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.replace(self._partial(key), final)
        _fsync_dir(final.parent)

    def discard(self, key: str) -> None:
        self._partial(key).unlink(missing_ok=True)

    def read(self, sha256: str) -> bytes:
        return self.blob_path(sha256).read_bytes()


def _fsync_dir(path: Path) -> None:
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
