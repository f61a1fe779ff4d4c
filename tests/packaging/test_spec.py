"""The bundle's declarations (installer/bundle_files.py), checked without building.

These catch the mistakes that otherwise show only on a clerk's PC: a new
resource that is not shipped, a Qt module excluded that the UI started to
use, a Windows plugin dropped by a too-wide pattern.
"""

from __future__ import annotations

import ast
import fnmatch
import sys
from pathlib import Path

import pytest

from tests.packaging.support import ROOT, bundle_files, version_info


def _shipped_or_left_out(relative: str) -> bool:
    patterns = [d.pattern for d in bundle_files.DATA_FILES] + [p for p, _ in bundle_files.LEFT_OUT]
    return any(fnmatch.fnmatch(relative, p) for p in patterns)


def test_every_resource_is_shipped_or_left_out_on_purpose() -> None:
    resources = [
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "resources").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    assert resources
    undecided = [r for r in resources if not _shipped_or_left_out(r)]
    assert undecided == [], "add these to DATA_FILES or LEFT_OUT in installer/bundle_files.py"


def test_every_required_data_file_exists() -> None:
    pairs = bundle_files.resolve_data_files(ROOT)
    shipped = {Path(src).relative_to(ROOT).as_posix() for src, _ in pairs}
    assert "resources/fonts/OFL.txt" in shipped
    assert "desktop/migrations/env.py" in shipped
    assert "resources/translations/pishkhan_fa.qm" in shipped
    assert any(s.startswith("desktop/migrations/versions/") for s in shipped)


