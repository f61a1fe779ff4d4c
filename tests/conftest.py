"""Suite-wide configuration: no screen needed, cheap password hashing, and how the suite is
shared between pytest-xdist workers (``python3 dev.py test`` runs one a core; docs/TESTING.md).

Under xdist with ``--dist loadfile`` every test file is one unit of work, so a module-scoped
fixture (a browser, a server, the Wine prefix, the two-node stack) starts once, not once a
worker. The files that use the frozen bundle (``BUNDLE_FILES``) are one unit together, so
PyInstaller builds it once a run, and that unit goes first: it is the longest chain (two
PyInstaller builds and the xz of two 180 MB bundles) and would otherwise be the run's tail.
Without xdist nothing here changes the order.

(pytest-xdist's own ``loadgroup``, which would group by a mark, renames node ids through an
attribute pytest 9 no longer reads, so it silently groups nothing here.)
"""

from __future__ import annotations

import os
from typing import Any

import pytest

# pytest-qt has no ini option for the platform plugin; without it the run aborts
# on a machine with no screen (see shared/FACTS.md).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# argon2's production parameters cost ~0.1 s a hash; tests use cheap ones.
os.environ.setdefault("PISHKHAN_CHEAP_HASHES", "1")

BUNDLE_UNIT = "frozen bundle"
# Every file with a test that asks for ``frozen_bundle`` (checked at collection).
BUNDLE_FILES = frozenset(
    {
        "tests/packaging/test_bundle.py",
        "tests/packaging/test_installer.py",
        "tests/packaging/test_real_update.py",
    }
)


def unit_of(nodeid: str) -> str:
    """The unit of work a test belongs to under xdist: its file, or the bundle's unit."""
    path = nodeid.split("::", 1)[0]
    return BUNDLE_UNIT if path in BUNDLE_FILES else path


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not hasattr(config, "workerinput"):
        return  # not an xdist worker: plain order
    strays = sorted(
        {
            item.nodeid.split("::", 1)[0]
            for item in items
            if "frozen_bundle" in getattr(item, "fixturenames", ())
            and unit_of(item.nodeid) != BUNDLE_UNIT
        }
    )
    if strays:
        raise pytest.UsageError(
            f"{', '.join(strays)} use frozen_bundle: add them to BUNDLE_FILES in tests/conftest.py"
            " (else each xdist worker builds the bundle again)"
        )
    # Longest chain first (dev.py passes --no-loadscope-reorder so this order is kept).
    items.sort(key=lambda item: unit_of(item.nodeid) != BUNDLE_UNIT)


@pytest.hookimpl(optionalhook=True)  # an xdist hook: absent without pytest-xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadfile":
        return None  # another --dist asked for: xdist's own scheduler
    from xdist.scheduler import LoadFileScheduling

    class BundleAsOneFile(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    return BundleAsOneFile(config, log)
