"""A small program frozen by PyInstaller exactly as the counter program is started.

Its entry does what ``installer/pishkhan_entry.py`` does before the program: hand over to
the version the pointer names (``updates.launcher.hand_over``). Then it answers
``--self-check`` as told at build time, or appends a line to ``runs.txt`` in the data folder
(``PISHKHAN_DATA_DIR``), which every version reads and writes: the same user data.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from stub_build import SELF_CHECK_OK, VERSION  # written next to this file for each build

from updates.launcher import SELF_CHECK_ARG, hand_over


def main() -> int:
    code = hand_over(sys.argv[1:], exe_name="stubapp")
    if code is not None:
        return code
    if SELF_CHECK_ARG in sys.argv[1:]:
        return 0 if SELF_CHECK_OK else 3
    data = Path(os.environ["PISHKHAN_DATA_DIR"])
    data.mkdir(parents=True, exist_ok=True)
    runs = data / "runs.txt"
    before = runs.read_text(encoding="utf-8") if runs.exists() else ""
    runs.write_text(before + f"{VERSION}\n", encoding="utf-8")
    print(f"Pishkhan stub {VERSION}, {len(before.splitlines())} runs before")
    return 0


if __name__ == "__main__":
    sys.exit(main())
