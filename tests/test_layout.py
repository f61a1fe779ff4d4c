"""The core stays Qt-free: every module of rules/, desktop/ and sync/ imports with Qt blocked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import importlib, pkgutil, sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "ui"):
            raise ImportError(f"core imported {name}")
        return None

sys.meta_path.insert(0, Block())
failed = []
for pkg_name in ("rules", "desktop", "sync"):
    pkg = importlib.import_module(pkg_name)
    for info in pkgutil.walk_packages(pkg.__path__, pkg_name + "."):
        if info.name.endswith("__main__") or ".migrations." in info.name + ".":
            continue
        try:
            importlib.import_module(info.name)
        except ImportError as exc:
            failed.append(f"{info.name}: {exc}")
print("\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_core_imports_without_qt() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_qt_import_statement_in_core() -> None:
    offenders = []
    for folder in ("desktop", "sync"):
        for path in (ROOT / folder).rglob("*.py"):
            for line in path.read_text(encoding="utf-8").splitlines():
                stripped = line.strip()
                if stripped.startswith(("import PySide6", "from PySide6", "import ui", "from ui")):
                    offenders.append(f"{path.relative_to(ROOT)}: {stripped}")
    assert offenders == []
