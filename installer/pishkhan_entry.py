"""The script PyInstaller freezes: the same entry point as ``python -m desktop``.

PyInstaller needs a script file, not ``-m package``. Keeping the real logic in
``desktop.__main__`` means the frozen program and the source program cannot
drift apart: this file only hands over to it.

Before that (issue 16, docs/UPDATES.md): ``updates.launcher.hand_over`` starts the
version the pointer names (switching to a staged update after its ``--self-check``, or
rolling back), and ``--self-check`` itself is the frozen smoke run (a temporary data
folder, the migrations, the login window, exit 0).
"""

from __future__ import annotations

import sys
from pathlib import Path

from updates.launcher import SELF_CHECK_ARG, hand_over

if __name__ == "__main__":
    # The console executable hands over to its own twin in the chosen version.
    code = hand_over(sys.argv[1:], exe_name=Path(sys.executable).stem)
    if code is not None:
        sys.exit(code)
    if SELF_CHECK_ARG in sys.argv[1:]:
        sys.argv = [sys.argv[0], "--smoke"]
    from desktop.__main__ import main

    sys.exit(main())
