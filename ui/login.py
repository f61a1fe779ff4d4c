"""The login window: user name and password, checked off the GUI thread.

A wrong password or a locked account is said in plain words under the
fields (the core's messages), the password is cleared and the cursor put
back in it. User names and passwords take either digit set.

The window needs no open store (``LoginAccess``): at start it is shown while
the store is still being opened on the worker thread, and a login typed in
the meantime simply waits its turn on that thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QLocale, Signal
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from rules.errors import UserFacingError
from rules.messages import Message
from ui.errors import show_error
from ui.theme import (
    dialog_buttons,
    digits,
    heading_font,
    isolate,
    resource_path,
    set_role,
)
from ui.worker import Worker

LOGO_FILE = "pishkhan-logo@2x.png"

if TYPE_CHECKING:
    from desktop.clerks import ClerkInfo
    from ui.context import AppContext


ENCRYPTING = Message(
    fa="در حال ورود… ورود مدیر دفتر در این نسخه یک بار پایگاه داده را رمزگذاری می‌کند؛ روی "
    "پایگاه دادهٔ بزرگ چند دقیقه طول می‌کشد. برنامه را نبندید.",
    en="Logging in… The office manager's first login on this version encrypts the database, "
    "once; on a large one it takes a few minutes. Do not close the program.",
)

# The short names a clerk knows from the Windows language bar.
_LAYOUT_NAMES = {"fa": "فا", "en": "EN", "ar": "عر"}


def keyboard_layout_text(locale: QLocale) -> str:
    """The input language as the language bar shows it: «فا», "EN"."""
    language = locale.name().split("_")[0]
    return _LAYOUT_NAMES.get(language, language.upper()[:3] or "?")


@dataclass(frozen=True)
class LoginAccess:
    """What the login window needs. ``authenticate(username, typed_password)`` runs on
    ``worker`` (``ClerkDirectory.authenticate``, which reads either digit set; on an
    encrypted store not yet open, the password first unlocks the data key).

    On the GUI thread, once a login succeeded: ``before_login()`` (the store opened by
    that login handed to the windows), then ``recovery_key()``: the key to show the
    manager once if that login turned encryption on (or made a new one for a key never
    shown), else None; ``recovery_seen(key)`` runs on ``worker`` once the manager has
    confirmed they wrote it down.
    """

    lang: str
    worker: Worker
    authenticate: Callable[[str, str], ClerkInfo]
    office_name: str | None = None
    counter_no: int | None = None
    before_login: Callable[[], None] | None = None
    recovery_key: Callable[[], str | None] | None = None
    recovery_seen: Callable[[str], object] | None = None
    # The store is still plain (a PC set up by an older program): a manager's login
    # encrypts it, once, which can take minutes on a big store; the window says so.
    may_encrypt: bool = False

    @classmethod
    def of(cls, ctx: AppContext) -> LoginAccess:
        """The access of an opened store's context (after a logout, in tests)."""
        from desktop.keyslots_setup import ProtectingLogin  # the store is open: loaded

        device = ctx.device
        from desktop.keyslots import is_encrypted

        login = ProtectingLogin(ctx.clerks, ctx.store, before_encrypt=ctx.queries.close)
        return cls(
            ctx.lang,
            ctx.worker,
            login,
            device.office_name if device is not None else None,
            device.counter_no if device is not None else None,
            recovery_key=login.take_recovery_key,
            recovery_seen=login.recovery_seen,
            may_encrypt=not ctx.store.encrypted and not is_encrypted(ctx.store.path.parent),
        )


