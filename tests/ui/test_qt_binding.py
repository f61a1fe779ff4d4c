"""Guard against a Qt binding that corrupts the interpreter.

PySide6-Essentials 6.12.0 drops a reference to ``None`` on every call of a
method that returns nothing; on Python 3.11 the program then aborts with
"none_dealloc" after a few thousand calls (a few minutes at the counter).
pyproject.toml pins below it; this test fails if a leaking binding comes back.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot


def test_void_calls_do_not_leak_none_references(qtbot: QtBot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for i in range(2000):
        label.setText(str(i))
        label.setObjectName("x")
    after = sys.getrefcount(None)
    # Other code may take or drop a handful meanwhile; a leak loses thousands.
    assert after > before - 100, f"None lost {before - after} references in 4,000 calls"
