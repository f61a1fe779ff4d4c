"""The application object and the order of windows: setup → login → main window.

``run_gui`` is what ``python -m desktop`` calls (by name, so the core never
imports Qt). The usual start is *login first*: when the data folder holds a PC
that is set up and on this program's schema (``desktop.db.peek.start_header``,
plain sqlite3), the login window is shown at once and the store is opened, and
the core's services built, on the worker thread while the clerk types —
importing SQLAlchemy and opening the store is most of a start, and a clerk
needs a few seconds to type a password anyway. The worker starts on the loop
turn after the window's first paint (``after_first_paint``): its imports hold
the GIL, which the paint would otherwise share. A login typed before the store
is open waits its turn on that same thread. Every other start (the first one,
a migration, a newer program's schema, smoke and screenshot runs) opens the
store first: a newer schema or a full disk is told to the clerk and the
program exits without touching the database. ``Shell`` owns the windows and
the moves between them (logout, language switch).

This module is on the way to the first window: it imports no part of the core
that loads SQLAlchemy at module level (the services are imported inside
``open_core``; tests/ui/test_app_flow.py checks it).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from desktop.config import Settings
from desktop.db.peek import KEYS_FILENAME, StartHeader, start_header
from rules.errors import UserFacingError
from ui.context import AppContext, attach_sync
from ui.errors import message_for, show_error
from ui.i18n import apply_language
from ui.keyboard import install_any_layout_keys
from ui.login import LoginAccess, LoginDialog
from ui.theme import apply_theme, resource_path
from ui.worker import Worker

if TYPE_CHECKING:
    from desktop.catalog_store import CatalogStore
    from desktop.clerks import ClerkDirectory, ClerkInfo
    from desktop.db.engine import Store
    from desktop.intake import Intake
    from desktop.office import DeviceInfo
    from desktop.queue import QueueQueries
    from ui.mainwindow import MainWindow
    from ui.setup_wizard import SetupWizard
    from ui.window_geometry import Placement

log = logging.getLogger("pishkhan.ui")

SCREENSHOT_SIZE = (1280, 800)
SCREENSHOT_TIMEOUT_S = 15.0

# The worker starts opening the store once the login window has been painted: until then
# its imports would take the GIL from the first paint. A window that is not painted by
# this time (started minimised) does not hold the store back any longer.
FIRST_PAINT_WAIT_MS = 1_000

# Qt-free modules the main window and sync need after the login, imported on the worker
# while the clerk types (imported later on the GUI thread they would freeze it).
WARM_MODULES = (
    "rules.catalog",
    "desktop.intake",
    "desktop.queue",
    "desktop.states",
    "desktop.outbox",
    "desktop.synccli",
)


@dataclass
class CoreServices:
    """The core's services over one opened store (no Qt: built on any thread)."""

    store: Store
    catalogs: CatalogStore
    clerks: ClerkDirectory
    intake: Intake
    queries: QueueQueries
    device: DeviceInfo | None

    def close(self) -> None:
        self.queries.close()
        self.store.close()


def open_core(
    data_dir: Path, settings: Settings, store: Store | None = None, *, key: bytes | None = None
) -> CoreServices:
    """Open the store in ``data_dir`` (unless one is given; ``key``: an encrypted one's data
    key) and build the core's services."""
    from desktop.catalog_store import CatalogStore
    from desktop.clerks import ClerkDirectory
    from desktop.db.engine import Store
    from desktop.intake import Intake
    from desktop.office import this_device
    from desktop.queue import QueueQueries

    opened = store if store is not None else Store.open(data_dir, key=key)
    try:
        catalogs = CatalogStore(opened)
        clerks = ClerkDirectory(
            opened,
            lockout_attempts=int(settings.get("lockout_attempts")),
            lockout_minutes=int(settings.get("lockout_minutes")),
        )
        return CoreServices(
            opened,
            catalogs,
            clerks,
            Intake(opened, catalogs),
            QueueQueries(opened),
            this_device(opened),
        )
    except BaseException:
        if store is None:
            opened.close()
        raise


def context_of(
    core: CoreServices,
    data_dir: Path,
    settings: Settings,
    worker: Worker,
    *,
    lang: str | None = None,
) -> AppContext:
    """The ``AppContext`` every window gets (the UI's composition root)."""
    return AppContext(
        data_dir=data_dir,
        settings=settings,
        store=core.store,
        catalogs=core.catalogs,
        clerks=core.clerks,
        intake=core.intake,
        queries=core.queries,
        worker=worker,
        device=core.device,
        lang_override=lang,
    )


