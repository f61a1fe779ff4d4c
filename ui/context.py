"""Everything a window needs, passed in (no global singletons)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from desktop.config import Settings
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


@dataclass
class AppContext:
    data_dir: Path
    settings: Settings
    store: Store
    catalogs: CatalogStore
    clerks: ClerkDirectory
    intake: Intake
    queries: QueueQueries  # GUI-thread reads of a few rows by id (index lookups, < 1 ms)
    worker: Worker  # writes and slow reads
    device: DeviceInfo | None = None
    clerk: ClerkInfo | None = None
    sync: SyncAdapter | None = None
    extra: dict[str, object] = field(default_factory=dict)
    # ``--lang`` for one run, without changing the saved setting.
    lang_override: str | None = None

    @property
    def lang(self) -> str:
        return self.lang_override or str(self.settings.get("language"))


def optional_module(name: str) -> ModuleType | None:
    """Import a window part by name when it is first needed (start-up stays light);
    None if that part is not in this build. A bug inside the part still raises."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise
