"""Suite-wide configuration: no screen needed, cheap password hashing."""

from __future__ import annotations

import os

# pytest-qt has no ini option for the platform plugin; without it the run aborts
# on a machine with no screen (see shared/FACTS.md).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# argon2's production parameters cost ~0.1 s a hash; tests use cheap ones.
os.environ.setdefault("PISHKHAN_CHEAP_HASHES", "1")
