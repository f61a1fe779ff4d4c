"""The client side of resumable document uploads (docs/PROTOCOL.md, "Documents").

`Uploader.run` sends waiting blobs one chunk at a time, and only while no text request is
waiting (`text_waiting`, asked before every chunk): a request saved during a long upload
waits at most for the chunk in flight. Each blob is created (or found again) with its
length and sha256, then sent from the offset the server reports; after a cut the next
attempt asks the offset (HEAD) and resends from there, so a cut costs at most one chunk.
The chunk size adapts to the line: it doubles after a chunk that went quickly and halves
after a failure, between `MIN_CHUNK` and `MAX_CHUNK`. What is waiting and how to read it
come from `PendingBlobs`, which the counter's core implements over its scan table.

`DocumentLane` is how a sync round uses the uploader (``SyncEngine(documents=...)``): after
the text push, documents go while no request waits; when one is saved mid-upload the
uploader stops after the chunk in flight, the lane has the round push the text again, then
goes on with the documents from the offset the server holds.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

import requests

log = logging.getLogger("pishkhan.sync.uploads")

MIN_CHUNK = 16 * 1024
MAX_CHUNK = 512 * 1024
FIRST_CHUNK = 64 * 1024
COUNTED_AT_MOST = 100_000  # blobs counted as waiting (a counter holds far fewer)
QUICK_CHUNK_SECONDS = 4.0  # a chunk that took less: the line can take a larger one
TIMEOUT = (10.0, 60.0)


@dataclass(frozen=True)
class PendingBlob:
    sha256: str
    size: int


class PendingBlobs(Protocol):
    def waiting(self, limit: int) -> Sequence[PendingBlob]:
        """Blobs not yet on the server, oldest first."""

    def read(self, sha256: str) -> bytes:
        """The blob's bytes (checked against the hash)."""

    def mark_sent(self, sha256: str) -> None:
        """The server holds the whole blob (every request naming it)."""


@dataclass
class UploadStats:
    blobs_sent: int = 0
    chunks_sent: int = 0
    bytes_sent: int = 0  # chunk bytes handed to the line, including resent ones
    failures: int = 0


TokenSource = str | Callable[[], str | None]


