"""Everything a window needs, passed in (no global singletons), and the sync's attachment.

``AppContext`` is the UI's composition root as the windows see it: the core's services
over the opened store, the worker that runs writes and slow reads (and announces what
they changed, ``ui.worker``), the clerk logged in, and the sync adapter when this PC is
enrolled. ``attach_sync`` starts that adapter; it lives here, not in ``ui.app``, so the
enrolment window can call it without importing the application (no import cycle in
``ui/``: a contract in pyproject.toml).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from desktop.config import Settings
from rules.errors import UserFacingError
from ui.worker import Worker

if TYPE_CHECKING:
    # Types only: the login window is shown before the core (SQLAlchemy) is imported.
    from desktop.catalog_store import CatalogStore
    from desktop.clerks import ClerkDirectory, ClerkInfo
    from desktop.db.engine import Store
    from desktop.intake import Intake
    from desktop.office import DeviceInfo
    from desktop.queue import QueueQueries
    from desktop.updater import UpdateRunner
    from ui.sync_adapter import SyncAdapter

log = logging.getLogger("pishkhan.ui")
T = TypeVar("T")


@dataclass
class AppContext:
    data_dir: Path
    settings: Settings
    store: Store
    catalogs: CatalogStore
    clerks: ClerkDirectory
    intake: Intake
    queries: QueueQueries  # GUI-thread reads of a few rows by id (index lookups, < 1 ms)
    worker: Worker  # writes and slow reads; ``worker.changed`` says what a write changed
    device: DeviceInfo | None = None
    clerk: ClerkInfo | None = None
    sync: SyncAdapter | None = None
    updates: UpdateRunner | None = None  # the program's own updater, when installed
    # ``--lang`` for one run, without changing the saved setting.
    lang_override: str | None = None

    @property
    def lang(self) -> str:
        return self.lang_override or str(self.settings.get("language"))

    @contextlib.contextmanager
    def clerk_at_work(self) -> Iterator[None]:
        """Around a save or a print (on whichever thread runs it): the update's download
        pauses meanwhile (issue 16), so it never competes with the clerk for the disk."""
        if self.updates is None:
            yield
            return
        with self.updates.gate.busy():
            yield

    def during_clerk_work(self, fn: Callable[[], T]) -> T:
        """``fn()`` inside ``clerk_at_work``: what the worker runs for a save or a print."""
        with self.clerk_at_work():
            return fn()


def attach_sync(ctx: AppContext) -> None:
    """Start the sync adapter if this PC is enrolled and none runs yet (else: nothing)."""
    if ctx.sync is not None:
        return
    # Imported when first needed: the sync engine is not on the way to the login window.
    from ui.sync_adapter import create_sync_adapter

    try:
        ctx.sync = create_sync_adapter(ctx.store, ctx.data_dir, ctx.settings, ctx.worker)
    except UserFacingError as exc:
        log.info("sync not started: %s", exc)
        return
    attach_updates(ctx)


def attach_updates(ctx: AppContext) -> None:
    """Start the program's updater (installed programs only) and step it after each sync
    round that left nothing waiting; the step runs on the updater's own thread."""
    from desktop.updater import runner_for

    if ctx.updates is None and ctx.sync is not None:
        server_url = str(ctx.settings.get("server_url"))
        if not server_url and ctx.device is not None:
            server_url = ctx.device.server_url or ""
        ctx.updates = runner_for(
            ctx.store, server_url, configured_url=str(ctx.settings.get("update_url"))
        )
        if ctx.updates is not None:
            ctx.updates.start()
    runner, sync = ctx.updates, ctx.sync
    if runner is not None and sync is not None:
        sync.statusChanged.connect(
            lambda status: runner.idle() if not status.running and status.waiting == 0 else None
        )
