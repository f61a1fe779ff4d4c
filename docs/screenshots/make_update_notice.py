"""Screenshots of the update strip (issue 16) at 1366×768, offscreen: the centre's reminder
before its date, and the plain "must update" after it with the new version staged
("restart now" the default button). The real main window, updater and presenter; the
staged version is written in the pointer by hand (no repository is needed to look), and
the centre's minimum comes as a heartbeat's event would bring it. Nothing is sent.

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. .venv/bin/python docs/screenshots/make_update_notice.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

_SCREENS = Path(tempfile.mkdtemp()) / "screens.json"
_SCREENS.write_text(
    json.dumps({"screens": [{"name": "a-1366", "x": 0, "y": 0, "width": 1366, "height": 768}]})
)
os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_SCREENS}"

from PySide6.QtCore import QRect  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop.config import Settings  # noqa: E402
from desktop.db.engine import Store  # noqa: E402
from desktop.demo import DEMO_MANAGER, seed_demo  # noqa: E402
from desktop.updater import UpdateRunner  # noqa: E402
from sync.events import HeartbeatSent  # noqa: E402
from ui.app import build_context  # noqa: E402
from ui.i18n import apply_language  # noqa: E402
from ui.mainwindow import MainWindow  # noqa: E402
from ui.theme import apply_theme  # noqa: E402
from ui.window_geometry import Placement  # noqa: E402
from ui.worker import Worker  # noqa: E402
from updates.pointer import READY, Pointer  # noqa: E402

HERE = Path(__file__).resolve().parent
DATE = dt.datetime(2026, 12, 20, 8, 30, tzinfo=dt.UTC)
USABLE = 70  # less a 40 px taskbar and a 30 px title bar, as make_form_states.py


def main() -> int:
    app = QApplication(sys.argv)
    apply_theme(app)
    apply_language(app, "fa")
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        data.mkdir()
        store = Store.open(data)
        seed_demo(store, requests=10)
        worker = Worker()
        ctx = build_context(data, store, Settings(data), worker=worker)
        ctx.catalogs.ensure_seeded()
        ctx.clerk = next(c for c in ctx.clerks.list() if c.username == DEMO_MANAGER)
        root = Path(folder) / "Programs" / "Pishkhan"
        for name, staged, now in (
            ("update-soon", False, DATE - dt.timedelta(days=3)),
            ("update-must", True, DATE + dt.timedelta(hours=1)),
        ):
            if staged:
                (root / "versions" / "1.1.0").mkdir(parents=True)
                Pointer(pending="1.1.0", state=READY).write(root)
            root.mkdir(parents=True, exist_ok=True)
            ctx.updates = UpdateRunner(
                root=root,
                installed_version="1.0.0",
                base_url="http://127.0.0.1:9/updates",  # never asked: the runner is not started
                trusted_root=b"{}",
                waiting=lambda: 0,
            )
            window = MainWindow(ctx, placement=Placement(QRect(40, 30, 1600, 1000)))
            window._updates._clock = lambda now=now: now  # type: ignore[misc]
            window.show()
            window.setGeometry(0, 30, 1366, 768 - USABLE)
            window._updates._on_sync_event(HeartbeatSent(0, "1.1.0", DATE.isoformat()))
            for _ in range(5):
                worker.wait_idle()
                app.processEvents()
            window.grab().save(str(HERE / f"{name}-1366x768.png"))
            window.close()
            ctx.updates.stop()
        worker.wait_idle()
        ctx.queries.close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
