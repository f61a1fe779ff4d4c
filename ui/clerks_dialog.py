"""The manager's list of the office's accounts: add a clerk, disable or enable one.

Accounts are never deleted: every request names the clerk who saved it.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt
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

from desktop.clerks import CLERK, MANAGER, MIN_PASSWORD_LENGTH, ClerkInfo
from desktop.errors import UserFacingError
from ui.context import AppContext
from ui.errors import show_error
from ui.login import password_text
from ui.theme import configure_table, digits, set_flag, set_role


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
            [self.tr("User name"), self.tr("Name"), self.tr("Role"), self.tr("Status")])
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

        self.username = QLineEdit(self)
        self.username.setObjectName("newUsername")
        self.display_name = QLineEdit(self)
        self.display_name.setObjectName("newName")
        self.password = QLineEdit(self)
        self.password.setObjectName("newPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("At least %1 characters").replace(
            "%1", digits(str(MIN_PASSWORD_LENGTH), self._lang)))
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

        close = QPushButton(self.tr("Close"), self)
        close.setAutoDefault(False)
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(self.toggle)
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
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
                flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect
                         | QItemSelectionModel.SelectionFlag.Rows)
                self.table.selectionModel().select(self.table.model().index(row, 0), flags)
        self._selection_changed()

    def _selection_changed(self) -> None:
        clerk = self._selected()
        me = self._ctx.clerk
        self.toggle.setEnabled(clerk is not None and (me is None or clerk.id != me.id))
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
            lambda _info: self.reload(), self._failed,
        )

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
            self._added, self._failed,
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
