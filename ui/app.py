"""The application object and the order of windows: setup → login → main window.

``run_gui`` is what ``python -m desktop`` calls (by name, so the core never
imports Qt). It opens the store (a newer schema or a full disk is told to the
clerk and the program exits without touching the database), builds the
``AppContext`` every window gets, and hands over to ``Shell``, which owns the
windows and the moves between them (logout, language switch).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from desktop.catalogs import CatalogStore
from desktop.clerks import ClerkDirectory, ClerkInfo
from desktop.config import Settings
from desktop.db.engine import Store
from desktop.errors import UserFacingError
from desktop.intake import Intake
from desktop.office import this_device
from desktop.queue import QueueQueries
from ui.context import AppContext, optional_module
from ui.errors import show_error
from ui.i18n import apply_language
from ui.login import LoginDialog
from ui.setup_wizard import SetupWizard
from ui.theme import apply_theme, resource_path
from ui.worker import Worker

if TYPE_CHECKING:
    from ui.mainwindow import MainWindow

log = logging.getLogger("pishkhan.ui")

SCREENSHOT_SIZE = (1280, 800)
SCREENSHOT_TIMEOUT_S = 15.0


def build_context(
    data_dir: Path, store: Store, settings: Settings | None = None, *, lang: str | None = None,
    worker: Worker | None = None,
) -> AppContext:
    """Wire the core's services for the windows (the UI's composition root)."""
    settings = settings or Settings(data_dir)
    catalogs = CatalogStore(store)
    clerks = ClerkDirectory(
        store,
        lockout_attempts=int(settings.get("lockout_attempts")),
        lockout_minutes=int(settings.get("lockout_minutes")),
    )
    return AppContext(
        data_dir=data_dir,
        settings=settings,
        store=store,
        catalogs=catalogs,
        clerks=clerks,
        intake=Intake(store, catalogs),
        queries=QueueQueries(store),
        worker=worker or Worker(),
        device=this_device(store),
        lang_override=lang,
    )


def needs_setup(ctx: AppContext) -> bool:
    return ctx.device is None or not ctx.clerks.has_any()


def attach_sync(ctx: AppContext) -> None:
    """Start the sync adapter when that part is in the build and the PC is enrolled."""
    module = optional_module("ui.sync_adapter")
    if module is None or ctx.sync is not None:
        return
    factory = getattr(module, "create_sync_adapter", None)
    try:
        ctx.sync = factory(ctx) if callable(factory) else module.SyncAdapter(ctx)
    except UserFacingError as exc:
        log.info("sync not started: %s", exc)


class Shell(QObject):
    """Shows the right window for the state of the PC and moves between them."""

    quitRequested = Signal()
    mainShown = Signal(object)  # MainWindow

    def __init__(self, ctx: AppContext, app: QApplication, *, demo_hint: str = "") -> None:
        super().__init__(app)
        self.ctx = ctx
        self.app = app
        self.demo_hint = demo_hint
        self.setup: SetupWizard | None = None
        self.login: LoginDialog | None = None
        self.main: MainWindow | None = None

    def start(self) -> None:
        if needs_setup(self.ctx):
            self.show_setup()
        else:
            self.show_login()

    def show_setup(self) -> None:
        wizard = SetupWizard(self.ctx)
        wizard.completed.connect(lambda _device, _manager: self.show_login())
        wizard.rejected.connect(self.quitRequested)
        self.setup = wizard
        wizard.show()

    def show_login(self) -> None:
        dialog = LoginDialog(self.ctx, demo_hint=self.demo_hint)
        dialog.loggedIn.connect(self.show_main)
        dialog.rejected.connect(self.quitRequested)
        self.login = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def show_main(self, clerk: ClerkInfo) -> MainWindow:
        self.ctx.clerk = clerk
        from ui.mainwindow import MainWindow  # after the login: not on the way to it

        window = MainWindow(self.ctx)
        window.logoutRequested.connect(self.logout)
        window.languageRequested.connect(self.switch_language)
        # The clerk closed the main window (not a logout or language switch): the end.
        window.closedByUser.connect(self.quitRequested)
        self.main = window
        window.show()
        window.raise_()
        window.activateWindow()
        self.mainShown.emit(window)
        return window

    def logout(self) -> None:
        old = self.main
        self.ctx.clerk = None
        self.main = None
        self.show_login()
        if old is not None:
            old.close_for_good()
            old.deleteLater()

    def switch_language(self, lang: str) -> None:
        """Save the choice, swap translators and rebuild the main window in the new language."""
        self.ctx.settings.set("language", lang)
        self.ctx.lang_override = None
        apply_language(self.app, lang)
        old = self.main
        clerk = self.ctx.clerk
        if clerk is None:
            return
        self.show_main(clerk)
        if old is not None:
            old.close_for_good()
            old.deleteLater()


def install_excepthook(
    lang: Callable[[], str], *, headless: bool, failures: list[BaseException]
) -> Callable[[type[BaseException], BaseException, TracebackType | None], None]:
    """Route uncaught exceptions (in slots too) to the error dialog; returns the old hook."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        failures.append(exc)
        if headless:
            # Smoke and screenshot runs must not block on a dialog; stderr tells the story.
            traceback.print_exception(kind, exc, tb, file=sys.stderr)
            return
        try:
            show_error(QApplication.activeWindow(), exc, lang())
        except Exception:  # the error dialog itself failed: fall back to the default hook
            previous(kind, exc, tb)

    sys.excepthook = hook
    return previous


