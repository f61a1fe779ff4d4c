"""The counter's own update runner: checks, downloads and stages updates in the background.

``UpdateRunner`` owns one thread of its own (never the GUI thread, never the database
worker, never the sync thread). It sleeps until ``idle()`` is called, which the program
does after each sync round that left nothing waiting, and then takes one step:

- a version already staged (the pointer's ``pending``): nothing to do, ``ready``;
- otherwise, at most every ``check_every_s``, a TUF-verified check (``updates.client``);
  every half hour at most once the centre's date has passed with its minimum unmet;
- an offer is downloaded in resumable pieces while ``gate.may_continue()``: no request or
  document waits to be sent and the clerk is not saving or printing (``with
  runner.gate.busy():`` around those). A pause keeps the part; the next idle round goes on
  from there;
- the complete, verified file is staged into a folder of its own (``updates.pointer``):
  the switch happens at the next start, by the launcher.

``runner.policy`` (``updates.policy_state``) keeps the centre's minimum version (saved,
so known at start) and a manager's postponement (a day at most, never past the centre's
date; the launcher honours it); ``postpone``/``postponed`` ask it about the staged version.

What it is doing is written to ``update-state/status.json`` and read by
``reported_state`` for the heartbeat, together with the pointer file (the launcher writes
``switched`` or ``rolled_back`` there at start): whichever of the two was written last
is what the PC is at.

No Qt here (the window listens through ``on_change``, called on the runner's thread).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from desktop import __version__
from desktop.clock import Clock, utc_now
from desktop.db.engine import Store
from desktop.outbox import StoreQueue
from rules.messages import Message
from updates import archive
from updates.client import Offer, UpdateClient, UpdateRefused, UpdateUnreachable
from updates.download import Interrupted, Paused
from updates.gate import UpdateGate
from updates.launcher import executable_in
from updates.pointer import (
    POINTER_NAME,
    READY,
    STATE_DIR,
    UP_TO_DATE,
    VERSIONS_DIR,
    Pointer,
    prune,
    running_version_folder,
    stage,
)
from updates.policy_state import PolicyState

log = logging.getLogger("pishkhan.updates")

DOWNLOADING = "downloading"
REFUSED = "refused"
STATUS_NAME = "status.json"
#: The update repository's signed root, shipped beside the installed executable.
TRUSTED_ROOT_NAME = "update-root.json"
CHECK_EVERY_S = 6 * 3600.0
#: Past the centre's date, still below its minimum: look for the release more often (a
#: minimum set before its release was published); metadata only, a few KB a check.
REQUIRED_CHECK_EVERY_S = 1800.0
#: ``may_continue`` is asked between 64 KiB pieces; the store is read at most this often.
WAITING_CACHE_S = 1.0


@dataclass(frozen=True)
class UpdateStatus:
    """What the runner last did, for the window and the heartbeat."""

    state: str  # up_to_date, downloading, ready, refused (or the pointer's)
    version: str | None = None  # the version offered or staged
    done: int = 0  # bytes of the download on disk
    total: int = 0
    message: Message | None = None  # a refusal, for the log and the about box


def program_root(executable: str | None = None, *, frozen: bool | None = None) -> Path | None:
    """The installed program folder (where ``versions/`` lives), or None when not frozen.

    The launcher runs an update from ``<root>/versions/<v>/``: its root is two up."""
    if not (getattr(sys, "frozen", False) if frozen is None else frozen):
        return None
    folder = Path(executable or sys.executable).resolve().parent
    if folder.parent.name == VERSIONS_DIR and (folder.parent / POINTER_NAME).exists():
        return folder.parent.parent
    return folder


def reported_state(root: Path | None) -> str:
    """The heartbeat's ``update_state``: the runner's or the launcher's, the later one."""
    if root is None:
        return ""
    pointer_file = root / VERSIONS_DIR / POINTER_NAME
    status_file = root / STATE_DIR / STATUS_NAME
    pointer = Pointer.read(root)
    try:
        status_at = status_file.stat().st_mtime_ns
        status = json.loads(status_file.read_text(encoding="utf-8"))
        runner_state = str(status.get("state", ""))[:20]
    except (OSError, ValueError, AttributeError):
        return pointer.state
    try:
        pointer_at = pointer_file.stat().st_mtime_ns
    except OSError:
        pointer_at = -1
    return runner_state if status_at >= pointer_at else pointer.state


