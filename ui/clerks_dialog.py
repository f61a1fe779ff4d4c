"""The office's accounts: the manager's list (add, disable or enable, set a password) and
the password window, for the manager resetting a clerk's password and for anyone changing
their own (which asks for the current one first).

Accounts are never deleted: every request names the clerk who saved it.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.clerks import (
    CLERK,
    MANAGER,
    MIN_PASSWORD_LENGTH,
    ClerkInfo,
    LoginFailed,
    password_text,
)
from rules.errors import UserFacingError
from ui.context import AppContext
from ui.errors import show_error
from ui.theme import configure_table, digits, heading_font, isolate, set_flag, set_role


class ClerksDialog(QDialog):
    """Manager only (the core refuses anyone else, the menu hides it from them)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._lang = ctx.lang
        self._clerks: list[ClerkInfo] = []
        self.setObjectName("clerksDialog")
        self.setWindowTitle(self.tr("Office accounts"))
        self.resize(640, 480)

        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(
            [self.tr("User name"), self.tr("Name"), self.tr("Role"), self.tr("Status")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        configure_table(self.table)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.toggle = QPushButton(self.tr("Disable"), self)
        self.toggle.setObjectName("toggleActive")
        self.toggle.setEnabled(False)
        self.toggle.clicked.connect(self._toggle_active)
        self.reset_password = QPushButton(self.tr("Set password…"), self)
        self.reset_password.setObjectName("resetPassword")
        self.reset_password.setEnabled(False)
        self.reset_password.clicked.connect(self.set_password)
        self.notice = QLabel(self)
        self.notice.setObjectName("clerksNotice")
        self.notice.setWordWrap(True)
        set_role(self.notice, "note")
        self.notice.hide()
        self.password_dialog: PasswordDialog | None = None

        self.username = QLineEdit(self)
        self.username.setObjectName("newUsername")
        self.display_name = QLineEdit(self)
        self.display_name.setObjectName("newName")
        self.password = QLineEdit(self)
        self.password.setObjectName("newPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(
            self.tr("At least %1 characters").replace(
                "%1", digits(str(MIN_PASSWORD_LENGTH), self._lang)
            )
        )
        self.role = QComboBox(self)
        self.role.addItem(self.tr("Clerk"), CLERK)
        self.role.addItem(self.tr("Manager"), MANAGER)
        self.add_button = QPushButton(self.tr("Add account"), self)
        self.add_button.setObjectName("addClerk")
        set_flag(self.add_button, "primary", True)
        self.add_button.clicked.connect(self._add)
        self.error = QLabel(self)
        self.error.setObjectName("clerksError")
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        self.error.hide()

        add_group = QGroupBox(self.tr("New account"), self)
        form = QFormLayout(add_group)
        form.addRow(self.tr("User name"), self.username)
        form.addRow(self.tr("Full name"), self.display_name)
        form.addRow(self.tr("Password"), self.password)
        form.addRow(self.tr("Role"), self.role)
        form.addRow(self.error)
        form.addRow(self.add_button)
        # The message answers what was typed: it goes once the manager changes it.
        for edit in (self.username, self.display_name, self.password):
            edit.textEdited.connect(self.error.hide)
        self.role.currentIndexChanged.connect(self.error.hide)

        close = QPushButton(self.tr("Close"), self)
        close.setAutoDefault(False)
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(self.toggle)
        row.addWidget(self.reset_password)
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.notice)
        layout.addWidget(add_group)
        self.password.returnPressed.connect(self._add)
        self.reload()

    def reload(self) -> None:
        clerks = self._ctx.clerks
        self._ctx.worker.submit(clerks.list, self._show_clerks, self._failed)

    def _show_clerks(self, clerks: list[ClerkInfo]) -> None:
        self._clerks = clerks
        self.table.clearSelection()
        self.table.setRowCount(len(clerks))
        for row, clerk in enumerate(clerks):
            role = self.tr("Manager") if clerk.is_manager else self.tr("Clerk")
            status = self.tr("Active") if clerk.active else self.tr("Disabled")
            for col, text in enumerate((clerk.username, clerk.display_name, role, status)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, clerk.id)
                if not clerk.active:
                    item.setForeground(Qt.GlobalColor.gray)
                self.table.setItem(row, col, item)
        self._selection_changed()

    def clerks(self) -> list[ClerkInfo]:
        return list(self._clerks)

    def _selected(self) -> ClerkInfo | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self._clerks[rows[0].row()]

    def select(self, username: str) -> None:
        for row, clerk in enumerate(self._clerks):
            if clerk.username == username:
                # Through the selection model: selectRow() reads modifiers off the
                # last input event and may toggle instead of select.
                flags = (
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows
                )
                self.table.selectionModel().select(self.table.model().index(row, 0), flags)
        self._selection_changed()

    def _selection_changed(self) -> None:
        clerk = self._selected()
        me = self._ctx.clerk
        someone_else = clerk is not None and (me is None or clerk.id != me.id)
        self.toggle.setEnabled(someone_else)
        # One's own password is changed from the main menu, where the current one is asked.
        self.reset_password.setEnabled(someone_else)
        if clerk is not None:
            self.toggle.setText(self.tr("Disable") if clerk.active else self.tr("Enable"))

    def _toggle_active(self) -> None:
        clerk = self._selected()
        me = self._ctx.clerk
        if clerk is None or me is None:
            return
        directory = self._ctx.clerks
        self._ctx.worker.submit(
            lambda: directory.set_active(me, clerk.id, not clerk.active),
            lambda _info: self.reload(),
            self._failed,
        )

    def set_password(self) -> None:
        """The manager sets a new password for the selected clerk (a forgotten one)."""
        clerk = self._selected()
        me = self._ctx.clerk
        if clerk is None or me is None or clerk.id == me.id:
            return
        dialog = PasswordDialog(self._ctx, clerk, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.passwordChanged.connect(self._password_set)
        dialog.destroyed.connect(self._password_dialog_gone)
        self.password_dialog = dialog
        dialog.open()

    def _password_dialog_gone(self) -> None:
        self.password_dialog = None

    def _password_set(self, clerk: ClerkInfo) -> None:
        self.notice.setText(
            isolate(
                self.tr("New password set for %1 (%2). Any lock on the account is lifted.")
                .replace("%1", clerk.display_name)
                .replace("%2", clerk.username),
                self._lang,
            )
        )
        self.notice.show()

    def _add(self) -> None:
        me = self._ctx.clerk
        if me is None:
            return
        username = self.username.text()
        display_name = self.display_name.text()
        password = password_text(self.password.text())
        role = str(self.role.currentData())
        directory = self._ctx.clerks
        self.add_button.setEnabled(False)
        self._ctx.worker.submit(
            lambda: directory.add_clerk(me, username, display_name, password, role),
            self._added,
            self._failed,
        )

    def _added(self, clerk: ClerkInfo) -> None:
        self.add_button.setEnabled(True)
        self.error.hide()
        for edit in (self.username, self.display_name, self.password):
            edit.clear()
        self.username.setFocus()
        self.reload()

    def _failed(self, exc: BaseException) -> None:
        self.add_button.setEnabled(True)
        if isinstance(exc, UserFacingError):
            self.error.setText(exc.message.text(self._lang))
            self.error.show()
            return
        show_error(self, exc, self._lang)


class PasswordDialog(QDialog):
    """A new password for ``target``: one's own (the current password is asked and checked
    first) or, by the manager, a clerk's. Emits ``passwordChanged(ClerkInfo)`` and accepts.
    """

    passwordChanged = Signal(object)

    def __init__(self, ctx: AppContext, target: ClerkInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._lang = ctx.lang
        self._target = target
        self._busy = False
        me = ctx.clerk
        self.own = me is not None and me.id == target.id
        self.setObjectName("passwordDialog")
        self.setMinimumWidth(420)
        if self.own:
            self.setWindowTitle(self.tr("Change my password"))
            heading = self.tr("Change my password")
        else:
            self.setWindowTitle(self.tr("Set a new password"))
            heading = self.tr("New password for %1").replace("%1", target.display_name)
        title = QLabel(isolate(heading, self._lang), self)
        title.setFont(heading_font(self.font(), grow=2))
        set_role(title, "heading")
        who = QLabel(
            isolate(self.tr("Account: %1").replace("%1", target.username), self._lang), self
        )
        set_role(who, "help")

        self.current = QLineEdit(self)
        self.current.setObjectName("currentPassword")
        self.new = QLineEdit(self)
        self.new.setObjectName("newPassword")
        self.new.setPlaceholderText(
            self.tr("At least %1 characters").replace(
                "%1", digits(str(MIN_PASSWORD_LENGTH), self._lang)
            )
        )
        self.repeat = QLineEdit(self)
        self.repeat.setObjectName("repeatPassword")
        for edit in (self.current, self.new, self.repeat):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        if self.own:
            form.addRow(self.tr("Current password"), self.current)
        else:
            self.current.hide()
        form.addRow(self.tr("New password"), self.new)
        form.addRow(self.tr("New password again"), self.repeat)

        self.error = QLabel(self)
        self.error.setObjectName("passwordError")
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        self.error.hide()
        for edit in (self.current, self.new, self.repeat):
            edit.textEdited.connect(self.error.hide)

        self.ok_button = QPushButton(
            self.tr("Change password") if self.own else self.tr("Set password"), self
        )
        self.ok_button.setObjectName("passwordOk")
        set_flag(self.ok_button, "primary", True)
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self.submit)
        cancel = QPushButton(self.tr("Cancel"), self)
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.ok_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(who)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        (self.current if self.own else self.new).setFocus()

    @property
    def busy(self) -> bool:
        return self._busy

    def submit(self) -> None:
        me = self._ctx.clerk
        if self._busy or me is None:
            return
        current = password_text(self.current.text())
        new = password_text(self.new.text())
        if self.own and not current:
            self._fail(self.tr("Enter your current password."), self.current)
            return
        if new != password_text(self.repeat.text()):
            self._fail(self.tr("The two new passwords differ; type them again."), self.new)
            return
        directory = self._ctx.clerks
        target = self._target
        own = self.own

        def change() -> None:
            if own:  # the core does not ask; the window does: a clerk left logged in
                directory.authenticate(me.username, current)
            directory.change_password(me, target.id, new)

        self._set_busy(True)
        self._ctx.worker.submit(change, self._changed, self._failed)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in (self.current, self.new, self.repeat, self.ok_button):
            widget.setEnabled(not busy)

    def _changed(self, _none: object) -> None:
        self._set_busy(False)
        self.passwordChanged.emit(self._target)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, LoginFailed):
            self._fail(self.tr("The current password is not right."), self.current)
            return
        if isinstance(exc, UserFacingError):
            self._fail(exc.message.text(self._lang), self.new)
            return
        show_error(self, exc, self._lang)

    def _fail(self, text: str, field: QLineEdit) -> None:
        self.error.setText(text)
        self.error.show()
        field.clear()
        if field is self.new:
            self.repeat.clear()
        field.setFocus()
