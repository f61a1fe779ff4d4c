"""Old versions' folders are removed after a successful switch: the current and the
previous one stay (the previous is what a failed start falls back to), the installer's
base is never touched, and a staging cut short goes too. Through the real stage, the real
launcher's switch, and the runner's first step."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from desktop.updater import UpdateRunner
from tests.updates.conftest import Published, make_bundle
from updates import archive
from updates.launcher import choose
from updates.pointer import SWITCHED, Hold, Pointer, prune, stage


def _switch_to(root: Path, tmp: Path, version: str) -> None:
    bundle = make_bundle(tmp / f"b-{version}", version, changed=version.encode() * 50)
    full = tmp / f"{version}.tar.xz"
    archive.write_full(bundle, version, full, preset=1)
    stage(root, full, version=version, installed=None)
    assert choose(root, "pishkhan") == root / "versions" / version


def test_after_two_switches_only_the_current_and_the_previous_stay(
    published: Published, tmp_path: Path
) -> None:
    root = tmp_path / "Programs" / "Pishkhan"
    shutil.copytree(published.old, root, symlinks=True)
    base_files = sorted(p.name for p in root.iterdir())
    for version in ("1.1.0", "1.2.0", "1.3.0"):
        _switch_to(root, tmp_path, version)
    (root / "versions" / ".incoming-1.4.0" / "_internal").mkdir(parents=True)  # a cut staging
    pointer = Pointer.read(root)
    assert (pointer.current, pointer.previous, pointer.state) == ("1.3.0", "1.2.0", SWITCHED)
    runner = UpdateRunner(
        root=root,
        installed_version="1.3.0",
        base_url=published.base_url,
        trusted_root=published.repo.trusted_root(),
        waiting=lambda: 1,  # requests wait: no check, but the folders are cleaned
        check_every_s=0.0,
    )
    runner.step()
    left = sorted(p.name for p in (root / "versions").iterdir())
    assert left == ["1.2.0", "1.3.0", "pointer.json"]
    expected = sorted({*base_files, "versions", "update-state"})
    assert sorted(p.name for p in root.iterdir()) == expected
    # The fallback still starts: the previous version's program is whole.
    assert archive.make_manifest(root / "versions" / "1.2.0", "1.2.0").entries
    assert prune(root) == []  # nothing more to remove


def test_a_pending_version_and_a_rolled_back_one(tmp_path: Path) -> None:
    root = tmp_path / "Pishkhan"
    for version in ("1.1.0", "1.2.0", "1.3.0"):
        (root / "versions" / version).mkdir(parents=True)
    # 1.2.0 failed its start check; 1.3.0 waits for the next start.
    Pointer(current="1.1.0", pending="1.3.0", failed=["1.2.0"]).write(root)
    assert prune(root) == ["1.2.0"]
    assert sorted(p.name for p in (root / "versions").iterdir()) == [
        "1.1.0",
        "1.3.0",
        "pointer.json",
    ]
    assert prune(tmp_path / "never-updated") == []


def test_a_postponement_goes_once_its_version_is_no_longer_waiting(tmp_path: Path) -> None:
    root = tmp_path / "Pishkhan"
    (root / "versions" / "1.3.0").mkdir(parents=True)
    Pointer(current="1.1.0", pending="1.3.0").write(root)
    until = dt.datetime(2026, 12, 20, tzinfo=dt.UTC)
    Hold("1.3.0", until).write(root)
    prune(root)
    assert Hold.read(root) == Hold("1.3.0", until)  # still waiting: the hold stays
    Pointer(current="1.3.0", previous="1.1.0").write(root)  # the launcher switched
    prune(root)
    assert Hold.read(root) is None and not (root / "versions" / "hold.json").exists()
