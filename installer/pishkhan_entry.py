"""The script PyInstaller freezes: the same entry point as ``python -m desktop``.

PyInstaller needs a script file, not ``-m package``. Keeping the real logic in
``desktop.__main__`` means the frozen program and the source program cannot
drift apart: this file only hands over to it.
"""

from __future__ import annotations

import sys

from desktop.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