def build_context(
    data_dir: Path,
    store: Store,
    settings: Settings | None = None,
    *,
    lang: str | None = None,
    worker: Worker | None = None,
) -> AppContext:
    """Wire the core's services over an opened store for the windows."""
    settings = settings or Settings(data_dir)
    return context_of(
        open_core(data_dir, settings, store), data_dir, settings, worker or Worker(), lang=lang
    )


class _FirstPaint(QObject):
    """Calls ``then`` once: on the loop turn after ``window``'s first paint, or at latest."""

    def __init__(self, window: QWidget, then: Callable[[], None], at_latest_ms: int) -> None:
        super().__init__(window)  # it goes with the window
        self._window = window
        self._then: Callable[[], None] | None = then
        window.installEventFilter(self)
        self._at_latest = QTimer(self)
        self._at_latest.setSingleShot(True)
        self._at_latest.timeout.connect(self._fire)
        self._at_latest.start(at_latest_ms)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Paint:
            self._window.removeEventFilter(self)
            # The next turn: the paint's flush to the screen has run by then.
            QTimer.singleShot(0, self._fire)
        return False

    def _fire(self) -> None:
        then, self._then = self._then, None
        self._at_latest.stop()
        if then is not None:
            then()


def after_first_paint(
    window: QWidget, then: Callable[[], None], *, at_latest_ms: int = FIRST_PAINT_WAIT_MS
) -> None:
    """Run ``then`` on the GUI thread once ``window`` is on the screen (its first paint
    flushed), or after ``at_latest_ms`` if it has not been painted by then."""
    _FirstPaint(window, then, at_latest_ms)


class StoreOpening:
    """The store being opened on the worker thread while the login window is up.

    Everything here runs on the worker, in order: ``open`` first, then any login the
    clerk typed meanwhile (``authenticate``), which therefore always finds it done.
    An encrypted store (``desktop.keyslots``) is opened by the login itself: its password
    unlocks the data key; ``open`` only loads the modules meanwhile and answers None.
    A manager's login on a store whose recovery key was never shown (a power cut at its
    first encryption) makes a new one here, for the window to show
    (``desktop.keyslots_setup.renew_unseen_recovery``); ``recovery_seen`` clears the mark.
    """

    def __init__(self, data_dir: Path, settings: Settings) -> None:
        self._data_dir = data_dir
        self._settings = settings
        self.core: CoreServices | None = None
        self.error: BaseException | None = None
        self._login: Callable[[str, str], ClerkInfo] | None = None
        self._recovery_key: Callable[[], str | None] = lambda: None
        self._renewed: str | None = None  # a new recovery key made by the opening login

    def open(self) -> CoreServices | None:
        from desktop.keyslots import is_encrypted

        if is_encrypted(self._data_dir):
            for name in ("desktop.keyslots_setup", "desktop.catalog_store", *WARM_MODULES):
                importlib.import_module(name)
            return None
        return self._open(None)

    def _open(self, key: bytes | None) -> CoreServices:
        try:
            core = open_core(self._data_dir, self._settings, key=key)
            try:
                core.catalogs.ensure_seeded()
                for name in WARM_MODULES:
                    importlib.import_module(name)
            except BaseException:
                core.close()
                raise
        except BaseException as exc:
            self.error = exc
            raise
        self.core = core
        return core

    def authenticate(self, username: str, typed_password: str) -> ClerkInfo:
        if self.core is None and self.error is None:
            from desktop.keyslots_setup import data_key_for

            # The encrypted store: the password unlocks its key (argon2id, on this thread).
            key = data_key_for(self._data_dir, username=username, password=typed_password)
            core = self._open(key)
            clerk = core.clerks.authenticate(username, typed_password, proven=True)
            from desktop.keyslots_setup import renew_unseen_recovery

            self._renewed = renew_unseen_recovery(core.store, clerk)
            self._recovery_key = self._take_renewed
            return clerk
        if self.core is None:
            raise self.error or RuntimeError("the store was not opened before the login")
        if self._login is None:
            from desktop.keyslots_setup import ProtectingLogin

            core = self.core
            login = ProtectingLogin(core.clerks, core.store, before_encrypt=core.queries.close)
            self._login, self._recovery_key = login, login.take_recovery_key
        return self._login(username, typed_password)

    def recovery_key(self) -> str | None:
        """The recovery key to show if the login turned encryption on, or made a new one
        for one never shown (GUI thread, once)."""
        return self._recovery_key()

    def recovery_seen(self, recovery_key: str) -> bool:
        """The manager confirmed the key shown: the unseen mark goes (worker thread)."""
        from desktop.keyslots_setup import confirm_recovery_seen

        return confirm_recovery_seen(self._data_dir, recovery_key)

    def _take_renewed(self) -> str | None:
        key, self._renewed = self._renewed, None
        return key


