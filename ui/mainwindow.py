"""The counter's main window: banner, new-request form and queue, menus and shortcuts.

Composes the queue view, request detail, printing, day close, the sync adapter's
status and the form. Shortcuts a clerk lives by: Ctrl+N new request, Ctrl+S save,
Ctrl+P print the last receipt, Ctrl+F search the queue, Ctrl+L the list, F5 send now,
Ctrl+Shift+L log out; they and the menus' mnemonics (one per key in each menu, in both
languages) work with the Persian and the English keyboard layout (``ui.keyboard``).

The window is resizable and opens where it was last closed, fitted to the screens
attached now (``ui.window_geometry``). It refreshes none of its parts by hand: writes
announce what they changed and the views follow (``desktop.changes``).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QGuiApplication,
    QIcon,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from desktop.changes import SETTINGS_CHANGED
from desktop.clock import utc_now
from desktop.intake import SavedRequest
from ui.about import AboutDialog
from ui.banner import Banner
from ui.clerks_dialog import ClerksDialog, PasswordDialog
from ui.context import AppContext
from ui.errors import show_error
from ui.i18n import LANGUAGE_NAMES, LANGUAGES
from ui.queue_view import QueueView
from ui.request_form import RequestForm
from ui.theme import digits, format_jalali_date, identifier, isolate, resource_path
from ui.update_notice import place_update_notice
from ui.window_geometry import Placement, place_window, placement_text, saved_placement

log = logging.getLogger("pishkhan.ui")


class MainWindow(QMainWindow):
    logoutRequested = Signal()
    languageRequested = Signal(str)
    closedByUser = Signal()

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        placement: Placement | None = None,
    ) -> None:
        """``placement``: where to open (the window this one replaces); else where the
        last one was closed (the settings), fitted to the screens attached now."""
        super().__init__(parent)
        self._ctx = ctx
        self._lang = ctx.lang
        self._force_close = False
        self.setObjectName("mainWindow")
        self.setWindowTitle(self.tr("Pishkhan"))
        self.setWindowIcon(QIcon(str(resource_path("icons", "pishkhan.png"))))

        self.banner = Banner(ctx, self)
        self.form = RequestForm(ctx, self)
        self.form.saved.connect(self._saved)
        self.queue = self._make_queue()
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("mainTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.form, self.tr("New request"))
        self.tabs.addTab(self.queue, self.tr("Requests"))
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 0)
        layout.setSpacing(6)
        layout.addWidget(self.banner)
        # "A new version is ready": a strip under the banner, never a dialog (issue 16).
        self.update_notice, self._updates = place_update_notice(ctx, self, self.close)
        layout.addWidget(self.update_notice)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.banner.syncRequested.connect(self.sync_now)
        self.banner.attentionRequested.connect(self.show_attention)
        self.banner.enrolRequested.connect(self.enrol)
        self._sync: Any = None  # the adapter this window listens to
        self._listen_to_sync()
        self.form.printRequested.connect(self.print_request)

        self._build_actions()
        self._build_status_bar()
        self._place(placement)
        self.form.picker.focus_search()

    def _listen_to_sync(self) -> None:
        """Show ``ctx.sync``'s status in the banner; again after an enrolment replaced it.

        (What a round changed reaches the views by itself: ``desktop.changes``.)"""
        old, sync = self._sync, self._ctx.sync
        if old is not None and old is not sync:
            old.statusChanged.disconnect(self.banner.set_sync_status)
        self._sync = sync
        self._updates.listen_to_sync()
        if sync is None or sync is old:
            return
        sync.statusChanged.connect(self.banner.set_sync_status)
        self.banner.set_sync_status(sync.status)

    # --- size and place -----------------------------------------------------------------

    def _place(self, placement: Placement | None) -> None:
        saved = placement or saved_placement(str(self._ctx.settings.get("window_placement")))
        screens = QGuiApplication.screens()
        primary = QGuiApplication.primaryScreen()
        chosen = place_window(
            saved,
            [screen.availableGeometry() for screen in screens],
            primary=screens.index(primary) if primary in screens else 0,
            minimum=self.minimumSizeHint(),
        )
        self.setGeometry(chosen.rect)
        if chosen.maximized:
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)

    def placement(self) -> Placement:
        """Where the window is now (its normal size and place, even while maximised)."""
        maximized = bool(self.windowState() & Qt.WindowState.WindowMaximized)
        rect = self.normalGeometry() if maximized else self.geometry()
        if not rect.isValid():
            rect = self.geometry()
        return Placement(rect, maximized)

    def _remember_placement(self) -> None:
        """Written on the worker: closing the window never waits on the disk."""
        settings, text = self._ctx.settings, placement_text(self.placement())
        if settings.get("window_placement") == text:
            return
        self._ctx.worker.submit(
            lambda: settings.set("window_placement", text), changes=SETTINGS_CHANGED
        )

    # --- parts from other modules -------------------------------------------------------

    def _make_queue(self) -> QueueView:
        view = QueueView(self._ctx, self)
        view.requestActivated.connect(self.open_request)
        return view

    def open_request(self, request_id: str) -> None:
        from ui.detail import RequestDetailDialog  # loaded when first opened

        dialog = RequestDetailDialog(self._ctx, request_id, self, on_correct=self.start_correction)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def start_correction(self, request_id: str) -> None:
        self.tabs.setCurrentWidget(self.form)
        self.form.load_for_correction(request_id)

    # --- actions --------------------------------------------------------------------------

    def _action(self, text: str, slot: Any, shortcut: str | None = None, name: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if name:
            action.setObjectName(name)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        manager = self._ctx.clerk is not None and self._ctx.clerk.is_manager
        self.act_new = self._action(self.tr("&New request"), self.new_request, "Ctrl+N", "actNew")
        self.act_queue = self._action(
            self.tr("&Requests", "the list of requests"), self.show_queue, "Ctrl+L", "actQueue"
        )
        self.act_search = self._action(
            self.tr("&Search requests"), self.search_queue, "Ctrl+F", "actSearch"
        )
        self.act_print = self._action(
            self.tr("&Print receipt"), self.print_last, "Ctrl+P", "actPrint"
        )
        self.act_sync = self._action(self.tr("Send &now"), self.sync_now, "F5", "actSync")
        self.act_dayclose = self._action(
            self.tr("&Close the day"), self.day_close, None, "actDayClose"
        )
        self.act_clerks = self._action(self.tr("&Accounts"), self.manage_clerks, None, "actClerks")
        self.act_clerks.setVisible(manager)
        self.act_enrol = self._action(
            self.tr("Connect to the central &server…"), self.enrol, None, "actEnrol"
        )
        self.act_enrol.setVisible(manager)
        self.act_settings = self._action(
            self.tr("Se&ttings of this PC…"), self.open_settings, None, "actSettings"
        )
        self.act_settings.setVisible(manager)
        self.act_password = self._action(
            self.tr("Change my &password…"), self.change_password, None, "actPassword"
        )
        self.act_about = self._action(self.tr("&About Pishkhan"), self.about, None, "actAbout")
        self.act_logout = self._action(
            self.tr("&Log out"), self.logout, "Ctrl+Shift+L", "actLogout"
        )
        self.act_print.setEnabled(False)

        self.language_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for lang in LANGUAGES:
            action = QAction(LANGUAGE_NAMES[lang], self)
            action.setCheckable(True)
            action.setChecked(lang == self._lang)
            action.setObjectName(f"actLanguage_{lang}")
            action.triggered.connect(lambda _=False, code=lang: self.change_language(code))
            group.addAction(action)
            self.language_actions[lang] = action

        menu = self.menuBar()
        work = menu.addMenu(self.tr("&Requests"))
        for action in (self.act_new, self.act_queue, self.act_search, self.act_print):
            work.addAction(action)
        office = menu.addMenu(self.tr("&Office"))
        office.addAction(self.act_sync)
        office.addAction(self.act_dayclose)
        office.addAction(self.act_clerks)
        office.addAction(self.act_enrol)
        office.addAction(self.act_settings)
        office.addSeparator()
        office.addAction(self.act_password)
        office.addAction(self.act_logout)
        settings = menu.addMenu(self.tr("&Language"))
        for action in self.language_actions.values():
            settings.addAction(action)
        help_menu = menu.addMenu(self.tr("&Help"))
        help_menu.addAction(self.act_about)

        toolbar = QToolBar(self.tr("Main"), self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (
            self.act_new,
            self.act_queue,
            self.act_print,
            self.act_sync,
            self.act_dayclose,
        ):
            toolbar.addAction(action)
        if manager:
            toolbar.addAction(self.act_clerks)
        spacer = QWidget(toolbar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addAction(self.act_logout)
        self.addToolBar(toolbar)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        ctx = self._ctx
        lang = self._lang
        clerk = ctx.clerk
        if clerk is not None:
            role = self.tr("manager") if clerk.is_manager else self.tr("clerk")
            self.clerk_label = QLabel(
                isolate(
                    self.tr("Logged in: %1 (%2)")
                    .replace("%1", clerk.display_name)
                    .replace("%2", role),
                    lang,
                ),
                self,
            )
            self.clerk_label.setObjectName("statusClerk")
            bar.addPermanentWidget(self.clerk_label)
        if ctx.device is not None:
            office = QLabel(
                isolate(
                    self.tr("%1 — counter %2")
                    .replace("%1", ctx.device.office_name)
                    .replace("%2", digits(str(ctx.device.counter_no), lang)),
                    lang,
                ),
                self,
            )
            office.setObjectName("statusOffice")
            bar.addPermanentWidget(office)
        version = ctx.catalogs.current_version()
        if version is not None:
            bar.addPermanentWidget(
                QLabel(self.tr("Services list v%1").replace("%1", digits(str(version), lang)), self)
            )
        bar.addPermanentWidget(QLabel(format_jalali_date(utc_now().date(), lang), self))

    # --- what the actions do ------------------------------------------------------------

    def new_request(self) -> None:
        self.tabs.setCurrentWidget(self.form)
        if self.form.correcting is None and self.form.has_input():
            if not self.confirm_discard():
                return
        self.form.new_request()

    def show_queue(self) -> None:
        self.tabs.setCurrentWidget(self.queue)
        self.queue.setFocus()

    def search_queue(self) -> None:
        self.tabs.setCurrentWidget(self.queue)
        self.queue.focus_search()

    def show_attention(self) -> None:
        self.tabs.setCurrentWidget(self.queue)
        self.queue.show_attention()

    def print_last(self) -> None:
        saved = self.form.last_saved
        if saved is not None:
            self.print_request(saved.id)

    def print_request(self, request_id: str) -> None:
        from ui.printing import print_receipt  # Qt's print support: loaded when first used

        try:
            print_receipt(self, self._ctx, request_id)
        except Exception as exc:  # a printer problem must not lose the window
            show_error(self, exc, self._lang)

    def sync_now(self) -> None:
        sync = self._ctx.sync
        if sync is None:
            self.statusBar().showMessage(
                self.tr("This PC is not connected to a central server yet."), 5000
            )
            return
        sync.sync_now()
        self.statusBar().showMessage(self.tr("Sending…"), 3000)

    def day_close(self) -> None:
        from ui.dayclose_dialog import DayCloseDialog  # loaded when first opened

        dialog = DayCloseDialog(self._ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def manage_clerks(self) -> None:
        dialog = ClerksDialog(self._ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def enrol(self) -> None:
        """The manager connects this PC to the central server (or again, after a revoke)."""
        clerk = self._ctx.clerk
        if clerk is None or not clerk.is_manager:
            return
        from ui.enrol_dialog import EnrolDialog  # network code: loaded when first needed

        dialog = EnrolDialog(self._ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.enrolled.connect(lambda _result: self._listen_to_sync())
        dialog.open()

    def open_settings(self) -> None:
        """The manager's settings: the receipt printer, its paper, what Ctrl+P does."""
        clerk = self._ctx.clerk
        if clerk is None or not clerk.is_manager:
            return
        from ui.settings_dialog import SettingsDialog  # Qt's print support: when first used

        dialog = SettingsDialog(self._ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(
            lambda: self.statusBar().showMessage(self.tr("The settings were saved."), 5000)
        )
        dialog.open()

    def change_password(self) -> None:
        clerk = self._ctx.clerk
        if clerk is None:
            return
        dialog = PasswordDialog(self._ctx, clerk, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.passwordChanged.connect(
            lambda _clerk: self.statusBar().showMessage(self.tr("Your password was changed."), 8000)
        )
        dialog.open()

    def about(self) -> None:
        dialog = AboutDialog(self._ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def change_language(self, lang: str) -> None:
        if lang == self._lang:
            return
        if self.form.has_input() and not self.confirm_discard():
            self.language_actions[self._lang].setChecked(True)
            return
        self.languageRequested.emit(lang)

    def logout(self) -> None:
        if self.form.has_input() and not self.confirm_discard():
            return
        self.logoutRequested.emit()

    def _saved(self, saved: SavedRequest) -> None:
        # The queue, the banner and the sync follow the save by themselves (the form's
        # write announces REQUEST_SAVED on the worker): this window only says it.
        self.act_print.setEnabled(True)
        self.statusBar().showMessage(
            self.tr("Saved %1").replace("%1", identifier(saved.reference, self._lang)), 8000
        )

    def confirm_discard(self) -> bool:
        answer = QMessageBox.question(
            self,
            self.tr("Pishkhan"),
            self.tr("The form has unsaved entries. Leave them?"),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def close_for_good(self) -> None:
        """Close without asking (logout, language switch, shutdown already asked)."""
        self._force_close = True
        self.banner.stop()
        self._remember_placement()
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._force_close and self.form.has_input() and not self.confirm_discard():
            event.ignore()
            return
        self.banner.stop()
        event.accept()
        if not self._force_close:
            self._remember_placement()
            self.closedByUser.emit()
