"""The program's language: Qt translators, layout direction, locale.

Widget strings are written in English in the code (``self.tr("Save")`` or
``QCoreApplication.translate("Context", "Save")``) and translated through
``resources/translations/pishkhan_fa.qm``; Qt's own strings (standard buttons,
context menus) through PySide6's ``qtbase_fa.qm``. Messages that come from
the core are ``rules.messages.Message`` objects and pick their language
with ``text(lang)``, not through Qt.

The .qm is committed beside its .ts (small, and lrelease is deterministic);
``tests/ui/test_app_flow.py`` checks that it is up to date. To refresh after
changing UI strings: ``.venv/bin/python resources/translations/update.py``.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from rules.messages import Message
from ui.theme import locale_for, resource_path, style_sheet

log = logging.getLogger("pishkhan.ui")

LANGUAGES = ("fa", "en")
LANGUAGE_NAMES = {"fa": "فارسی", "en": "English"}
CATALOG = "pishkhan"

# Translators must outlive their installation; Qt keeps only a pointer.
_installed: list[QTranslator] = []

# The application's layout direction follows the installed translations (Qt's own
# mechanism: QGuiApplication reads the translation of this string, "RTL" in
# pishkhan_fa.ts as in Qt's qtbase_fa.qm, and flips back when the translator goes).
# Setting it by hand would build PySide6's whole ``Qt`` namespace before the login
# window (~30 ms), and would stop Qt from following the language afterwards.
LAYOUT_DIRECTION_KEY = QT_TRANSLATE_NOOP("QGuiApplication", "QT_LAYOUT_DIRECTION")


def translations_file(lang: str) -> str:
    return str(resource_path("translations", f"{CATALOG}_{lang}.qm"))


def qt_translations_dir() -> str:
    return QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)


def apply_language(app: QCoreApplication, lang: str) -> None:
    """Install the translators for ``lang`` (replacing any) and set the locale; the layout
    direction follows the translators (``LAYOUT_DIRECTION_KEY``).

    Existing widgets keep their texts: windows are rebuilt after a switch (the
    shell does it), which is simpler and more reliable than retranslating
    every widget in place.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    if lang != "en":
        ours = QTranslator(app)
        if ours.load(translations_file(lang)):
            app.installTranslator(ours)
            _installed.append(ours)
        else:
            log.warning("no translations for %s at %s", lang, translations_file(lang))
        qt_own = QTranslator(app)
        if qt_own.load(f"qtbase_{lang}", qt_translations_dir()):
            app.installTranslator(qt_own)
            _installed.append(qt_own)
    QLocale.setDefault(locale_for(lang))
    if isinstance(app, QApplication) and app.styleSheet():
        app.setStyleSheet(style_sheet(lang))


def translate(context: str, text: str) -> str:
    """``QCoreApplication.translate`` for code outside a QObject (lupdate finds it too)."""
    return QCoreApplication.translate(context, text)


def say(message: Message, lang: str) -> str:
    """A core message in the clerk's language."""
    return message.text(lang)