def needs_setup(ctx: AppContext) -> bool:
    return ctx.device is None or not ctx.clerks.has_any()


class Shell(QObject):
    """Shows the right window for the state of the PC and moves between them.

    ``ctx`` is None while the store is still being opened (login first): the login
    window is up, and ``context_ready`` hands the context over before any login
    can succeed (both come back from the same worker thread, in order).
    """

    quitRequested = Signal()
    mainShown = Signal(object)  # MainWindow
    contextReady = Signal(object)  # AppContext

    def __init__(self, ctx: AppContext | None, app: QApplication, *, demo_hint: str = "") -> None:
        super().__init__(app)
        self.ctx = ctx
        self.app = app
        self.demo_hint = demo_hint
        self.setup: SetupWizard | None = None
        self.login: LoginDialog | None = None
        self.main: MainWindow | None = None

    def start(self) -> None:
        if needs_setup(self._context()):
            self.show_setup()
        else:
            self.show_login()

    def start_login_first(self, access: LoginAccess) -> None:
        """Show the login window before the store is open (``context_ready`` follows)."""
        self._show_login(access)

    def context_ready(self, ctx: AppContext) -> None:
        self.ctx = ctx
        attach_sync(ctx)
        self.contextReady.emit(ctx)

    def _context(self) -> AppContext:
        if self.ctx is None:
            raise RuntimeError("the store is not open yet")
        return self.ctx

    def show_setup(self) -> None:
        from ui.setup_wizard import SetupWizard  # the first start only

        wizard = SetupWizard(self._context())
        wizard.completed.connect(lambda _device, _manager: self.show_login())
        wizard.rejected.connect(self.quitRequested)
        self.setup = wizard
        wizard.show()

    def show_login(self) -> None:
        self._show_login(LoginAccess.of(self._context()))

    def _show_login(self, access: LoginAccess) -> None:
        dialog = LoginDialog(access, demo_hint=self.demo_hint)
        dialog.loggedIn.connect(self.show_main)
        dialog.rejected.connect(self.quitRequested)
        self.login = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def show_main(self, clerk: ClerkInfo, *, placement: Placement | None = None) -> MainWindow:
        ctx = self._context()
        ctx.clerk = clerk
        from ui.mainwindow import MainWindow  # after the login: not on the way to it

        window = MainWindow(ctx, placement=placement)
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
        self._context().clerk = None
        self.main = None
        self.show_login()
        if old is not None:
            old.close_for_good()
            old.deleteLater()

    def switch_language(self, lang: str) -> None:
        """Save the choice, swap translators and rebuild the main window in the new language."""
        ctx = self._context()
        ctx.settings.set("language", lang)
        ctx.lang_override = None
        apply_language(self.app, lang)
        old = self.main
        clerk = ctx.clerk
        if clerk is None:
            return
        # The new window opens where the old one is (its place is being saved meanwhile).
        self.show_main(clerk, placement=old.placement() if old is not None else None)
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
        from PySide6.QtWidgets import QMessageBox  # only when something went wrong

        QMessageBox.critical(None, "پیشخوان · Pishkhan", text)


def _demo_hint(lang: str) -> str:
    from desktop.demo import DEMO_CLERK as user
    from desktop.demo import DEMO_PASSWORD as password  # demo runs only

    if lang == "fa":
        return f"نسخهٔ نمایشی: کاربر «{user}»، گذرواژه «{password}»"
    return f"Demo: user “{user}”, password “{password}”"


def demo_clerk(ctx: AppContext) -> ClerkInfo | None:
    """The clerk a screenshot is taken as: the demo clerk, else the first active clerk."""
    from desktop.demo import DEMO_CLERK as wanted

    clerks = [c for c in ctx.clerks.list() if c.active]
    for clerk in clerks:
        if clerk.username == wanted:
            return clerk
    plain = [c for c in clerks if not c.is_manager]
    candidates = plain or clerks
    return candidates[0] if candidates else None


