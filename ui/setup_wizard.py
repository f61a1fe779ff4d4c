"""First start on a new PC: the office, this counter, and the office manager's account.

One page with two parts, so the person setting the PC up sees everything it
asks at once. The set-up is ``desktop.office.set_up`` (the ``init`` command's
too): every value is checked before anything is written and everything is
written in one transaction, so a refusal (a short password) leaves nothing
behind and each refused value is shown in its part. A PC an older program left
half set up (office, no account) shows its office part filled in and locked.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.clerks import MIN_PASSWORD_LENGTH, password_text
from desktop.office import (
    MANAGER_KEYS,
    OFFICE_KEYS,
    SetupFailed,
    SetupForm,
    SetupResult,
    set_up,
)
from rules.errors import UserFacingError
from ui.context import AppContext
from ui.errors import show_error
from ui.form_fields import show_digits_as_typed
from ui.theme import dialog_buttons, digits, heading_font, set_role


class SetupWizard(QDialog):
    """Emits ``completed(DeviceInfo, ClerkInfo)`` once the office and manager exist."""

    completed = Signal(object, object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._lang = ctx.lang
        self._busy = False
        self._recovery: str | None = None  # made on the worker by the set-up, shown once
        self.recovery_window: QDialog | None = None
        self.setObjectName("setupWizard")
        self.setWindowTitle(self.tr("Pishkhan — setting up this PC"))
        self.setMinimumWidth(520)

        title = QLabel(self.tr("Welcome to Pishkhan"), self)
        title.setFont(heading_font(self.font(), grow=5))
        set_role(title, "heading")
        intro = QLabel(
            self.tr(
                "This PC is not set up yet. Enter the office's details and create the "
                "office manager's account; the manager then adds the clerks."
            ),
            self,
        )
        intro.setWordWrap(True)

        self.office_code = QLineEdit(self)
        self.office_code.setObjectName("officeCode")
        self.office_code.setPlaceholderText(digits("1234", self._lang))
        self.office_name = QLineEdit(self)
        self.office_name.setObjectName("officeName")
        self.counter_no = QLineEdit(self)
        self.counter_no.setObjectName("counterNo")
        self.counter_no.setPlaceholderText(digits("1", self._lang))
        office = QGroupBox(self.tr("Office and counter"), self)
        office_form = QFormLayout(office)
        office_form.addRow(self.tr("Office code"), self.office_code)
        office_form.addRow(self.tr("Office name"), self.office_name)
        office_form.addRow(self.tr("Counter number of this PC"), self.counter_no)
        self.office_error = self._error_label("officeError")
        office_form.addRow(self.office_error)
        self.office_group = office

        self.username = QLineEdit(self)
        self.username.setObjectName("managerUsername")
        self.display_name = QLineEdit(self)
        self.display_name.setObjectName("managerName")
        self.password = QLineEdit(self)
        self.password.setObjectName("managerPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_again = QLineEdit(self)
        self.password_again.setObjectName("managerPasswordAgain")
        self.password_again.setEchoMode(QLineEdit.EchoMode.Password)
        manager = QGroupBox(self.tr("Office manager's account"), self)
        manager_form = QFormLayout(manager)
        manager_form.addRow(self.tr("User name"), self.username)
        manager_form.addRow(self.tr("Full name"), self.display_name)
        manager_form.addRow(self.tr("Password"), self.password)
        manager_form.addRow(self.tr("Password again"), self.password_again)
        hint = QLabel(
            self.tr("At least %1 characters.").replace(
                "%1", digits(str(MIN_PASSWORD_LENGTH), self._lang)
            ),
            self,
        )
        set_role(hint, "help")
        manager_form.addRow(hint)
        self.manager_error = self._error_label("managerError")
        manager_form.addRow(self.manager_error)

        _align_labels(office_form, manager_form)
        # An error answers what was typed before: it goes once its part is edited
        # (issue 14, item 2), as in the account and login dialogs.
        for edit in (self.office_code, self.office_name, self.counter_no):
            edit.textEdited.connect(self.office_error.hide)
        # Digits show in the language's set whichever keyboard typed them, as in the form.
        for edit in (self.office_code, self.counter_no):
            edit.textEdited.connect(lambda _t, e=edit: show_digits_as_typed(e, self._lang))
        for edit in (self.username, self.display_name, self.password, self.password_again):
            edit.textEdited.connect(self.manager_error.hide)

        buttons, self.finish = dialog_buttons(
            self, self.tr("Set up"), "setupButton", self.tr("Quit")
        )
        self.finish.clicked.connect(self.submit)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(office)
        layout.addWidget(manager)
        layout.addLayout(buttons)

        device = ctx.device
        if device is not None:
            # Set up before, but the manager's account was never made: only that is left.
            self.office_code.setText(digits(device.office_code, self._lang))
            self.office_name.setText(device.office_name)
            self.counter_no.setText(digits(str(device.counter_no), self._lang))
            office.setEnabled(False)
            self.username.setFocus()
        else:
            self.office_code.setFocus()

    def _error_label(self, name: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        label.setWordWrap(True)
        set_role(label, "error")
        label.hide()
        return label

    @property
    def busy(self) -> bool:
        return self._busy

    def submit(self) -> None:
        if self._busy:
            return
        self.office_error.hide()
        self.manager_error.hide()
        password = password_text(self.password.text())
        if password != password_text(self.password_again.text()):
            self._show(self.manager_error, self.tr("The two passwords are not the same."))
            self.password_again.clear()
            self.password_again.setFocus()
            return
        form = SetupForm(
            office_code=self.office_code.text(),
            office_name=self.office_name.text(),
            counter_no=self.counter_no.text(),
            manager_username=self.username.text(),
            manager_name=self.display_name.text(),
            password=password,
        )
        store = self._ctx.store
        clerks = self._ctx.clerks

        queries = self._ctx.queries

        def job() -> SetupResult:
            from desktop.keyslots_setup import encrypt_store

            result = set_up(store, form, directory=clerks)
            # Encrypted before any citizen's data arrives (docs/SECURITY.md).
            queries.close()
            self._recovery = encrypt_store(store, result.manager, form.password)
            return result

        self._set_busy(True)
        self._ctx.worker.submit(job, self._done, self._failed)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.finish.setEnabled(not busy)

    def _done(self, result: SetupResult) -> None:
        self._set_busy(False)
        if self._recovery is not None:
            from desktop.keyslots_setup import confirm_recovery_seen
            from ui.recovery_key import confirm_on_worker, show_recovery_key

            data_dir = self._ctx.data_dir
            self.recovery_window = show_recovery_key(
                self._recovery,
                self._lang,
                on_confirmed=confirm_on_worker(
                    self._ctx.worker,
                    lambda shown: confirm_recovery_seen(data_dir, shown),
                    self._recovery,
                ),
            )
            self._recovery = None
        self._ctx.device = result.device
        self.completed.emit(result.device, result.manager)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, SetupFailed):  # nothing was written: each part shows its own
            office = [m.text(self._lang) for k, m in exc.problems.items() if k in OFFICE_KEYS]
            manager = [m.text(self._lang) for k, m in exc.problems.items() if k in MANAGER_KEYS]
            whole = [m.text(self._lang) for k, m in exc.problems.items() if k == "set_up"]
            if office or whole:
                self._show(self.office_error, "\n".join(whole + office))
            if manager:
                self._show(self.manager_error, "\n".join(manager))
            first = next(iter(exc.problems))
            focus = {
                "office_code": self.office_code,
                "office_name": self.office_name,
                "counter_no": self.counter_no,
                "username": self.username,
                "display_name": self.display_name,
                "password": self.password,
            }.get(first)
            if focus is not None and focus.isEnabled():
                focus.setFocus()
        elif isinstance(exc, UserFacingError):
            self._show(self.manager_error, exc.message.text(self._lang))
            self.username.setFocus()
        else:
            show_error(self, exc, self._lang)

    @staticmethod
    def _show(label: QLabel, text: str) -> None:
        label.setText(text)
        label.show()


def _align_labels(*forms: QFormLayout) -> None:
    """One label column width for both parts, so their fields line up."""
    labels: list[QWidget] = []
    for form in forms:
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            widget = item.widget() if item is not None else None
            if widget is not None:
                labels.append(widget)
    width = max((label.sizeHint().width() for label in labels), default=0)
    for label in labels:
        label.setMinimumWidth(width)
