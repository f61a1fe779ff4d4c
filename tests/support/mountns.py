"""A shell script run in a private mount namespace (``unshare``): what it mounts (a tiny
tmpfs filled to the last byte, say) lives and dies with it, and nothing outside sees it.

``PY`` (this interpreter), ``MNT`` (an empty folder to mount on), ``OUT`` (a folder for what
the script writes back) and ``PYTHONPATH`` (this tree) are in its environment, plus ``env``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_unshared(
    script: str, tmp_path: Path, **env: str
) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    """Run ``script`` with bash in its own mount namespace; (its result, MNT, OUT)."""
    mnt, out = tmp_path / "mnt", tmp_path / "out"
    mnt.mkdir()
    out.mkdir()
    unshare = ["unshare", "--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        unshare.insert(1, "--map-root-user")
    full_env = {
        **os.environ,
        "PY": sys.executable,
        "MNT": str(mnt),
        "OUT": str(out),
        "PYTHONPATH": str(ROOT),
        **env,
    }
    res = subprocess.run(
        [*unshare, "bash", "-c", script], env=full_env, capture_output=True, text=True, timeout=120
    )
    return res, mnt, out
