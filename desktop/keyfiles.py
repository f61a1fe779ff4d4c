"""Small files of the data folder replaced whole: an atomic write and an OS lock.

``write_atomically`` leaves the old file or the new one after a power cut at any instant
(temp file of this process, fsync, rename, fsync of the folder), 0600 whatever the umask.
``locked`` holds an OS lock on a lock file for a read-modify-write across processes; it
dies with its process, so a killed program never leaves a stale lock (the lock file
itself stays, empty).
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Iterator
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so a power cut leaves the old file or the new one (0600)."""
    # A name of this process's: the program and a command line writing at once do not
    # write into one temp file (the last rename wins, whole).
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:  # os.write may write less than asked
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk: no half-written copy left about
        raise
    fsync_dir(path.parent)
    return path


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; Windows' rename is durable by itself)."""
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(lock_file: Path, *, or_none: bool = False) -> Iterator[None]:
    """An exclusive OS lock on ``lock_file`` (made empty, 0600, if missing), waited for.

    ``or_none``: a lock file that cannot be made (a read-only or full folder) runs the
    block unlocked instead of failing it.
    """
    try:
        fd = os.open(lock_file, os.O_CREAT | os.O_RDWR, 0o600)
    except OSError:
        if not or_none:
            raise
        yield
        return
    try:
        if sys.platform == "win32":
            import msvcrt

            while True:
                try:
                    msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # retries for 10 s, then raises
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EDEADLOCK, errno.EACCES):
                        raise
                    # Another process still holds it (10 s already): keep waiting.
            try:
                yield
            finally:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
