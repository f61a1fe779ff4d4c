"""Compile the Windows installer (installer/pishkhan.nsi) with NSIS's makensis.

    python installer/build_installer.py [--payload dist/pishkhan] [--out dist/...exe] [--fast]

The version comes from ``desktop.__version__`` (the same source as the
executables' version resource). makensis runs on Windows and, from Debian's
``nsis`` package, on Linux: the script is compiled on every CI run here, with
warnings treated as errors. ``--fast`` stores the payload uncompressed (tests).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCRIPT = HERE / "pishkhan.nsi"
ICON = ROOT / "resources" / "icons" / "pishkhan.ico"

sys.path[:0] = [str(HERE), str(ROOT)]
from version_info import version_tuple  # noqa: E402

from desktop import __version__  # noqa: E402


def find_makensis() -> str | None:
    found = shutil.which("makensis")
    if found:
        return found
    for base in (os.environ.get("ProgramFiles(x86)"), os.environ.get("ProgramFiles")):
        if base and (Path(base) / "NSIS" / "makensis.exe").is_file():
            return str(Path(base) / "NSIS" / "makensis.exe")
    return None


def installer_name(version: str = __version__) -> str:
    return f"pishkhan-{version}-setup.exe"


def build(
    payload: Path,
    out: Path,
    *,
    fast: bool = False,
    makensis: str | None = None,
    version: str = __version__,
) -> subprocess.CompletedProcess[str]:
    """Run makensis; the result carries its output. Raises if makensis is missing.

    ``version``: the program's own by default; tests pass two to install one over the
    other."""
    tool = makensis or find_makensis()
    if tool is None:
        raise FileNotFoundError("makensis not found (Debian: apt-get install nsis)")
    # A Linux bundle ("pishkhan") is accepted too: tests and bench.bundle pack it to
    # check the script and estimate the size; it is never shipped.
    if not any((payload / name).is_file() for name in ("pishkhan.exe", "pishkhan")):
        raise FileNotFoundError(f"{payload} holds no pishkhan executable: build the bundle first")
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [
        tool,
        "-V2",  # warnings and errors only
        "-WX",  # a warning is a mistake in the script: fail
        "-INPUTCHARSET",
        "UTF8",  # the script holds Persian text
        f"-DVERSION={version}",
        f"-DVERSION4={'.'.join(map(str, version_tuple(version)))}",
        f"-DPAYLOAD={payload.resolve()}",
        f"-DOUTFILE={out.resolve()}",
        f"-DICON={ICON}",
    ]
    if fast:
        command.append("-DFAST")
    command.append(str(SCRIPT))
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=HERE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payload", type=Path, default=ROOT / "dist" / "pishkhan")
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / installer_name())
    parser.add_argument("--fast", action="store_true", help="no compression (for tests)")
    args = parser.parse_args(argv)
    try:
        proc = build(args.payload, args.out, fast=args.fast)
    except FileNotFoundError as exc:
        print(f"build_installer: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    if proc.returncode == 0:
        print(f"build_installer: wrote {args.out}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