def _tell(text: str, *, headless: bool) -> None:
    if headless:
        print(text, file=sys.stderr)
    else:
        QMessageBox.critical(None, "پیشخوان · Pishkhan", text)


def _demo_hint(lang: str) -> str:
    demo = optional_module("desktop.demo")
    if demo is None:
        return ""
    user, password = getattr(demo, "DEMO_CLERK", ""), getattr(demo, "DEMO_PASSWORD", "")
    if not user:
        return ""
    if lang == "fa":
        return f"نسخهٔ نمایشی: کاربر «{user}»، گذرواژه «{password}»"
    return f"Demo: user “{user}”, password “{password}”"


def demo_clerk(ctx: AppContext) -> ClerkInfo | None:
    """The clerk a screenshot is taken as: the demo clerk, else the first active clerk."""
    demo = optional_module("desktop.demo")
    wanted = getattr(demo, "DEMO_CLERK", None) if demo is not None else None
    clerks = [c for c in ctx.clerks.list() if c.active]
    for clerk in clerks:
        if clerk.username == wanted:
            return clerk
    plain = [c for c in clerks if not c.is_manager]
    candidates = plain or clerks
    return candidates[0] if candidates else None


def settle(app: QApplication, ctx: AppContext, *, timeout_s: float = SCREENSHOT_TIMEOUT_S,
           quiet_rounds: int = 20) -> None:
    """Process events until the worker has been idle for a while (views have loaded)."""
    deadline = time.monotonic() + timeout_s
    quiet = 0
    while time.monotonic() < deadline and quiet < quiet_rounds:
        app.processEvents()
        if ctx.worker.busy:
            quiet = 0
            ctx.worker.wait_idle(50)
        else:
            quiet += 1
            time.sleep(0.01)
    app.processEvents()


def take_screenshot(app: QApplication, ctx: AppContext, path: Path) -> int:
    clerk = demo_clerk(ctx)
    if ctx.device is None or clerk is None:
        print("screenshot: the data folder has no office or clerk (use demo data)",
              file=sys.stderr)
        return 2
    ctx.clerk = clerk
    from ui.mainwindow import MainWindow

    window = MainWindow(ctx)
    window.resize(*SCREENSHOT_SIZE)
    window.show()
    services = window.form.picker.services()
    if services:
        window.form.picker.choose(services[0].code)
    settle(app, ctx)
    path.parent.mkdir(parents=True, exist_ok=True)
    ok = window.grab().save(str(path))
    window.close_for_good()
    if not ok:
        print(f"screenshot: could not write {path}", file=sys.stderr)
        return 1
    return 0


def create_application() -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Pishkhan")
    app.setOrganizationName("Pishkhan")
    app.setWindowIcon(QIcon(str(resource_path("icons", "pishkhan.png"))))
    apply_theme(app)
    return app


def run_gui(
    data_dir: Path,
    *,
    lang: str | None = None,
    screenshot: Path | None = None,
    smoke: bool = False,
    demo: bool = False,
) -> int:
    """Start the counter program on ``data_dir``; returns the process exit code.

    ``smoke``: open the database, show the login window, process events, close, 0.
    ``screenshot``: log in as the demo clerk, render the main window at 1280×800,
    save it as PNG, 0. ``demo``: the data folder holds demo data (the login
    window shows the demo account). ``lang``: "fa" or "en" for this run only.
    """
    headless = smoke or screenshot is not None
    app = create_application()
    settings = Settings(data_dir)
    language = lang or str(settings.get("language"))
    if language not in ("fa", "en"):
        language = "fa"
    apply_language(app, language)
    try:
        store = Store.open(data_dir)
    except UserFacingError as exc:
        _tell(exc.message.text(language), headless=headless)
        return 2
    worker = Worker()
    ctx = build_context(data_dir, store, settings, lang=lang, worker=worker)
    failures: list[BaseException] = []
    previous_hook = install_excepthook(lambda: ctx.lang, headless=headless, failures=failures)
    try:
        try:
            ctx.catalogs.ensure_seeded()
        except UserFacingError as exc:
            _tell(exc.message.text(language), headless=headless)
            return 2
        if smoke:
            login = LoginDialog(ctx)
            login.show()
            for _ in range(10):
                app.processEvents()
            login.close()
            app.processEvents()
            return 1 if failures else 0
        if screenshot is not None:
            code = take_screenshot(app, ctx, screenshot)
            return code if not failures else 1
        attach_sync(ctx)
        app.setQuitOnLastWindowClosed(False)
        shell = Shell(ctx, app, demo_hint=_demo_hint(language) if demo else "")
        shell.quitRequested.connect(app.quit)
        shell.start()
        return app.exec()
    finally:
        sys.excepthook = previous_hook
        worker.wait_idle()
        if ctx.sync is not None:
            stop = getattr(ctx.sync, "stop", None)
            if callable(stop):
                with contextlib.suppress(Exception):
                    stop()
        ctx.queries.close()
        store.close()


def main_widget(shell: Shell) -> QWidget | None:
    """The window the clerk currently sees (tests and diagnostics)."""
    return shell.main or shell.login or shell.setup
