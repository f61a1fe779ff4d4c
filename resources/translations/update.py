"""Refresh the Persian translations of the UI: extract strings, list what is untranslated, compile.

    .venv/bin/python resources/translations/update.py

1. ``pyside6-lupdate`` reads every ``self.tr("...")`` / ``QCoreApplication.translate(...)``
   in ``ui/*.py`` into ``pishkhan_fa.ts`` (translations already made are kept; strings no
   longer in the code are dropped).
2. Untranslated strings are listed: translate them in ``pyside6-linguist pishkhan_fa.ts``
   or by editing the .ts (remove ``type="unfinished"`` once translated), then run again.
3. ``pyside6-lrelease`` compiles ``pishkhan_fa.qm``; it is committed with the .ts
   (small, deterministic), and ``tests/ui/test_app_flow.py`` checks both are current.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TS = HERE / "pishkhan_fa.ts"
QM = HERE / "pishkhan_fa.qm"


def tool(name: str) -> str:
    folder = Path(sys.executable).parent
    for candidate in (folder / name, folder / f"{name}.exe"):
        if candidate.exists():
            return str(candidate)
    raise SystemExit(f"{name} not found next to {sys.executable} (PySide6 installs it)")


def untranslated(ts: Path) -> list[str]:
    out = []
    for message in ET.parse(ts).getroot().iter("message"):
        translation = message.find("translation")
        if translation is None or translation.get("type") == "unfinished":
            out.append(str(message.findtext("source")))
    return out


def main() -> int:
    sources = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "ui").glob("*.py"))
    subprocess.run(
        [tool("pyside6-lupdate"), *sources, "-no-obsolete", "-locations", "none", "-ts", str(TS)],
        cwd=ROOT,
        check=True,
    )
    missing = untranslated(TS)
    for source in missing:
        print(f"untranslated: {source!r}")
    subprocess.run([tool("pyside6-lrelease"), str(TS), "-qm", str(QM)], check=True)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