class LoginDialog(QDialog):
    """Emits ``loggedIn(ClerkInfo)`` and accepts when the credentials are right."""

    loggedIn = Signal(object)

    def __init__(
        self, access: LoginAccess, parent: QWidget | None = None, *, demo_hint: str = ""
    ) -> None:
        super().__init__(parent)
        self._access = access
        self._lang = access.lang
        self._busy = False
        self.recovery_window: QDialog | None = None  # kept while the manager reads it
        self.setObjectName("loginDialog")
        self.setWindowTitle(self.tr("Pishkhan — log in"))
        self.setMinimumWidth(420)

        logo = QLabel(self)
        # Drawn at 128 px for 64 logical px (installer/make_icon.py): nothing to scale.
        pixmap = QPixmap(str(resource_path("icons", LOGO_FILE)))
        if not pixmap.isNull():
            pixmap.setDevicePixelRatio(2.0)
            logo.setPixmap(pixmap)
        title = QLabel(self.tr("Pishkhan"), self)
        title.setFont(heading_font(self.font(), grow=6))
        set_role(title, "heading", restyle=False)
        office = QLabel(self)
        office.setObjectName("loginOffice")
        set_role(office, "help", restyle=False)
        if access.office_name is not None:
            office.setText(
                isolate(
                    self.tr("%1 — counter %2")
                    .replace("%1", access.office_name)
                    .replace("%2", digits(str(access.counter_no), self._lang)),
                    self._lang,
                )
            )
        heading = QVBoxLayout()
        heading.addWidget(title)
        heading.addWidget(office)
        top = QHBoxLayout()
        top.addWidget(logo)
        top.addLayout(heading, 1)

        self.username = QLineEdit(self)
        self.username.setObjectName("username")
        self.password = QLineEdit(self)
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        # The password is typed blind: say which keyboard layout the keys are in now.
        self.keyboard_layout = QLabel(self)
        self.keyboard_layout.setObjectName("keyboardLayout")
        self.keyboard_layout.setToolTip(self.tr("Keyboard layout (the language keys type in)"))
        set_role(self.keyboard_layout, "note", restyle=False)
        password_row = QHBoxLayout()
        password_row.addWidget(self.password, 1)
        password_row.addWidget(self.keyboard_layout)
        form = QFormLayout()
        form.addRow(self.tr("User name"), self.username)
        form.addRow(self.tr("Password"), password_row)
        input_method = QGuiApplication.inputMethod()
        input_method.localeChanged.connect(self._show_keyboard_layout)
        self._show_keyboard_layout()

        self.error = QLabel(self)
        self.error.setObjectName("loginError")
        self.error.setWordWrap(True)
        set_role(self.error, "error", restyle=False)
        self.error.hide()
        self.notice = QLabel(ENCRYPTING.text(self._lang), self)  # while a login may encrypt
        self.notice.setObjectName("loginNotice")
        self.notice.setWordWrap(True)
        set_role(self.notice, "help", restyle=False)
        self.notice.hide()
        self.hint = QLabel(demo_hint, self)
        set_role(self.hint, "help", restyle=False)
        self.hint.setVisible(bool(demo_hint))

        buttons, self.login_button = dialog_buttons(
            self, self.tr("Log in"), "loginButton", self.tr("Quit")
        )
        self.login_button.clicked.connect(self.try_login)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addLayout(top)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.notice)
        layout.addWidget(self.hint)
        layout.addLayout(buttons)
        for edit in (self.username, self.password):
            edit.textEdited.connect(self.error.hide)  # it answered what was typed before
        self.username.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.try_login)
        self.username.setFocus()

    def _show_keyboard_layout(self) -> None:
        self.keyboard_layout.setText(keyboard_layout_text(QGuiApplication.inputMethod().locale()))

    @property
    def busy(self) -> bool:
        return self._busy

    def try_login(self) -> None:
        if self._busy:
            return
        username = self.username.text().strip()
        password = self.password.text()
        if not username or not password:
            self._fail(self.tr("Enter your user name and password."))
            (self.username if not username else self.password).setFocus()
            return
        self._set_busy(True)
        self.error.hide()
        self.notice.setVisible(self._access.may_encrypt)
        authenticate = self._access.authenticate
        self._access.worker.submit(
            lambda: authenticate(username, password), self._succeeded, self._failed
        )

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        if not busy:
            self.notice.hide()
        for widget in (self.username, self.password, self.login_button):
            widget.setEnabled(not busy)

    def _succeeded(self, clerk: ClerkInfo) -> None:
        self._set_busy(False)
        self.error.hide()
        self._access = replace(self._access, may_encrypt=False)  # done, or not a manager's
        if self._access.before_login is not None:
            self._access.before_login()
        recovery = self._access.recovery_key() if self._access.recovery_key else None
        if recovery is not None:
            from ui.recovery_key import show_recovery_key  # once per PC

            self.recovery_window = show_recovery_key(
                recovery, self._lang, on_confirmed=self._recovery_confirmed(recovery)
            )
        self.loggedIn.emit(clerk)
        self.accept()

    def _recovery_confirmed(self, recovery: str) -> Callable[[], None] | None:
        from ui.recovery_key import confirm_on_worker

        seen = self._access.recovery_seen
        return None if seen is None else confirm_on_worker(self._access.worker, seen, recovery)

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, UserFacingError):
            self._fail(exc.message.text(self._lang))
            self.password.clear()
            self.password.setFocus()
            return
        show_error(self, exc, self._lang)

    def _fail(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
