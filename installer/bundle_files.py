"""What goes into the frozen bundle and what stays out, declared once.

``build.spec`` reads these lists to build the bundle; ``tests/packaging``
reads the same lists to check the built bundle and to check that every file
under ``resources/`` is either shipped or deliberately left out. Nothing here
imports PyInstaller, so the tests can use it without building.

Data files keep the same relative path in the bundle as in the source tree
(``resources/fonts/...``, ``desktop/migrations/...``), so code that finds them
relative to its own ``__file__`` works frozen and from source alike.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


@dataclass(frozen=True)
class DataFiles:
    """Files matching ``pattern`` (relative to the repository) go to ``dest`` in the bundle."""

    pattern: str
    dest: str
    why: str
    # At least one file must match, or the build stops: a missing font or
    # migration would otherwise only show on a clerk's PC.
    required: bool = True


DATA_FILES: tuple[DataFiles, ...] = (
    DataFiles("resources/fonts/Vazirmatn-Regular.ttf", "resources/fonts", "body text"),
    DataFiles("resources/fonts/Vazirmatn-Medium.ttf", "resources/fonts", "headings"),
    DataFiles("resources/fonts/Vazirmatn-Bold.ttf", "resources/fonts", "emphasis, receipts"),
    DataFiles("resources/fonts/OFL.txt", "resources/fonts", "the fonts' licence ships with them"),
    DataFiles("resources/catalog/demo_catalog.json", "resources/catalog", "demo catalogue"),
    DataFiles("resources/zstd/pishkhan-*.zdict", "resources/zstd", "sync zstd dictionaries"),
    DataFiles("resources/icons/pishkhan.ico", "resources/icons", "window icon on Windows"),
    DataFiles("resources/icons/pishkhan.png", "resources/icons", "window icon elsewhere, About"),
    DataFiles("resources/icons/pishkhan-logo@2x.png", "resources/icons", "the login window's logo"),
    DataFiles("resources/icons/*.svg", "resources/icons", "toolbar icons", required=False),
    DataFiles("resources/translations/*.qm", "resources/translations", "compiled translations"),
    DataFiles("resources/styles/*.qss", "resources/styles", "style sheets", required=False),
    # Alembic loads env.py and every revision from *files* (not imports), so
    # they ship as source next to where desktop/db/engine.py looks for them.
    DataFiles("desktop/migrations/env.py", "desktop/migrations", "alembic environment"),
    DataFiles("desktop/migrations/script.py.mako", "desktop/migrations", "alembic template"),
    DataFiles("desktop/migrations/versions/*.py", "desktop/migrations/versions", "revisions"),
)

# Files under resources/ that are deliberately not shipped (sources of shipped files).
# Patterns are fnmatch-style: "*" also matches "/".
LEFT_OUT: tuple[tuple[str, str], ...] = (
    ("resources/translations/*.ts", "translation sources; the compiled .qm ships"),
    ("resources/translations/update.py", "developer script that regenerates the .qm files"),
    ("resources/*README*", "notes for developers"),
)

# Qt's own translations: only Persian (Qt's source strings are English). The
# Qt hook collects ~40 languages of qt_*/qtbase_*; everything else is dropped.
QT_TRANSLATIONS_KEPT: tuple[str, ...] = ("qtbase_fa.qm",)

# Modules the counter program never imports (HTTP goes through `requests`, not
# QtNetwork; PySide6 imports QtNetwork only to probe OpenSSL, in a try/except
# ImportError). Each Qt name here is checked
# against the sources by tests/packaging/test_spec.py, so a module that starts
# being used cannot be silently missing from the bundle.
QT_MODULES_EXCLUDED: tuple[str, ...] = (
    "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender",
    "QtAxContainer", "QtBluetooth", "QtCharts", "QtConcurrent", "QtDataVisualization",
    "QtDesigner", "QtGraphs", "QtGraphsWidgets", "QtHelp", "QtHttpServer", "QtLabsStyleKit",
    "QtLocation", "QtMultimedia", "QtMultimediaWidgets", "QtNetwork", "QtNetworkAuth", "QtNfc",
    "QtOpenGL",
    "QtOpenGLWidgets", "QtPdf", "QtPdfWidgets", "QtPositioning", "QtQml", "QtQmlFeatures",
    "QtQuick", "QtQuick3D", "QtQuickControls2", "QtQuickTest", "QtQuickWidgets",
    "QtRemoteObjects", "QtScxml", "QtSensors", "QtSerialBus", "QtSerialPort", "QtSpatialAudio",
    "QtSql", "QtStateMachine", "QtTest", "QtTextToSpeech", "QtUiTools", "QtWebChannel",
    "QtWebEngineCore", "QtWebEngineQuick", "QtWebEngineWidgets", "QtWebSockets", "QtXml",
)  # fmt: skip

PYTHON_EXCLUDED: tuple[str, ...] = (
    # The reference server and its stack: never part of the counter program.
    "server", "fastapi", "uvicorn", "starlette", "pydantic", "pydantic_core", "anyio",
    "psycopg", "psycopg_binary", "psycopg2", "MySQLdb", "pymysql",
    # Developer tools.
    "pytest", "_pytest", "pytestqt", "pluggy", "mypy", "ruff", "IPython", "importlinter",
    "grimp", "pypdf", "PyInstaller",
    # Optional extras that libraries try to import and do without: mako highlights
    # tracebacks with pygments. (cryptography is shipped since issue 16: the update
    # client checks the centre's ed25519 signatures with it, through securesystemslib.)
    "pygments",
    # Standard-library parts a Qt program has no use for.
    "tkinter", "_tkinter", "turtle", "test", "lib2to3", "pydoc_data",
)  # fmt: skip

# Our own modules loaded by name (importlib), which PyInstaller cannot see:
# every module of our packages is collected, and these must exist.
REQUIRED_DYNAMIC_IMPORTS: tuple[str, ...] = ("ui.app",)
OWN_PACKAGES: tuple[str, ...] = ("rules", "desktop", "sync", "ui", "updates")
# Our modules that are developer tools, not part of the counter program.
OWN_MODULES_LEFT_OUT: tuple[str, ...] = ("desktop.devrun",)
# Imported only by the migration scripts, which PyInstaller does not analyse.
MIGRATION_IMPORTS: tuple[str, ...] = (
    "alembic.context", "alembic.op", "alembic.ddl.sqlite", "alembic.runtime.migration",
    "sqlalchemy.dialects.sqlite", "sqlalchemy.dialects.sqlite.pysqlite",
)  # fmt: skip

# Qt plugins dropped from the bundle, by "<plugin type>/<file name glob>".
# Whole types the program has no use for, and single plugins that would drag
# in a large library (QtPdf, QtVirtualKeyboard + QtQuick, GTK).
QT_PLUGINS_EXCLUDED: tuple[str, ...] = (
    "designer/*", "qmltooling/*", "egldeviceintegrations/*", "generic/*",
    "wayland-decoration-client/*", "wayland-graphics-integration-client/*",
    "wayland-graphics-integration-server/*", "wayland-shell-integration/*",
    "platforms/*eglfs*", "platforms/*linuxfb*", "platforms/*vnc*", "platforms/*vkkhrdisplay*",
    "platforms/*minimalegl*", "platforms/*wayland*", "platforms/*direct2d*",
    "platforminputcontexts/*virtualkeyboard*", "platformthemes/*gtk3*",
    "imageformats/*pdf*", "imageformats/*webp*", "imageformats/*icns*", "imageformats/*tga*",
    "imageformats/*wbmp*", "sqldrivers/*", "vectorimageformats/*", "networkinformation/*",
)  # fmt: skip


# Qt shared libraries dropped even if something still links them (by the
# name after "Qt6"): QML/Quick and friends come in through QtGui's plugins
# (virtual keyboard, lottie vector images), Wayland through its platform plugin.
QT_LIBRARIES_EXCLUDED: tuple[str, ...] = (
    "Qml*", "Quick*", "Labs*", "Lottie*", "VirtualKeyboard*", "Egl*", "Wayland*", "Wl*",
    "Designer*", "Pdf*", "Sql", "Test", "Help", "UiTools", "Multimedia*", "WebEngine*",
    "3D*", "Charts", "DataVisualization", "Graphs*", "Bluetooth", "Nfc", "Positioning",
    "Location", "Sensors", "SerialPort", "SerialBus", "WebSockets", "WebChannel*",
    "Network*", "OpenGL*",
)  # fmt: skip
# Mesa's software OpenGL (~20 MB, Windows wheels only) is a fallback for
# QOpenGLWidget and Qt Quick when the GPU driver lacks OpenGL; a widgets
# program paints with the raster engine and never loads it.
OTHER_LIBRARIES_EXCLUDED: tuple[str, ...] = ("opengl32sw.dll",)


def _posix(path: str) -> PurePosixPath:
    return PurePosixPath(path.replace("\\", "/"))


def resolve_data_files(root: Path) -> list[tuple[str, str]]:
    """``(source path, bundle folder)`` pairs for PyInstaller's ``datas``.

    Raises ``FileNotFoundError`` listing every required pattern that matched nothing.
    """
    pairs: list[tuple[str, str]] = []
    missing: list[str] = []
    for entry in DATA_FILES:
        matches = sorted(p for p in root.glob(entry.pattern) if p.is_file())
        if not matches and entry.required:
            missing.append(entry.pattern)
        pairs.extend((str(p), entry.dest) for p in matches)
    if missing:
        raise FileNotFoundError("bundle data files missing: " + ", ".join(missing))
    return pairs


def qt_plugin_excluded(dest_name: str) -> bool:
    """True for a bundled path like ``PySide6/Qt/plugins/platforms/libqvnc.so`` we drop.

    Works for both wheel layouts (``PySide6/Qt/plugins`` on Linux and macOS,
    ``PySide6/plugins`` on Windows).
    """
    parts = _posix(dest_name).parts
    if "plugins" not in parts or parts[0] != "PySide6":
        return False
    i = parts.index("plugins")
    if len(parts) < i + 3:
        return False
    kind, name = parts[i + 1], parts[-1]
    return any(
        fnmatch.fnmatch(kind, k) and fnmatch.fnmatch(name, n)
        for k, n in (rule.split("/", 1) for rule in QT_PLUGINS_EXCLUDED)
    )


def qt_translation_excluded(dest_name: str) -> bool:
    """True for Qt's own ``.qm`` files other than the ones kept (Persian)."""
    parts = _posix(dest_name).parts
    if not parts or parts[0] != "PySide6" or "translations" not in parts:
        return False
    return parts[-1].endswith(".qm") and parts[-1] not in QT_TRANSLATIONS_KEPT


