"""Everything a window needs, passed in (no global singletons), and the sync's attachment.

``AppContext`` is the UI's composition root as the windows see it: the core's services
over the opened store, the worker that runs writes and slow reads (and announces what
they changed, ``ui.worker``), the clerk logged in, and the sync adapter when this PC is
enrolled. ``attach_sync`` starts that adapter; it lives here, not in ``ui.app``, so the
enrolment window can call it without importing the application (no import cycle in
``ui/``: a contract in pyproject.toml).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

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
    from ui.sync_adapter import SyncAdapter

log = logging.getLogger("pishkhan.ui")


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
    # ``--lang`` for one run, without changing the saved setting.
    lang_override: str | None = None

    @property
    def lang(self) -> str:
        return self.lang_override or str(self.settings.get("language"))


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
