"""What the start imports while the login window is up (issue 13's start-up goal).

The worker imports the store's modules and ``ui.app.WARM_MODULES`` while the clerk types,
holding the GIL the GUI thread paints with. The updater is among them (through the sync
command line); its TUF side (python-tuf, securesystemslib with every cloud signer,
cryptography's primitives: ~0.7 s under PySide6's import hook) must wait for an update
check, which runs on the updater's own thread, if ever. Each check runs in a fresh
process, so nothing another test imported counts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VERIFYING_SIDE = ("tuf", "securesystemslib", "updates.repository")


def _loaded_after(code: str) -> list[str]:
    """The modules of ``VERIFYING_SIDE`` loaded after running ``code`` in a fresh process."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    modules = json.loads(proc.stdout.strip().splitlines()[-1])
    return [m for m in modules if m.split(".")[0] in VERIFYING_SIDE or m in VERIFYING_SIDE]


def test_the_modules_warmed_at_the_login_leave_the_update_verification_out() -> None:
    loaded = _loaded_after(
        "import importlib, ui.app\n"
        "for name in ('desktop.keyslots_setup', 'desktop.catalog_store', *ui.app.WARM_MODULES):\n"
        "    importlib.import_module(name)\n"
        "import desktop.updater"
    )
    assert loaded == []


def test_an_update_client_is_made_without_tuf_and_its_check_loads_it(tmp_path: Path) -> None:
    # The runner makes its client when the context is built (GUI thread); the check that
    # needs python-tuf runs later on the updater's thread. Whatever the check then says
    # (here: a root that is not one), it has loaded what verifies.
    made = _loaded_after(
        "from pathlib import Path\n"
        "from updates.client import UpdateClient\n"
        f"UpdateClient(base_url='http://127.0.0.1:9', state_dir=Path({str(tmp_path)!r}),\n"
        "    trusted_root=b'{}', installed_version='1.0.0')"
    )
    assert made == []
    checked = _loaded_after(
        "from pathlib import Path\n"
        "from updates.client import UpdateClient\n"
        f"client = UpdateClient(base_url='http://127.0.0.1:9', state_dir=Path({str(tmp_path)!r}),\n"
        "    trusted_root=b'{}', installed_version='1.0.0')\n"
        "try:\n"
        "    client.check()\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__)\n"
    )
    assert "tuf.api.metadata" in checked and "tuf.ngclient" in checked