def qt_library_excluded(dest_name: str) -> bool:
    """True for a Qt shared library the program does not need but a plugin or hook drew in.

    Matched on the part after ``Qt6`` in ``libQt6Quick.so.6`` (Linux),
    ``Qt6Quick.dll`` (Windows), ``QtQuick`` (macOS frameworks).
    """
    name = _posix(dest_name).name
    if name.lower() in OTHER_LIBRARIES_EXCLUDED:
        return True
    for prefix in ("libQt6", "Qt6"):
        if name.startswith(prefix):
            stem = name.removeprefix(prefix).split(".", 1)[0]
            return any(fnmatch.fnmatch(stem, pattern) for pattern in QT_LIBRARIES_EXCLUDED)
    return False


TocEntry = tuple[str, str, str]  # (name in the bundle, source path, PyInstaller type code)


def prune_unlinked_libraries(
    binaries: list[TocEntry], imports_of: Callable[[str], Iterable[str]]
) -> list[TocEntry]:
    """Drop shared libraries nothing in the bundle links to any more.

    PyInstaller collects a plugin's dependencies during the analysis, before
    ``build.spec`` drops the plugin: dropping the GTK theme plugin leaves GTK,
    cairo and pango behind. Roots are everything that is loaded by path (Python
    extensions, Qt plugins, anything inside a package folder) plus libpython;
    candidates are plain libraries at the top of the bundle or in Qt's lib
    folder. ``imports_of(source path)`` names the libraries a file links.

    Used on Linux only: that is where it is checked (the frozen smoke run).
    """

    def is_candidate(entry: TocEntry) -> bool:
        dest, _src, kind = entry
        parent = _posix(dest).parent
        return (
            kind == "BINARY"
            and not _posix(dest).name.startswith("libpython")
            and (str(parent) == "." or parent.parts[-2:] == ("Qt", "lib"))
        )

    by_name: dict[str, list[TocEntry]] = {}
    for entry in binaries:
        by_name.setdefault(_posix(entry[0]).name, []).append(entry)
    reached: set[TocEntry] = set()
    todo = [e for e in binaries if e[2] != "SYMLINK" and not is_candidate(e)]
    todo += [e for e in binaries if _posix(e[0]).name.startswith("libpython")]
    while todo:
        entry = todo.pop()
        if entry in reached:
            continue
        reached.add(entry)
        if entry[2] == "SYMLINK":
            todo.extend(by_name.get(_posix(entry[1]).name, []))
            continue
        for name in imports_of(entry[1]):
            todo.extend(by_name.get(_posix(name).name, []))
    return [e for e in binaries if e in reached or (e[2] != "SYMLINK" and not is_candidate(e))]
