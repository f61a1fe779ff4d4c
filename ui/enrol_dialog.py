"""The manager's "Connect to the central server" window: enrol this PC with a one-time code.

The enrolment itself is ``desktop.synccli.Enrolment`` (the same code as ``python -m desktop
enrol``); this module owns the window around it: the server address (prefilled from the
settings), the one-time code as the clerk types it (Persian digits, spaces, dashes, even
letters typed with the Persian keyboard layout on), an optional CA bundle file, and the
call itself on a thread of its own — it is network work, so the GUI thread never waits on
it, and the database worker never carries it. A busy bar and Cancel while it runs; the
failure in plain words (``synccli.enrol_failure``); on success the sync adapter is
replaced by one for the new enrolment (automatic rounds start at once) and the office's
name as the central server knows it is shown.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.changes import ENROLLED
from desktop.synccli import Enrolment, EnrolResult, enrol_failure
from rules.normalize import to_ascii_digits
from ui.context import AppContext, attach_sync
from ui.errors import show_error
from ui.keyboard import PERSIAN_KEYS
from ui.theme import digits, heading_font, isolate, set_flag, set_role

log = logging.getLogger("pishkhan.ui")

# Enrolment is one small call: a dead line is told sooner than a sync round would wait.
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 20.0

# Codes are Latin capitals and digits; a counter PC's keyboard is usually on the Persian
# layout. A letter typed "in Persian" is read as the letter on its key (ui.keyboard), so
# a code typed with the Persian layout on still reads as the code on the paper.
_PERSIAN_KEYS = str.maketrans({k: v for k, v in PERSIAN_KEYS.items() if v.isalpha()})
# Spaces, every dash, tatweel, ZWNJ and direction marks: what a code is written or pasted with.
_CODE_SEPARATORS = re.compile(r"[\s\-‐-―−ـ\u200c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CODE_CHARS = re.compile(r"[A-Z0-9]+")


def normalize_code(typed: str) -> str:
    """The code as the server reads it: ASCII capitals and digits, no separators."""
    text = to_ascii_digits(typed).translate(_PERSIAN_KEYS)
    return _CODE_SEPARATORS.sub("", text).upper()


def grouped(code: str) -> str:
    """``ABCDEFGHJKLM`` → ``ABCD-EFGH-JKLM``, as the code is printed."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize_server_url(typed: str) -> str:
    """Persian digits made ASCII, no spaces; ``https://`` added when no scheme was typed."""
    url = re.sub(r"\s", "", to_ascii_digits(typed)).rstrip("/")
    if url and "://" not in url:
        url = "https://" + url
    return url


def _isolated(name: str) -> str:
    """A name laid out in its own direction, whatever the sentence around it."""
    return "\u2068" + name + "\u2069"


def reattach_sync(ctx: AppContext) -> None:
    """Replace the sync adapter (if any) with one for the enrolment just made.

    The old one was built for the old address, certificate and token; it is stopped
    (its call in flight is aborted, so this is quick) before the new one starts.
    """
    old = ctx.sync
    if old is not None:
        ctx.sync = None
        old.stop()
    attach_sync(ctx)
    ctx.worker.announce(ENROLLED)


class _Relay(QObject):
    """Lives in the GUI thread; carries the enrolment's outcome back to it."""

    done = Signal(object, object)  # EnrolResult | None, BaseException | None