@dataclass
class Uploader:
    base_url: str
    token: TokenSource  # the token, or a function asked before each call (a keyring)
    pending: PendingBlobs
    text_waiting: Callable[[], bool] = lambda: False
    session: requests.Session = field(default_factory=requests.Session)
    ahead_session: requests.Session = field(default_factory=requests.Session)  # creates ahead
    chunk: int = FIRST_CHUNK
    stats: UploadStats = field(default_factory=UploadStats)
    clock: Callable[[], float] = time.monotonic

    @property
    def _headers(self) -> dict[str, str]:
        token = self.token if isinstance(self.token, str) else self.token()
        return {"Authorization": f"Bearer {token or ''}"}

    def run(self, should_yield: Callable[[], bool] | None = None) -> bool:
        """Send what waits until done, `should_yield` says stop, or the line fails.

        `should_yield` (by default `text_waiting`) is asked before every chunk. True when
        nothing is left to send; False when it stopped early (the sync round tries again
        later, with its own backoff).
        """
        stop = should_yield or self.text_waiting
        # The next blob is created while this one's chunks travel (its own connection): the
        # create's round trip no longer leaves the line idle between two blobs.
        ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pishkhan-blob-create")
        try:
            while True:
                batch = self.pending.waiting(limit=20)
                if not batch:
                    return True
                created: Future[int | None] | None = None
                for i, blob in enumerate(batch):
                    if stop():
                        return False
                    try:
                        offset = self._offset_of(blob, created)
                        if offset is None:
                            return False
                        nxt = batch[i + 1] if i + 1 < len(batch) else None
                        created = (
                            ahead.submit(self._create, nxt, self.ahead_session, self._headers)
                            if nxt
                            else None
                        )
                        if not self._send(blob, offset, stop):
                            return False
                    except requests.RequestException as exc:
                        self._failed(exc)
                        return False
        finally:
            # A create still on its way is not waited for (a hung line must not hold the
            # round); the next run creates again, which the server answers idempotently.
            ahead.shutdown(wait=False, cancel_futures=True)

    def _create(
        self, blob: PendingBlob, session: requests.Session, headers: dict[str, str]
    ) -> int | None:
        """POST the upload of `blob`; its offset on the server, or None if refused.

        `headers` are made on the caller's thread: a keyring need not be thread-safe."""
        answer = session.post(
            f"{self.base_url}/v1/blobs",
            json={"sha256": blob.sha256, "length": blob.size},
            headers=headers,
            timeout=TIMEOUT,
        )
        if answer.status_code not in (200, 201):
            log.warning(
                "blob %s refused: %s %s", blob.sha256[:12], answer.status_code, answer.text[:200]
            )
            self.stats.failures += 1
            return None
        return _offset(answer)

    def _offset_of(self, blob: PendingBlob, created: Future[int | None] | None) -> int | None:
        """The server's offset for `blob`: from the create sent ahead, else created now."""
        if created is not None:
            try:
                return created.result()
            except requests.RequestException:
                pass  # the connection ahead broke: create again on the main one
        return self._create(blob, self.session, self._headers)

    def _send(self, blob: PendingBlob, offset: int, stop: Callable[[], bool]) -> bool:
        data = self.pending.read(blob.sha256)
        while offset < len(data):
            if stop():
                return False
            piece = data[offset : offset + self.chunk]
            started = self.clock()
            self.stats.bytes_sent += len(piece)
            answer = self.session.patch(
                f"{self.base_url}/v1/blobs/{blob.sha256}",
                data=piece,
                headers={
                    **self._headers,
                    "Upload-Offset": str(offset),
                    "Upload-Checksum": "sha256 "
                    + base64.b64encode(hashlib.sha256(piece).digest()).decode(),
                    "Content-Type": "application/offset+octet-stream",
                },
                timeout=TIMEOUT,
            )
            if answer.status_code in (204, 409):
                offset = _offset(answer)
            else:
                log.warning(
                    "chunk of %s: %s %s", blob.sha256[:12], answer.status_code, answer.text[:200]
                )
                self.stats.failures += 1
                return False
            if answer.status_code == 204:
                self.stats.chunks_sent += 1
                if self.clock() - started < QUICK_CHUNK_SECONDS:
                    self.chunk = min(MAX_CHUNK, self.chunk * 2)
        self.pending.mark_sent(blob.sha256)
        self.stats.blobs_sent += 1
        return True

    def _failed(self, exc: Exception) -> None:
        self.stats.failures += 1
        self.chunk = max(MIN_CHUNK, self.chunk // 2)
        log.info(
            "upload stopped by the line (%s); chunk now %d bytes", type(exc).__name__, self.chunk
        )


@dataclass
class DocumentLane:
    """The documents' share of a sync round: the line when no text request waits.

    `text_waiting` is asked before every chunk (a cheap count of queued requests). When it
    says yes, the lane has the round push the text (`push_text`), then resumes; if text
    still waits after that push (the server said "retry later", the line broke) the
    documents wait for the next round.
    """

    uploader: Uploader
    text_waiting: Callable[[], bool]
    max_text_pushes: int = 100  # per round: a stream of saves cannot keep one round alive

    def waiting(self) -> int:
        """Blobs not yet whole on the server (the round result's ``documents_waiting``)."""
        return len(self.uploader.pending.waiting(limit=COUNTED_AT_MOST))

    def send(self, push_text: Callable[[], None], stopped: Callable[[], bool]) -> bool:
        """Upload until done, stopped, or the line fails; True when nothing is left."""

        def should_yield() -> bool:
            return stopped() or self.text_waiting()

        for _ in range(self.max_text_pushes):
            if stopped():
                return False
            if self.uploader.run(should_yield):
                return True
            if stopped() or not self.text_waiting():
                return False  # the line failed or the server refused: the next round
            push_text()
            if self.text_waiting():
                return False
        return False


def _offset(answer: requests.Response) -> int:
    # A cut line can end an answer after its status line: without the header it says
    # nothing, and the next attempt asks the server again.
    value = answer.headers.get("Upload-Offset", "")
    if not value.isdigit():
        raise requests.ConnectionError(f"answer {answer.status_code} without Upload-Offset")
    return int(value)
