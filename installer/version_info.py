"""The Windows version resource of pishkhan.exe, made from ``desktop.__version__``.

Explorer's Properties → Details tab, support staff and the installer all read
the version from here, so it must be the package's version and nothing typed
by hand. ``build.spec`` passes the ``VSVersionInfo`` object straight to
PyInstaller's ``EXE(version=...)``; PyInstaller embeds it only when building on Windows.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PyInstaller.utils.win32.versioninfo import VSVersionInfo

COMPANY = "Pishkhan"
PRODUCT = "Pishkhan"
DESCRIPTION = "Pishkhan counter program"
COPYRIGHT = "Pishkhan"
# US English, Unicode code page: the language the Details tab shows first.
LANG_EN_US = 0x0409
CODEPAGE_UNICODE = 1200


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """``"1.2.3"`` → ``(1, 2, 3, 0)``; pre-release tails (``rc1``, ``.dev0``) are dropped.

    A Windows file version is four 16-bit numbers; anything else is refused so a
    malformed ``__version__`` fails the build rather than shipping as 0.0.0.0.
    """
    match = re.match(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?", version.strip())
    if not match:
        raise ValueError(f"not a version number: {version!r}")
    parts = tuple(int(p) if p is not None else 0 for p in match.groups())
    if any(p > 0xFFFF for p in parts):
        raise ValueError(f"version part above 65535 cannot go in a Windows resource: {version!r}")
    return parts  # type: ignore[return-value]


def windows_version_info(version: str, *, original_filename: str = "pishkhan.exe") -> VSVersionInfo:
    """The resource for one executable (the windowed and the console one differ in name)."""
    # PyInstaller's versioninfo module imports pefile, which PyInstaller installs
    # only on Windows: import it here, where the resource is actually used.
    from PyInstaller.utils.win32.versioninfo import (
        FixedFileInfo,
        StringFileInfo,
        StringStruct,
        StringTable,
        VarFileInfo,
        VarStruct,
        VSVersionInfo,
    )

    numbers = version_tuple(version)
    return VSVersionInfo(
        ffi=FixedFileInfo(
            filevers=numbers,
            prodvers=numbers,
            mask=0x3F,
            flags=0x0,
            OS=0x40004,  # VOS_NT_WINDOWS32
            fileType=0x1,  # VFT_APP
            subtype=0x0,
            date=(0, 0),
        ),
        kids=[
            StringFileInfo(
                [
                    StringTable(
                        f"{LANG_EN_US:04x}{CODEPAGE_UNICODE:04x}",
                        [
                            StringStruct("CompanyName", COMPANY),
                            StringStruct("FileDescription", DESCRIPTION),
                            StringStruct("FileVersion", version),
                            StringStruct("InternalName", original_filename.removesuffix(".exe")),
                            StringStruct("LegalCopyright", COPYRIGHT),
                            StringStruct("OriginalFilename", original_filename),
                            StringStruct("ProductName", PRODUCT),
                            StringStruct("ProductVersion", version),
                        ],
                    )
                ]
            ),
            VarFileInfo([VarStruct("Translation", [LANG_EN_US, CODEPAGE_UNICODE])]),
        ],
    )