class EnrolDialog(QDialog):
    """Emits ``enrolled(EnrolResult)`` once the PC is enrolled and the sync re-attached."""

    enrolled = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        attach: Callable[[AppContext], None] = reattach_sync,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        read_timeout_s: float = READ_TIMEOUT_S,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._lang = ctx.lang
        self._attach = attach
        self._timeouts = (connect_timeout_s, read_timeout_s)
        self._enrolment: Enrolment | None = None
        self._thread: threading.Thread | None = None
        self._cancelling = False
        self.result_info: EnrolResult | None = None
        self._relay = _Relay(self)
        self._relay.done.connect(self._finished)
        self.setObjectName("enrolDialog")
        self.setWindowTitle(self.tr("Connect to the central server"))
        self.setMinimumWidth(560)

        title = QLabel(self.tr("Connect to the central server"), self)
        title.setFont(heading_font(self.font(), grow=3))
        set_role(title, "heading")
        intro = QLabel(
            self.tr(
                "Enter the central server's address and the one-time code the central office "
                "gave for this office. Requests saved meanwhile stay on this PC and are sent "
                "once it is connected."
            ),
            self,
        )
        intro.setWordWrap(True)
        set_role(intro, "help")
        self.this_pc = QLabel(self)
        self.this_pc.setObjectName("enrolThisPc")
        self.this_pc.setWordWrap(True)
        set_role(self.this_pc, "note")
        device = ctx.device
        if device is not None:
            self.this_pc.setText(
                isolate(
                    self.tr("This PC: %1 (office code %2), counter %3")
                    .replace("%1", _isolated(device.office_name))
                    .replace("%2", digits(device.office_code, self._lang))
                    .replace("%3", digits(str(device.counter_no), self._lang)),
                    self._lang,
                )
            )
        else:
            self.this_pc.hide()

        settings = ctx.settings
        self.server = QLineEdit(self)
        self.server.setObjectName("enrolServer")
        self.server.setPlaceholderText("https://")
        # Addresses and codes are Latin: typed and shown left to right in either language.
        self.server.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.server.setText(
            str(settings.get("server_url"))
            or (device.server_url if device and device.server_url else "")
        )
        self.code = QLineEdit(self)
        self.code.setObjectName("enrolCode")
        self.code.setPlaceholderText("ABCD-EFGH-JKLM")
        self.code.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.code.textChanged.connect(self._code_changed)
        self.code_preview = QLabel(self)
        self.code_preview.setObjectName("enrolCodePreview")
        set_role(self.code_preview, "help")
        self.ca_bundle = QLineEdit(self)
        self.ca_bundle.setObjectName("enrolCaBundle")
        self.ca_bundle.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.ca_bundle.setClearButtonEnabled(True)
        self.ca_bundle.setPlaceholderText(self.tr("Only if the central office asks"))
        self.ca_bundle.setText(str(settings.get("ca_bundle")))
        self.choose_ca = QPushButton(self.tr("Choose…"), self)
        self.choose_ca.setObjectName("enrolChooseCa")
        self.choose_ca.setAutoDefault(False)
        self.choose_ca.clicked.connect(self.choose_ca_bundle)
        ca_row = QHBoxLayout()
        ca_row.setContentsMargins(0, 0, 0, 0)
        ca_row.addWidget(self.ca_bundle, 1)
        ca_row.addWidget(self.choose_ca)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.tr("Server address"), self.server)
        form.addRow(self.tr("One-time code"), self.code)
        form.addRow("", self.code_preview)
        form.addRow(self.tr("Certificate file (optional)"), ca_row)

        self.progress = QProgressBar(self)
        self.progress.setObjectName("enrolProgress")
        self.progress.setRange(0, 0)  # busy: no per-cent to show for one call
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.progress.hide()
        self.status = QLabel(self)
        self.status.setObjectName("enrolStatus")
        self.status.setWordWrap(True)
        self.status.hide()

        self.connect_button = QPushButton(self.tr("Connect"), self)
        self.connect_button.setObjectName("enrolConnect")
        set_flag(self.connect_button, "primary", True)
        self.connect_button.setDefault(True)
        self.connect_button.clicked.connect(self.start)
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        self.cancel_button.setObjectName("enrolCancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.connect_button)

        layout = self._layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(self.this_pc)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self._code_changed("")
        # A refusal answers what was typed before: it goes once a field is edited.
        for edit in (self.server, self.code, self.ca_bundle):
            edit.textEdited.connect(self._clear_error)
        (self.code if self.server.text() else self.server).setFocus()

    # -- state ---------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """The call to the server is in progress."""
        return self._thread is not None

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.server, self.code, self.ca_bundle, self.choose_ca, self.connect_button):
            widget.setEnabled(not busy)
        self.progress.setVisible(busy)
        self.cancel_button.setEnabled(True)
        self._fit()

    def _say(self, text: str, role: str) -> None:
        self.status.setText(text)
        set_role(self.status, role)
        self.status.show()
        self._fit()

    def _clear_error(self) -> None:
        if self.status.property("role") == "error" and not self.busy:
            self.status.hide()

    def _fit(self) -> None:
        """Grow to hold the busy bar and a wrapped message, instead of squeezing the fields.

        A window's minimum size leaves out word-wrapped labels' height-for-width, so
        without this Qt squeezes the line edits and Vazirmatn's tall letters are clipped.
        """
        self._layout.activate()
        needed = self._layout.totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    def _code_changed(self, text: str) -> None:
        code = normalize_code(text)
        if not code:
            self.code_preview.setText(
                self.tr("Type it as printed; dashes and spaces do not matter.")
            )
        else:
            self.code_preview.setText(
                self.tr("Code to send: %1").replace("%1", "\u2066" + grouped(code) + "\u2069")
            )  # isolated: a Latin run in RTL

    # -- the clerk's moves ---------------------------------------------------------------

    def choose_ca_bundle(self) -> None:
        start = self.ca_bundle.text().strip()
        path, _filter = QFileDialog.getOpenFileName(
            self,
            self.tr("Certificate file of the central server"),
            str(Path(start).parent) if start else "",
            self.tr("Certificates (*.pem *.crt *.cer);;All files (*)"),
        )
        if path:
            self.ca_bundle.setText(path)

    def start(self) -> None:
        """Check the fields, then enrol on a thread of its own."""
        if self.busy or self.result_info is not None:
            return
        url = normalize_server_url(self.server.text())
        code = normalize_code(self.code.text())
        ca_bundle = self.ca_bundle.text().strip()
        if not url.startswith(("https://", "http://")) or len(url) <= len("https://"):
            self._refuse(
                self.tr("Enter the central server's address, for example https://sync.example.ir"),
                self.server,
            )
            return
        if not code:
            self._refuse(self.tr("Enter the one-time code from the central office."), self.code)
            return
        if not _CODE_CHARS.fullmatch(code):
            self._refuse(
                self.tr(
                    "A one-time code holds only Latin letters and digits; check what was typed."
                ),
                self.code,
            )
            return
        if ca_bundle and not Path(ca_bundle).is_file():
            self._refuse(self.tr("The certificate file was not found."), self.ca_bundle)
            return
        self.server.setText(url)
        connect_s, read_s = self._timeouts
        enrolment = Enrolment(
            self._ctx.store,
            self._ctx.data_dir,
            server_url=url,
            code=code,
            ca_bundle=ca_bundle,
            settings=self._ctx.settings,
            by=self._ctx.clerk,
            connect_timeout=connect_s,
            read_timeout=read_s,
        )
        relay = self._relay

        def run() -> None:
            result: EnrolResult | None = None
            failure: BaseException | None = None
            try:
                result = enrolment.run()
            except BaseException as exc:  # delivered to the window, never lost in the thread
                failure = exc
            try:
                relay.done.emit(result, failure)
            except RuntimeError:  # the window was destroyed meanwhile
                log.info("enrolment finished after its window closed")

        self._enrolment = enrolment
        self._cancelling = False
        # The window is modal, but the program may still end under it: no call outlives it.
        self.destroyed.connect(enrolment.abort)
        self._thread = threading.Thread(target=run, name="pishkhan-enrol", daemon=True)
        self._set_busy(True)
        self._say(self.tr("Connecting to %1…").replace("%1", "\u2066" + url + "\u2069"), "help")
        self._thread.start()

    def cancel(self) -> None:
        """Cancel: aborts the call in progress (the window stays), else closes the window."""
        if self.busy:
            if self._enrolment is not None:
                self._cancelling = True
                self._enrolment.abort()
                self.cancel_button.setEnabled(False)
                self._say(self.tr("Cancelling…"), "help")
            return
        if self.result_info is not None:
            self.accept()
        else:
            self.reject()

    def reject(self) -> None:
        # Esc or the window's close button during the call: cancel it, do not vanish with it.
        if self.busy:
            self.cancel()
            return
        super().reject()

    # -- the outcome, back on the GUI thread ---------------------------------------------

    def _finished(self, result: EnrolResult | None, failure: BaseException | None) -> None:
        thread, self._thread, self._enrolment = self._thread, None, None
        if thread is not None:
            thread.join()  # it has emitted: ending now
        self._set_busy(False)
        if result is not None:
            self._succeeded(result)
            return
        assert failure is not None
        message = enrol_failure(failure, self._ctx.device)
        if message is None:  # a bug: the crash dialog, with the trace in the log
            self.status.hide()
            show_error(self, failure, self._lang)
            return
        self._say(message.text(self._lang), "help" if self._cancelling else "error")
        self._cancelling = False
        code = getattr(failure, "code", "")
        focus = self.code if code in ("invalid_code", "office_mismatch") else self.server
        focus.setFocus()
        focus.selectAll()

    def _succeeded(self, result: EnrolResult) -> None:
        self.result_info = result
        self._ctx.device = result.device
        for widget in (self.server, self.code, self.ca_bundle, self.choose_ca):
            widget.setEnabled(False)
        self.connect_button.hide()
        self.cancel_button.setText(self.tr("Close"))
        self.cancel_button.setEnabled(True)
        self.cancel_button.setDefault(True)
        self.cancel_button.setFocus()
        try:
            self._attach(self._ctx)
        except Exception as exc:  # enrolled all the same: the next start attaches the sync
            log.exception("the sync could not be started after enrolment")
            show_error(self, exc, self._lang)
        self._say(
            isolate(
                self.tr(
                    "Connected. The central server knows this PC as counter %2 of “%1”. "
                    "Waiting requests are being sent now."
                )
                .replace("%1", _isolated(result.office_name))
                .replace("%2", digits(str(result.device.counter_no), self._lang)),
                self._lang,
            ),
            "note",
        )
        self.enrolled.emit(result)

    def _refuse(self, text: str, field: QLineEdit) -> None:
        self._say(text, "error")
        field.setFocus()
        field.selectAll()
