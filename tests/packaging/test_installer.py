"""The Windows installer script, checked here as far as Linux allows.

makensis (Debian's ``nsis``) compiles installer/pishkhan.nsi with warnings
as errors, and 7-Zip (Debian's ``7zip``) lists what the compiled installer
would put in the program folder. Installing, upgrading and uninstalling run
only on Windows: .github/workflows/windows.yml.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.config import APP_NAME
from tests.packaging.support import ROOT, build_installer

SCRIPT = ROOT / "installer" / "pishkhan.nsi"


def _tool(found: str | None, package: str) -> str:
    """The tool's path; a missing tool fails in CI (it must be installed there), else skips."""
    if found:
        return found
    message = f"{package} is not installed (apt-get install {package})"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _payload_listing(installer: Path, seven_zip: str) -> set[str]:
    listing = subprocess.run(
        [seven_zip, "l", "-ba", "-slt", str(installer)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    paths = {line.split(" = ", 1)[1] for line in listing.splitlines() if line.startswith("Path = ")}
    # $PLUGINSDIR is the wizard's own temporary files, not installed.
    return {p.replace("\\", "/") for p in paths if not p.startswith("$PLUGINSDIR")}


def test_installer_script_compiles(tmp_path: Path) -> None:
    makensis = _tool(build_installer.find_makensis(), "nsis")
    payload = tmp_path / "payload"
    (payload / "_internal").mkdir(parents=True)
    (payload / "pishkhan.exe").write_bytes(b"MZ")
    (payload / "pishkhan-console.exe").write_bytes(b"MZ")
    out = tmp_path / "pishkhan-test-installer.exe"
    proc = build_installer.build(payload, out, fast=True, makensis=makensis)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    compiled = out.read_bytes()
    assert compiled[:2] == b"MZ"
    # RequestExecutionLevel user → the manifest asks Windows for no elevation (no UAC prompt).
    assert b'requestedExecutionLevel level="asInvoker"' in compiled


@pytest.mark.bundle
def test_installer_carries_exactly_the_bundle(frozen_bundle: Path, tmp_path: Path) -> None:
    makensis = _tool(build_installer.find_makensis(), "nsis")
    seven_zip = _tool(shutil.which("7zz") or shutil.which("7z"), "7zip")
    out = tmp_path / "pishkhan-test-installer.exe"
    proc = build_installer.build(frozen_bundle, out, fast=True, makensis=makensis)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bundle = {
        p.relative_to(frozen_bundle).as_posix() for p in frozen_bundle.rglob("*") if p.is_file()
    }
    installed = _payload_listing(out, seven_zip)
    installed_files = {p for p in installed if not any(q.startswith(p + "/") for q in installed)}
    assert installed_files == bundle | {"uninstall.exe"}


def _define(name: str) -> str:
    match = re.search(rf'^!define {name} "([^"]*)"', SCRIPT.read_text(encoding="utf-8"), re.M)
    assert match, name
    return match.group(1)


def test_installer_knows_where_the_program_keeps_its_data() -> None:
    """The uninstaller's "remove my data" must aim at the folder the program really uses.

    desktop.config uses platformdirs.user_data_dir(APP_NAME, APP_NAME, roaming=False),
    which on Windows is <local app data>\\<author>\\<app>.
    """
    assert _define("DATA_DIR") == f"$LOCALAPPDATA\\{APP_NAME}\\{APP_NAME}"
    assert _define("DATA_PARENT") == f"$LOCALAPPDATA\\{APP_NAME}"


@pytest.mark.skipif(sys.platform != "win32", reason="platformdirs' Windows folders")
def test_platformdirs_data_folder_on_windows() -> None:
    import platformdirs

    expected = Path(os.environ["LOCALAPPDATA"]) / APP_NAME / APP_NAME
    assert Path(platformdirs.user_data_dir(APP_NAME, APP_NAME, roaming=False)) == expected


def test_installer_never_installs_into_the_data_folder() -> None:
    text = SCRIPT.read_text(encoding="utf-8")
    install_dir = re.search(r"^InstallDir \"([^\"]+)\"", text, re.M)
    assert install_dir is not None
    assert install_dir.group(1) == "$LOCALAPPDATA\\Programs\\${APP}"
    # The only lines that name the data folder outside the defines are the
    # uninstaller's opt-in removal and the clash guard.
    uses = [
        line.strip()
        for line in text.splitlines()
        if ("${DATA_DIR}" in line or "${DATA_PARENT}" in line)
        and not line.lstrip().startswith((";", "LangString", "!define"))
    ]
    assert uses == [
        'StrCpy $1 "${DATA_DIR}" $0',
        'StrLen $2 "${DATA_DIR}"',
        '${OrIf} $3 == "${DATA_DIR}"',
        '${OrIf} "$INSTDIR" == "${DATA_PARENT}"',
        'RMDir /r "${DATA_DIR}"',
        'RMDir "${DATA_PARENT}" ; only if empty',
    ]