def test_a_missing_required_file_stops_the_build(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        bundle_files.resolve_data_files(tmp_path)
    assert "resources/fonts/OFL.txt" in str(caught.value)
    assert "resources/translations/*.qm" in str(caught.value)
    assert "resources/icons/*.svg" not in str(caught.value)  # optional


def _imported_modules(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if any(module.startswith(m) for m in bundle_files.OWN_MODULES_LEFT_OUT):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                found.setdefault(name, set()).add(path.relative_to(ROOT).as_posix())
    return found


@pytest.mark.parametrize("package", bundle_files.OWN_PACKAGES)
def test_excluded_modules_are_not_imported_by_the_program(package: str) -> None:
    imported = _imported_modules(package)
    excluded_qt = {f"PySide6.{m}" for m in bundle_files.QT_MODULES_EXCLUDED}
    excluded_top = set(bundle_files.PYTHON_EXCLUDED)
    offending = {
        name: sorted(files)
        for name, files in imported.items()
        if name in excluded_qt or name.split(".", 1)[0] in excluded_top
    }
    assert offending == {}, "the bundle would lack these; drop them from the exclusions"


def test_dynamic_imports_exist() -> None:
    for name in bundle_files.REQUIRED_DYNAMIC_IMPORTS:
        assert (ROOT / (name.replace(".", "/") + ".py")).is_file(), name


@pytest.mark.parametrize(
    ("path", "dropped"),
    [
        # Linux/macOS wheel layout
        ("PySide6/Qt/plugins/platforms/libqxcb.so", False),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", False),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", True),
        ("PySide6/Qt/plugins/platforms/libqvnc.so", True),
        ("PySide6/Qt/plugins/imageformats/libqjpeg.so", False),
        ("PySide6/Qt/plugins/imageformats/libqpdf.so", True),
        ("PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so", True),
        ("PySide6/Qt/plugins/printsupport/libcupsprintersupport.so", False),
        # Windows wheel layout: the plugins the program needs there must stay
        ("PySide6/plugins/platforms/qwindows.dll", False),
        ("PySide6/plugins/platforms/qdirect2d.dll", True),
        ("PySide6/plugins/styles/qmodernwindowsstyle.dll", False),
        ("PySide6/plugins/imageformats/qico.dll", False),
        ("PySide6/plugins/printsupport/windowsprintersupport.dll", False),
        ("PySide6/plugins/sqldrivers/qsqlite.dll", True),
        # not a plugin at all
        ("PySide6/QtCore.pyd", False),
        ("resources/plugins/platforms/x.dll", False),
    ],
)
def test_qt_plugin_filter(path: str, dropped: bool) -> None:
    assert bundle_files.qt_plugin_excluded(path) is dropped


@pytest.mark.parametrize(
    ("path", "dropped"),
    [
        ("PySide6/Qt/lib/libQt6Core.so.6", False),
        ("PySide6/Qt/lib/libQt6Widgets.so.6", False),
        ("PySide6/Qt/lib/libQt6DBus.so.6", False),
        ("PySide6/Qt/lib/libQt6Svg.so.6", False),
        ("PySide6/Qt/lib/libQt6PrintSupport.so.6", False),
        ("PySide6/Qt/lib/libQt6XcbQpa.so.6", False),
        ("PySide6/Qt/lib/libQt6Quick.so.6", True),
        ("PySide6/Qt/lib/libQt6QmlModels.so.6", True),
        ("PySide6/Qt/lib/libQt6Pdf.so.6", True),
        ("PySide6/Qt/lib/libQt6VirtualKeyboard.so.6", True),
        ("PySide6/Qt6Core.dll", False),
        ("PySide6/Qt6Gui.dll", False),
        ("PySide6/Qt6Quick.dll", True),
        ("PySide6/Qt6Network.dll", True),
        ("PySide6/opengl32sw.dll", True),
        ("libpython3.11.so.1.0", False),
    ],
)
def test_qt_library_filter(path: str, dropped: bool) -> None:
    assert bundle_files.qt_library_excluded(path) is dropped


@pytest.mark.parametrize(
    ("path", "dropped"),
    [
        ("PySide6/Qt/translations/qtbase_fa.qm", False),
        ("PySide6/translations/qtbase_fa.qm", False),
        ("PySide6/Qt/translations/qtbase_de.qm", True),
        ("PySide6/Qt/translations/qt_fa.qm", True),
        ("resources/translations/pishkhan_fa.qm", False),
    ],
)
def test_qt_translation_filter(path: str, dropped: bool) -> None:
    assert bundle_files.qt_translation_excluded(path) is dropped


def test_unlinked_libraries_are_pruned_and_linked_ones_kept() -> None:
    toc = [
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/src/libqxcb.so", "BINARY"),
        ("PySide6/QtGui.abi3.so", "/src/QtGui.abi3.so", "EXTENSION"),
        ("PySide6/Qt/lib/libQt6Gui.so.6", "/src/libQt6Gui.so.6", "BINARY"),
        ("libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Gui.so.6", "SYMLINK"),
        ("libxcb-util.so.1", "/usr/lib/libxcb-util.so.1", "BINARY"),
        ("libfreetype.so.6", "/usr/lib/libfreetype.so.6", "BINARY"),
        ("libpython3.11.so.1.0", "/py/libpython3.11.so.1.0", "BINARY"),
        ("libffi.so.8", "/usr/lib/libffi.so.8", "BINARY"),
        # left behind by the dropped GTK theme plugin
        ("libgtk-3.so.0", "/usr/lib/libgtk-3.so.0", "BINARY"),
        ("libcairo.so.2", "/usr/lib/libcairo.so.2", "BINARY"),
        ("PySide6/Qt/lib/libQt6Quick.so.6", "/src/libQt6Quick.so.6", "BINARY"),
        ("libQt6Quick.so.6", "PySide6/Qt/lib/libQt6Quick.so.6", "SYMLINK"),
    ]
    links = {
        "/src/libqxcb.so": ["libQt6Gui.so.6", "libxcb-util.so.1"],
        "/src/QtGui.abi3.so": ["libQt6Gui.so.6"],
        "/src/libQt6Gui.so.6": ["libfreetype.so.6"],
        "/py/libpython3.11.so.1.0": ["libffi.so.8"],
        "/usr/lib/libgtk-3.so.0": ["libcairo.so.2"],
        "/src/libQt6Quick.so.6": ["libQt6Gui.so.6"],
    }
    kept = bundle_files.prune_unlinked_libraries(toc, lambda src: links.get(src, []))
    assert {e[0] for e in kept} == {
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/QtGui.abi3.so",
        "PySide6/Qt/lib/libQt6Gui.so.6",
        "libQt6Gui.so.6",
        "libxcb-util.so.1",
        "libfreetype.so.6",
        "libpython3.11.so.1.0",
        "libffi.so.8",
    }


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.1.0", (0, 1, 0, 0)),
        ("1.2", (1, 2, 0, 0)),
        ("2.0.1rc1", (2, 0, 1, 0)),
        ("1.2.3.4", (1, 2, 3, 4)),
        ("3.1.0.dev2", (3, 1, 0, 0)),
    ],
)
def test_windows_version_numbers(version: str, expected: tuple[int, int, int, int]) -> None:
    assert version_info.version_tuple(version) == expected


@pytest.mark.parametrize("bad", ["", "v1.0", "70000.0.0"])
def test_bad_versions_stop_the_build(bad: str) -> None:
    with pytest.raises(ValueError):
        version_info.version_tuple(bad)


@pytest.mark.skipif(sys.platform != "win32", reason="PyInstaller's versioninfo needs Windows")
def test_windows_version_resource_round_trips() -> None:
    from PyInstaller.utils.win32.versioninfo import VSVersionInfo

    from desktop import __version__

    resource = version_info.windows_version_info(__version__)
    parsed = VSVersionInfo()
    parsed.fromRaw(resource.toRaw())
    assert f"'FileVersion', '{__version__}'" in str(parsed)
    assert parsed.toRaw() == resource.toRaw()
