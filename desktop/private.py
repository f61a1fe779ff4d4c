"""The data folder and its files belong to the person using this PC account, no one else.

The folder holds citizens' names and national codes, and the device token: on Linux the
folder is made 0700 and the program's files 0600 (whatever the umask), also when they
already exist with looser modes from an older program. On Windows the folder gets an ACL
that grants the current user alone full control and drops the inherited entries
(``icacls <dir> /inheritance:r /grant:r <user>:(OI)(CI)F``); files made inside inherit it.
The Windows path is written here but runs only on Windows (not tested on this machine).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

log = logging.getLogger("pishkhan.store")

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) if needed and make it the user's alone."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if sys.platform == "win32":
        _windows_user_only(path)
    else:
        os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty if it is not there (mode 0600), else narrow it to 0600."""
    if sys.platform == "win32":
        path.touch(exist_ok=True)  # the folder's ACL is inherited
        return path
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


def narrow_existing(*paths: Path) -> None:
    """0600 for whichever of ``paths`` exist (SQLite's -wal/-shm files, say)."""
    if sys.platform == "win32":
        return
    for p in paths:
        try:
            os.chmod(p, FILE_MODE)
        except FileNotFoundError:
            continue


def _windows_user_only(path: Path) -> None:
    import subprocess  # only here: the start of the program does not pay for it

    user = os.environ.get("USERNAME") or os.getlogin()
    domain = os.environ.get("USERDOMAIN")
    who = f"{domain}\\{user}" if domain else user
    result = subprocess.run(
        ["icacls", str(path), "/inheritance:r", "/grant:r", f"{who}:(OI)(CI)F"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        # Not fatal: the folder is under the user's profile, private by default there.
        log.warning("could not restrict %s to %s: %s", path, who, result.stderr.strip())
