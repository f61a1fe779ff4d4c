"""Real PyInstaller bundles of the stub program (tests/updates/stub), cached under /tmp.

Building the whole counter program twice (N and N+1) would cost minutes of the two shared
cores on every run; the stub goes through the same tool, one-folder mode and launcher code
in seconds. A build is cached by the hash of its inputs (the stub, the updates package,
the version and the self-check answer), so a second run of the suite builds nothing.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STUB = Path(__file__).resolve().parent / "stub" / "stubapp.py"
CACHE = Path(os.environ.get("PISHKHAN_STUB_CACHE", "/tmp/pishkhan-update-stubs"))
BUILD_TIMEOUT_S = 600
PAYLOAD_BYTES = 256 * 1024


def _inputs_hash(version: str, self_check_ok: bool) -> str:
    digest = hashlib.sha256(
        f"{version}|{self_check_ok}|{sys.version}|strip|{PAYLOAD_BYTES}".encode()
    )
    for path in [STUB, *sorted((ROOT / "updates").glob("*.py"))]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def stub_bundle(version: str, *, self_check_ok: bool = True) -> Path:
    """The one-folder bundle ``.../stubapp`` of the stub at ``version`` (built once)."""
    key = _inputs_hash(version, self_check_ok)
    done = CACHE / key / "dist" / "stubapp"
    if (done / "stubapp").is_file():
        return done
    work = CACHE / f"{key}.building-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    src = work / "src"
    src.mkdir(parents=True)
    shutil.copy(STUB, src / "stubapp.py")
    # A resource that every release changes whole (as a new catalogue or translation
    # would): the patch then has some weight, enough for a cut line to cut it.
    (src / "release-notes.bin").write_bytes(random.Random(version).randbytes(PAYLOAD_BYTES))
    (src / "stub_build.py").write_text(
        f"VERSION = {version!r}\nSELF_CHECK_OK = {self_check_ok!r}\n", encoding="utf-8"
    )
    proc = subprocess.run(
        [
            sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
            "--onedir", "--strip", "--name", "stubapp",
            "--add-data", f"{src / 'release-notes.bin'}{os.pathsep}.",
            "--paths", str(ROOT), "--paths", str(src),
            "--distpath", str(work / "dist"), "--workpath", str(work / "build"),
            "--specpath", str(work), str(src / "stubapp.py"),
        ],
        cwd=work, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"PyInstaller failed:\n{proc.stdout}\n{proc.stderr}")
    final = CACHE / key
    shutil.rmtree(final, ignore_errors=True)
    final.mkdir(parents=True)
    os.replace(work / "dist", final / "dist")
    shutil.rmtree(work, ignore_errors=True)
    return done
