"""The recovery key, shown to the manager once, for paper (issue 13, docs/SECURITY.md).

Shown when encryption is turned on: right after set-up, or at the first manager's login
on a PC set up by an older program, and at a manager's login after a power cut hid the
key made then (a new one: ``desktop.keyslots_setup.renew_unseen_recovery``). Not modal:
the program goes on behind it, and the window stays until the manager closes it. The key
is in both digit sets, in groups of six. Only its button ("I have written it down") is
the manager's confirmation (``on_confirmed``) that clears the key file's unseen mark;
closing the window otherwise leaves the mark, and the next manager's login shows a new key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.keyslots import format_recovery_key
from rules.bidi import ltr
from rules.messages import Message
from ui.theme import set_role

if TYPE_CHECKING:
    from ui.worker import Worker

log = logging.getLogger("pishkhan.ui")

NOTICE = Message(
    fa="کلید بازیابی این رایانه در زیر آمده است و فقط همین یک بار نشان داده می‌شود. آن را "
    "روی کاغذ بنویسید و جای امنی، دور از رایانه، نگه دارید. اگر همهٔ گذرواژه‌ها فراموش "
    "شوند، فقط این کلید داده‌های رمزگذاری‌شدهٔ این رایانه را باز می‌کند.",
    en="This PC's recovery key is below, and it is shown this once only. Write it on paper "
    "and keep it somewhere safe, away from the PC. If every password is forgotten, only "
    "this key opens this PC's encrypted data.",
)
TITLE = Message(fa="کلید بازیابی", en="Recovery key")
DONE = Message(fa="نوشتم", en="I have written it down")


class RecoveryKeyDialog(QDialog):
    def __init__(self, digits: str, lang: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryKeyDialog")
        self.setWindowTitle(TITLE.text(lang))
        notice = QLabel(NOTICE.text(lang), self)
        notice.setWordWrap(True)
        set_role(notice, "help", restyle=False)
        # Each line isolated left to right (rules.bidi): in a right-to-left window the
        # Persian digits' groups were laid out last group first, unlike the Latin line
        # below them, and the manager copies the key from this window onto paper.
        latin = ltr(format_recovery_key(digits))
        persian = ltr(format_recovery_key(digits, persian=True))
        self.key_label = QLabel(f"{persian}\n{latin}" if lang == "fa" else f"{latin}\n{persian}")
        self.key_label.setObjectName("recoveryKey")
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.key_label.setFont(font)
        # One line per digit set, never wrapped nor cut: 55 characters without a space do
        # not wrap, and in a 520-pixel window the label cut off the last groups.
        metrics = QFontMetrics(font)
        widest = max(metrics.horizontalAdvance(line) for line in (latin, persian))
        self.key_label.setMinimumWidth(widest + metrics.averageCharWidth())
        done = QPushButton(DONE.text(lang), self)
        done.setObjectName("recoveryKeyDone")
        done.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(notice)
        layout.addWidget(self.key_label)
        layout.addWidget(done)
        # Not less than the key's line: a minimum of our own overrides the layout's.
        self.setMinimumWidth(max(520, layout.minimumSize().width()))


def show_recovery_key(
    digits: str, lang: str, *, on_confirmed: Callable[[], object] | None = None
) -> RecoveryKeyDialog:
    """Show the key in a window of its own (the caller keeps a reference while it is open);
    ``on_confirmed`` (GUI thread: hand any work to the worker) when its button is pressed."""
    dialog = RecoveryKeyDialog(digits, lang)
    if on_confirmed is not None:
        dialog.accepted.connect(on_confirmed)
    dialog.show()
    dialog.raise_()
    return dialog


def confirm_on_worker(
    worker: Worker, seen: Callable[[str], object], digits: str
) -> Callable[[], None]:
    """The button's action: ``seen(digits)`` (an argon2id check and the key file's write,
    ``desktop.keyslots_setup.confirm_recovery_seen``) run on ``worker``, not this thread."""
    return lambda: worker.submit(lambda: seen(digits), None, _not_confirmed)


def _not_confirmed(exc: BaseException) -> None:
    # The mark stays (a full disk): the manager's next login shows a new key. Nothing to
    # tell now: the key on their paper opens the store until then.
    log.warning("recovery key's confirmation not written: %s", type(exc).__name__)