def settle(
    app: QApplication,
    ctx: AppContext,
    *,
    timeout_s: float = SCREENSHOT_TIMEOUT_S,
    quiet_rounds: int = 20,
) -> None:
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
        print(
            "screenshot: the data folder has no office or clerk (add --demo to fill it)",
            file=sys.stderr,
        )
        return 2
    ctx.clerk = clerk
    from PySide6.QtCore import Qt  # not on the way to the login window (its enums cost)

    from ui.mainwindow import MainWindow

    window = MainWindow(ctx)
    # The same picture on every machine: not the last place nor this screen's size.
    window.setWindowState(Qt.WindowState.WindowNoState)
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
    install_any_layout_keys(app)  # Ctrl and Alt keys work in the Persian and English layouts
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
    header = None if headless else start_header(data_dir)
    if header is not None:
        return _run_login_first(
            app, data_dir, settings, header, lang=lang, language=language, demo=demo
        )
    try:
        core = open_core(data_dir, settings)
    except UserFacingError as exc:
        _tell(exc.message.text(language), headless=headless)
        return 2
    worker = Worker()
    ctx = context_of(core, data_dir, settings, worker, lang=lang)
    failures: list[BaseException] = []
    previous_hook = install_excepthook(lambda: ctx.lang, headless=headless, failures=failures)
    try:
        try:
            ctx.catalogs.ensure_seeded()
        except UserFacingError as exc:
            _tell(exc.message.text(language), headless=headless)
            return 2
        if smoke:
            login = LoginDialog(LoginAccess.of(ctx))
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
        _stop_sync(ctx)
        core.close()


def _run_login_first(
    app: QApplication,
    data_dir: Path,
    settings: Settings,
    header: StartHeader,
    *,
    lang: str | None,
    language: str,
    demo: bool,
) -> int:
    """The usual start: the login window now, the store opened on the worker meanwhile."""
    worker = Worker()
    opening = StoreOpening(data_dir, settings)
    shell = Shell(None, app, demo_hint=_demo_hint(language) if demo else "")
    failures: list[BaseException] = []
    previous_hook = install_excepthook(
        lambda: shell.ctx.lang if shell.ctx is not None else language,
        headless=False,
        failures=failures,
    )

    def opened(core: CoreServices | None) -> None:
        if core is not None and shell.ctx is None:
            shell.context_ready(context_of(core, data_dir, settings, worker, lang=lang))

    def hand_over() -> None:  # an encrypted store, opened by the login that just succeeded
        opened(opening.core)

    def not_opened(exc: BaseException) -> None:
        # The store that looked fine a moment ago would not open (a full disk, another
        # program holding it, a file damaged meanwhile): nothing was changed; say so, end.
        if shell.login is not None:
            shell.login.hide()
        text = message_for(exc, language)
        if text is None:
            show_error(None, exc, language)  # a bug: logged with its trace
        else:
            _tell(text, headless=False)
        app.exit(2)

    try:
        app.setQuitOnLastWindowClosed(False)
        shell.quitRequested.connect(app.quit)
        shell.start_login_first(
            LoginAccess(
                language,
                worker,
                opening.authenticate,
                header.office_name,
                header.counter_no,
                before_login=hand_over,
                recovery_key=opening.recovery_key,
                recovery_seen=opening.recovery_seen,
                may_encrypt=not (data_dir / KEYS_FILENAME).exists(),
            )
        )
        # Opened once the window is on the screen: the worker's imports hold the GIL for
        # most of a second, and the first paint must not share it with them.
        login = shell.login
        assert login is not None
        after_first_paint(login, lambda: worker.submit(opening.open, opened, not_opened))
        return app.exec()
    finally:
        sys.excepthook = previous_hook
        worker.wait_idle()  # the store may still be opening: let it finish, then close it
        if shell.ctx is not None:
            _stop_sync(shell.ctx)
        if opening.core is not None:
            opening.core.close()


def _stop_sync(ctx: AppContext) -> None:
    if ctx.sync is not None:
        with contextlib.suppress(Exception):  # shutting down: nothing left to tell
            ctx.sync.stop()
    if ctx.updates is not None:
        with contextlib.suppress(Exception):  # the download's part is kept for next time
            ctx.updates.stop()


def main_widget(shell: Shell) -> QWidget | None:
    """The window the clerk currently sees (tests and diagnostics)."""
    return shell.main or shell.login or shell.setup
