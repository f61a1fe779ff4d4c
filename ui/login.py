"""The login window: user name and password, checked off the GUI thread.

A wrong password or a locked account is said in plain words under the
fields (the core's messages), the password is cleared and the cursor put
back in it. User names and passwords take either digit set.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.clerks import ClerkInfo
from desktop.clerks import password_text as core_password_text
from desktop.errors import UserFacingError
from ui.context import AppContext
from ui.errors import show_error
from ui.theme import (
    dialog_buttons,
    digits,
    heading_font,
    isolate,
    resource_path,
    set_role,
)

# The core normalises passwords itself (desktop.clerks.password_text); kept as a name here.
password_text = core_password_text


class LoginDialog(QDialog):
    """Emits ``loggedIn(ClerkInfo)`` and accepts when the credentials are right."""

    loggedIn = Signal(object)

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, *, demo_hint: str = ""
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._lang = ctx.lang
        self._busy = False
        self.setObjectName("loginDialog")
        self.setWindowTitle(self.tr("Pishkhan — log in"))
        self.setMinimumWidth(420)

        logo = QLabel(self)
        pixmap = QPixmap(str(resource_path("icons", "pishkhan.png")))
        if not pixmap.isNull():
            logo.setPixmap(pixmap.scaled(64, 64, Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.SmoothTransformation))
        title = QLabel(self.tr("Pishkhan"), self)
        title.setFont(heading_font(self.font(), grow=6))
        set_role(title, "heading")
        office = QLabel(self)
        office.setObjectName("loginOffice")
        set_role(office, "help")
        device = ctx.device
        if device is not None:
            office.setText(isolate(
                self.tr("%1 — counter %2").replace("%1", device.office_name)
                .replace("%2", digits(str(device.counter_no), self._lang)), self._lang
            ))
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
        form = QFormLayout()
        form.addRow(self.tr("User name"), self.username)
        form.addRow(self.tr("Password"), self.password)

        self.error = QLabel(self)
        self.error.setObjectName("loginError")
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        self.error.hide()
        self.hint = QLabel(demo_hint, self)
        set_role(self.hint, "help")
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
        layout.addWidget(self.hint)
        layout.addLayout(buttons)
        self.username.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.try_login)
        self.username.setFocus()

    @property
    def busy(self) -> bool:
        return self._busy

    def try_login(self) -> None:
        if self._busy:
            return
        username = self.username.text().strip()
        password = password_text(self.password.text())
        if not username or not password:
            self._fail(self.tr("Enter your user name and password."))
            (self.username if not username else self.password).setFocus()
            return
        self._set_busy(True)
        clerks = self._ctx.clerks
        self._ctx.worker.submit(
            lambda: clerks.authenticate(username, password), self._succeeded, self._failed
        )

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in (self.username, self.password, self.login_button):
            widget.setEnabled(not busy)

    def _succeeded(self, clerk: ClerkInfo) -> None:
        self._set_busy(False)
        self.error.hide()
        self.loggedIn.emit(clerk)
        self.accept()

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