def restart_command(root: Path, exe_name: str = "pishkhan") -> list[str]:
    """What "restart now" starts: the installed executable, whose launcher switches."""
    return [str(executable_in(root, exe_name))]


def work_waiting(store: Store, clock: Clock = utc_now) -> int:
    """Requests and scanned documents waiting to be sent: the line is theirs first."""
    waiting = StoreQueue(store, clock).backlog().waiting
    try:
        with store.read() as s:
            blobs = s.execute(
                text("SELECT count(*) FROM scan_parts WHERE upload_state = 'waiting'")
            ).scalar_one()
    except OperationalError:  # a store from before the scans' table
        blobs = 0
    return int(waiting) + int(blobs)


class UpdateRunner:
    """One PC's updater: ``start()`` its thread, ``idle()`` after quiet rounds, ``stop()``."""

    def __init__(
        self,
        *,
        root: Path,
        installed_version: str,
        base_url: str,
        trusted_root: bytes,
        waiting: Callable[[], int],
        on_change: Callable[[UpdateStatus], None] | None = None,
        check_every_s: float = CHECK_EVERY_S,
        session: requests.Session | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Clock = utc_now,
    ) -> None:
        self.root = root
        self.installed_version = installed_version
        self._client = UpdateClient(
            base_url=base_url,
            state_dir=root / STATE_DIR,
            trusted_root=trusted_root,
            installed_version=installed_version,
            session=session,
        )
        self._waiting = waiting
        self._waiting_at = -WAITING_CACHE_S
        self._waiting_last = 0
        self.gate = UpdateGate(self._cached_waiting)
        self._on_change = on_change
        self._check_every_s = check_every_s
        self._monotonic = monotonic
        self._clock = clock
        self._checked_at: float | None = None
        self._offer: Offer | None = None
        pointer = Pointer.read(root)
        self._status = UpdateStatus(state=pointer.state, version=pointer.pending)
        self.policy = PolicyState(root, installed_version, on_new_unmet=self.check_soon)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._pruned = False
        self._step_lock = threading.Lock()  # one step at a time (the thread, or a test)

    # -- what the others call ------------------------------------------------------------

    @property
    def status(self) -> UpdateStatus:
        return self._status

    def idle(self) -> None:
        """A sync round ended with nothing waiting: a good time for a step."""
        self._wake.set()

    def check_soon(self) -> None:
        """The centre asks for a newer version: check at the next step, whatever the
        interval (the gate still holds: the clerk's work and the queue go first)."""
        self._checked_at = None
        self._wake.set()

    def postpone(self, now: dt.datetime) -> bool:
        """A manager's "later" for the staged version (False: nothing staged, or the
        centre's date has passed: no postponing then)."""
        return self.policy.postpone(self._staged(), now)

    def postponed(self, now: dt.datetime) -> bool:
        return self.policy.postponed(self._staged(), now)

    def _staged(self) -> str | None:
        status = self._status
        return status.version if status.state == READY else None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="pishkhan-updates", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Ends the thread after the piece in progress (the part is kept for next time).

        Called on the GUI thread at quit: it waits briefly, not for a slow line. The thread
        is a daemon: one still in a request is cut when the process ends, and what it
        leaves (a part file, at worst a piece short) is resumed and hash-checked later."""
        self._stopping.set()
        self._wake.set()
        self.policy.close()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.info("the update thread is still in a request: it ends with the program")
            self._thread = None

    # -- the work ------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._check_every_s)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                self.step()
            except Exception:  # a bug or a local failure: logged; the program goes on
                log.exception("update step failed")

    def _cached_waiting(self) -> int:
        now = self._monotonic()
        if now - self._waiting_at >= WAITING_CACHE_S:
            self._waiting_last = self._waiting()
            self._waiting_at = now
        return self._waiting_last

    def _may_continue(self) -> bool:
        return not self._stopping.is_set() and self.gate.may_continue()

    def step(self) -> UpdateStatus:
        """One check, one download stretch, one staging: as far as the gate allows."""
        with self._step_lock:
            return self._step()

    def _step(self) -> UpdateStatus:
        if not self._pruned:
            # Once a run, after the launcher's switch: old versions' folders go.
            self._pruned = True
            removed = prune(self.root)
            if removed:
                log.info("removed old versions: %s", ", ".join(removed))
        pointer = Pointer.read(self.root)
        if pointer.pending is not None:
            return self._set(UpdateStatus(READY, version=pointer.pending))
        self._waiting_at = -WAITING_CACHE_S  # a fresh count for this step
        if not self._may_continue():
            return self._status
        if self._offer is None and not self._check_due():
            return self._status
        if self._offer is None:
            try:
                offer = self._client.check()
            except UpdateRefused as exc:
                log.warning("update refused (%s): %s", exc.reason, exc.detail)
                return self._set(UpdateStatus(REFUSED, message=exc.message))
            except UpdateUnreachable as exc:
                log.info("update server unreachable: %s", exc.detail)
                return self._status
            self._checked_at = self._monotonic()
            if offer is None or offer.version in pointer.failed:
                # A version that failed its start check here is not offered again.
                return self._set(UpdateStatus(UP_TO_DATE))
            self._offer = offer
        return self._download(self._offer)

    def _check_due(self) -> bool:
        return self._checked_at is None or self._monotonic() - self._checked_at >= self._interval()

    def _interval(self) -> float:
        if self.policy.required(self._clock()):
            return min(self._check_every_s, REQUIRED_CHECK_EVERY_S)
        return self._check_every_s

    def _download(self, offer: Offer) -> UpdateStatus:
        def progress(p: object) -> None:
            done = getattr(p, "done", 0)
            # A few reports per download, not one per piece.
            if done - self._status.done >= max(offer.size // 20, 1) or done == offer.size:
                self._set(UpdateStatus(DOWNLOADING, offer.version, done, offer.size))

        self._set(UpdateStatus(DOWNLOADING, offer.version, self._status.done, offer.size))
        try:
            path, _ = self._client.download(
                offer.target, may_continue=self._may_continue, on_progress=progress
            )
        except (Paused, Interrupted):
            return self._status  # the part stays; the next quiet round goes on from it
        except UpdateRefused as exc:
            self._offer = None
            log.warning("update refused (%s): %s", exc.reason, exc.detail)
            return self._set(UpdateStatus(REFUSED, offer.version, message=exc.message))
        _, installed = running_version_folder(self.root, self.installed_version)
        try:
            stage(self.root, path, version=offer.version, installed=installed)
        except archive.ArchiveError as exc:
            # The patch does not fit what is installed (a file changed by hand): next
            # time the whole bundle, which needs nothing of the installed folder.
            log.warning("update %s could not be staged: %s", offer.version, exc)
            path.unlink(missing_ok=True)
            self._offer = Offer(offer.version, offer.full, "full", offer.full)
            if offer.kind == "full":
                self._offer = None
            return self._status
        self._offer = None
        path.unlink(missing_ok=True)  # staged: the archive is no longer needed
        return self._set(UpdateStatus(READY, offer.version, offer.size, offer.size))

    def _set(self, status: UpdateStatus) -> UpdateStatus:
        changed = status != self._status
        self._status = status
        if changed:
            self._write_status(status)
            if self._on_change is not None:
                self._on_change(status)
        return status

    def _write_status(self, status: UpdateStatus) -> None:
        folder = self.root / STATE_DIR
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".status.")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"state": status.state, "version": status.version}, f)
        os.replace(tmp, folder / STATUS_NAME)


def runner_for(
    store: Store,
    server_url: str,
    *,
    root: Path | None = None,
    installed_version: str | None = None,
    configured_url: str = "",
    clock: Clock = utc_now,
) -> UpdateRunner | None:
    """The runner of this installed program, not started; None when it cannot update
    itself (run from source, no signed root shipped with it, no server known yet)."""
    root = root if root is not None else program_root()
    if root is None or not (server_url or configured_url):
        return None
    trusted = trusted_root_of(root)
    if trusted is None:
        log.info("no %s beside the program: updates are off", TRUSTED_ROOT_NAME)
        return None
    return UpdateRunner(
        root=root,
        installed_version=installed_version or __version__,
        base_url=update_url(server_url, configured_url),
        trusted_root=trusted,
        waiting=lambda: work_waiting(store, clock),
    )


def update_url(server_url: str, configured: str = "") -> str:
    """Where the signed repository is: the setting, else the central server's /updates."""
    return (configured or f"{server_url.rstrip('/')}/updates").rstrip("/")


def trusted_root_of(root: Path) -> bytes | None:
    """The repository's root metadata shipped with the program (None: updates off)."""
    for candidate in (root / TRUSTED_ROOT_NAME, root / "_internal" / TRUSTED_ROOT_NAME):
        try:
            return candidate.read_bytes()
        except OSError:
            continue
    return None
