"""The Windows installer's own logic, run by Debian's Wine (issue 16).

The NSIS installer built here is Windows code whatever its payload: under ``wine`` it
installs silently for the user (``/S``, no administrator), writes its files, the Start-menu
and desktop shortcuts and the per-user (HKCU) uninstall entry; a newer installer upgrades
over it, replacing the program folder wholesale, so the folders an update left there
(``versions/<v>`` and the pointer, ``update-state/``) go with the old version; and the
uninstaller removes the program and keeps the data folder. The payload is a small folder
shaped like the bundle (the Linux bundle could not run under Wine anyway, and packing
140 MB would cost a minute per installer for nothing the installer does differently).

What cannot run here, the Windows build of the program itself and the launcher's switch in
it, is listed in docs/PACKAGING.md. Needs ``wine``, ``wine64``, ``wine32:i386`` and
``nsis`` (.ci/run installs them): skipped without them, a failure on CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop.config import APP_NAME
from tests.packaging.support import build_installer

UNINST_KEY = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\Pishkhan"
WINE_TIMEOUT_S = 300
# A silent install takes the system's language where it has one (a Persian Windows gets
# "پیشخوان"); the prefix here runs in the C locale, so English.
SHORTCUT = "Pishkhan.lnk"


def _needed(tool: str, package: str) -> str:
    found = shutil.which(tool)
    if found:
        return found
    message = f"{tool} is not installed (apt-get install {package})"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class Wine:
    prefix: Path
    env: dict[str, str]
    boot_seconds: float

    def run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            ["wine", *map(str, args)],
            env=self.env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=WINE_TIMEOUT_S,
            check=False,
        )
        self.wait()
        return proc

    def wait(self) -> None:
        """Until every Windows process of the prefix ended (an uninstaller re-launches
        itself from a temporary copy and returns at once)."""
        subprocess.run(["wineserver", "-w"], env=self.env, timeout=WINE_TIMEOUT_S, check=True)

    @property
    def user_home(self) -> Path:
        [home] = [p for p in (self.prefix / "drive_c" / "users").iterdir() if p.name != "Public"]
        return home

    @property
    def program_dir(self) -> Path:
        return self.user_home / "AppData" / "Local" / "Programs" / APP_NAME

    @property
    def data_dir(self) -> Path:
        # platformdirs.user_data_dir("Pishkhan", "Pishkhan", roaming=False) on Windows.
        return self.user_home / "AppData" / "Local" / APP_NAME / APP_NAME

    def shortcuts(self) -> list[Path]:
        start_menu = self.user_home / "AppData" / "Roaming" / "Microsoft" / "Windows"
        places = [start_menu / "Start Menu" / "Programs", self.user_home / "Desktop"]
        return sorted(p for place in places if place.is_dir() for p in place.glob("*.lnk"))

    def uninstall_entry(self) -> dict[str, str] | None:
        proc = self.run("reg", "query", UNINST_KEY)
        if proc.returncode != 0:
            return None
        values = {}
        for line in proc.stdout.splitlines():
            parts = line.split(None, 2)
            if len(parts) == 3 and parts[1].startswith("REG_"):
                values[parts[0]] = parts[2].strip()
        return values


@pytest.fixture(scope="module")
def wine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wine]:
    _needed("wine", "wine wine64 wine32:i386")
    _needed("wineserver", "wine")
    tmp = tmp_path_factory.mktemp("wine")
    home = tmp / "home"  # wine links the user's Desktop to $HOME's: keep it in tmp
    home.mkdir()
    env = {
        **os.environ,
        "WINEPREFIX": str(tmp / "prefix"),
        "WINEDEBUG": "-all",
        "WINEDLLOVERRIDES": "mscoree,mshtml=",  # no Mono/Gecko install prompts
        "HOME": str(home),
        "DISPLAY": "",
        "LC_ALL": "C.UTF-8",
        "LANG": "C.UTF-8",
    }
    started = time.monotonic()
    subprocess.run(
        ["wineboot", "-i"], env=env, capture_output=True, timeout=WINE_TIMEOUT_S, check=True
    )
    wine = Wine(tmp / "prefix", env, 0.0)
    wine.wait()
    wine.boot_seconds = time.monotonic() - started
    print(f"\nwineboot -i took {wine.boot_seconds:.0f} s")
    yield wine
    subprocess.run(["wineserver", "-k"], env=env, timeout=60, check=False)


def _payload(folder: Path, version: str) -> Path:
    """A folder shaped like the bundle, with a file only this version has."""
    (folder / "_internal").mkdir(parents=True)
    for name in ("pishkhan.exe", "pishkhan-console.exe"):
        (folder / name).write_bytes(b"MZ" + version.encode())
    (folder / "_internal" / f"only-in-{version}.txt").write_text(version, encoding="utf-8")
    return folder


def _installer(tmp: Path, version: str) -> Path:
    makensis = _needed("makensis", "nsis")
    out = tmp / f"pishkhan-{version}-installer.exe"
    proc = build_installer.build(
        _payload(tmp / f"payload-{version}", version),
        out,
        fast=True,
        makensis=makensis,
        version=version,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_install_upgrade_over_an_update_and_uninstall_keeping_the_data(
    wine: Wine, tmp_path: Path
) -> None:
    first, second = _installer(tmp_path, "1.0.0"), _installer(tmp_path, "1.1.0")

    # A silent per-user install: files, shortcuts, the Apps & features entry.
    proc = wine.run(first, "/S")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    program = wine.program_dir
    assert (program / "pishkhan.exe").read_bytes() == b"MZ1.0.0"
    assert (program / "_internal" / "only-in-1.0.0.txt").is_file()
    assert (program / "uninstall.exe").is_file()
    assert [p.name for p in wine.shortcuts()] == [SHORTCUT, SHORTCUT]
    entry = wine.uninstall_entry()
    assert entry is not None and entry["DisplayVersion"] == "1.0.0"
    assert entry["QuietUninstallString"].endswith(r'\uninstall.exe" /S')
    assert entry["InstallLocation"].endswith(r"\Programs\Pishkhan")

    # The program ran, kept its data, and its updater staged and switched to 1.0.5 in a
    # folder of its own (updates.pointer's layout), keeping a download's part.
    data = wine.data_dir
    data.mkdir(parents=True)
    (data / "pishkhan.sqlite3").write_bytes(b"the clerk's requests")
    staged = program / "versions" / "1.0.5"
    (staged / "_internal").mkdir(parents=True)
    (staged / "pishkhan.exe").write_bytes(b"MZ1.0.5")
    (program / "versions" / "pointer.json").write_text('{"current": "1.0.5"}')
    (program / "update-state" / "downloads").mkdir(parents=True)
    (program / "update-state" / "downloads" / "x.patch.tar.xz.part").write_bytes(b"x" * 100)

    # An installer of a newer version over it: the folder replaced wholesale, so the
    # update's folders go (the new base is newer than what they held), the data stays.
    proc = wine.run(second, "/S")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (program / "pishkhan.exe").read_bytes() == b"MZ1.1.0"
    assert sorted(p.name for p in program.iterdir()) == [
        "_internal",
        "pishkhan-console.exe",
        "pishkhan.exe",
        "uninstall.exe",
    ]
    assert [p.name for p in (program / "_internal").iterdir()] == ["only-in-1.1.0.txt"]
    entry = wine.uninstall_entry()
    assert entry is not None and entry["DisplayVersion"] == "1.1.0"
    assert len(wine.shortcuts()) == 2
    assert (data / "pishkhan.sqlite3").read_bytes() == b"the clerk's requests"

    # The silent uninstall: program, shortcuts and entry gone; the data folder kept.
    proc = wine.run(program / "uninstall.exe", "/S")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not program.exists()
    assert wine.shortcuts() == []
    assert wine.uninstall_entry() is None
    assert (data / "pishkhan.sqlite3").read_bytes() == b"the clerk's requests"
