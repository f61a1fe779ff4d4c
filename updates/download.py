"""Downloading one file in pieces that resume after a cut (HTTP Range).

The bytes go to ``<name>.part`` beside the destination; after a cut (reset, short read,
power loss) the next attempt asks for ``Range: bytes=<size of .part>-`` and appends. A
server that ignores the range (200) restarts the file; one that answers 416 with a part
already as long as expected means the part is complete. Between pieces the caller's
``may_continue`` is asked: it says no while the clerk saves or prints, or when requests
wait to be sent, and the download stops there (``Paused``), keeping the part.

Nothing here trusts the bytes: the caller checks length and hash (TUF) once complete.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests
import urllib3

PIECE_BYTES = 64 * 1024
# Each 16 KiB at 256 kbit/s is half a second: 30 s without a byte is a dead line.
READ_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 15.0


class Paused(Exception):
    """``may_continue`` said no; the part file is kept for later."""


class Interrupted(Exception):
    """The line failed more times than allowed in this call; the part file is kept."""


class TooLong(Exception):
    """The server sent more bytes than the signed length: never kept."""


@dataclass
class Progress:
    total: int
    done: int = 0
    resumed_at: list[int] = field(default_factory=list)  # offsets at which a request resumed
    attempts: int = 0


def fetch_resumable(
    session: requests.Session,
    url: str,
    dest: Path,
    length: int,
    *,
    may_continue: Callable[[], bool] = lambda: True,
    on_progress: Callable[[Progress], None] | None = None,
    max_attempts: int = 20,
    retry_wait_s: float = 0.2,
) -> Progress:
    """Downloads ``url`` (``length`` bytes at most) into ``dest``; resumes a part left earlier."""
    part = dest.with_name(dest.name + ".part")
    progress = Progress(total=length)
    while True:
        have = part.stat().st_size if part.exists() else 0
        if have > length:
            part.unlink()
            have = 0
        progress.done = have
        if have == length:
            break
        if not may_continue():
            raise Paused
        if progress.attempts >= max_attempts:
            raise Interrupted(f"{url}: stopped after {progress.attempts} attempts at {have} B")
        progress.attempts += 1
        if have:
            progress.resumed_at.append(have)
        try:
            _one_request(session, url, part, have, length, progress, may_continue, on_progress)
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
            urllib3.exceptions.HTTPError,  # read1 is urllib3's: its own cut, reset, timeout
        ):
            time.sleep(retry_wait_s * min(progress.attempts, 10))  # a short, growing pause
    os.replace(part, dest)
    return progress


def _one_request(
    session: requests.Session,
    url: str,
    part: Path,
    have: int,
    length: int,
    progress: Progress,
    may_continue: Callable[[], bool],
    on_progress: Callable[[Progress], None] | None,
) -> None:
    # identity: a compressed answer would make the byte offsets of Range meaningless.
    headers = {"Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    with session.get(
        url, headers=headers, stream=True, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S)
    ) as answer:
        if answer.status_code == 416 and have:
            part.unlink()  # the server has less than we do: start again
            return
        if answer.status_code == 200:
            have = 0  # the range was ignored: the whole file comes again
        elif answer.status_code != 206:
            raise requests.ConnectionError(f"{url}: HTTP {answer.status_code}")
        with part.open("r+b" if have else "wb") as out:
            out.seek(have)
            out.truncate()
            written = have
            # read1: what has arrived, up to a piece, without waiting for a whole piece;
            # so a cut loses nothing that came before it (iter_content(n) would drop
            # the bytes of a piece cut short) and a pause takes effect sooner.
            while chunk := answer.raw.read1(PIECE_BYTES):
                if written + len(chunk) > length:
                    out.close()
                    part.unlink()
                    raise TooLong(f"{url}: more than the signed {length} bytes")
                out.write(chunk)
                written += len(chunk)
                progress.done = written
                if on_progress is not None:
                    on_progress(progress)
                if not may_continue():
                    out.flush()
                    os.fsync(out.fileno())
                    raise Paused
            out.flush()
            os.fsync(out.fileno())
