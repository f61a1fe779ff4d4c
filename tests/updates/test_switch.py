"""End to end on real frozen bundles: a PC on 1.0.0 updates to 1.1.0 over a cut line,
switches at the next start, runs the new version on the same data; a new version that
fails its own start check is rolled back and the old one starts.

The bundles are PyInstaller builds of the stub program (tests/updates/frozen.py says why
not of the whole counter program); the launcher in them is the real ``updates.launcher``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.faultproxy import FaultProxy, LinkConfig
from tests.support.server import RunningServer, start_server
from tests.updates.conftest import new_repository
from tests.updates.frozen import stub_bundle
from updates import archive
from updates.client import UpdateClient
from updates.download import Progress
from updates.pointer import ROLLED_BACK, STATE_DIR, SWITCHED, Pointer, stage
from updates.repository import Repository


@dataclass
class Releases:
    repo: Repository
    server: RunningServer
    v1: Path
    v2: Path


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Releases]:
    tmp = tmp_path_factory.mktemp("frozen-releases")
    v1, v2 = stub_bundle("1.0.0"), stub_bundle("1.1.0")
    repo = new_repository(tmp)
    repo.xz_preset = 1
    repo.publish(v1, "1.0.0")
    repo.publish(v2, "1.1.0")
    with start_server(tmp / "server", extra_args=("--updates-dir", str(repo.repo_dir))) as server:
        yield Releases(repo=repo, server=server, v1=v1, v2=v2)


def _start(program_root: Path, data: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PISHKHAN_LAUNCHED")}
    env["PISHKHAN_DATA_DIR"] = str(data)
    return subprocess.run(
        [str(program_root / "stubapp")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_update_over_a_cut_line_switches_at_the_next_start(
    releases: Releases, tmp_path: Path
) -> None:
    root = tmp_path / "Programs" / "Pishkhan"
    shutil.copytree(releases.v1, root, symlinks=True)
    data = tmp_path / "data"
    assert "stub 1.0.0" in _start(root, data).stdout
    link = LinkConfig(rate_bps=1_000_000)  # the patch takes ~2 s
    with FaultProxy("127.0.0.1", releases.server.port, config=link) as proxy:
        client = UpdateClient(
            base_url=f"{proxy.url_for()}/updates",
            state_dir=root / STATE_DIR,
            trusted_root=releases.repo.trusted_root(),
            installed_version="1.0.0",
        )
        offer = client.check()
        assert offer is not None and offer.kind == "patch"
        assert offer.size * 10 < offer.full.length
        cut: list[int] = []

        def on_progress(progress: Progress) -> None:
            if not cut and progress.done >= progress.total // 3:
                cut.append(progress.done)
                proxy.set_config(proxy.config.replace(refuse_connections=True))

        def may_continue() -> bool:
            if cut and proxy.config.refuse_connections and proxy.stats().refused >= 1:
                proxy.set_config(proxy.config.replace(refuse_connections=False))
            return True

        path, progress = client.download(
            offer.target, on_progress=on_progress, may_continue=may_continue
        )
    assert cut and progress.resumed_at and progress.resumed_at[0] >= cut[0]
    stage(root, path, version="1.1.0", installed=root)
    # Nothing switched during work: the running version is still the old one.
    assert Pointer.read(root).current is None
    started = _start(root, data)
    assert "stub 1.1.0, 1 runs before" in started.stdout
    pointer = Pointer.read(root)
    assert (pointer.current, pointer.previous, pointer.state) == ("1.1.0", None, SWITCHED)
    assert "stub 1.1.0, 2 runs before" in _start(root, data).stdout
    assert (data / "runs.txt").read_text().split() == ["1.0.0", "1.1.0", "1.1.0"]
    # The installed base is untouched, the new version lives in its own folder.
    assert archive.make_manifest(root / "versions" / "1.1.0", "1.1.0").entries == (
        archive.make_manifest(releases.v2, "1.1.0").entries
    )


def test_a_version_that_fails_its_start_check_is_rolled_back(tmp_path: Path) -> None:
    v1, broken = stub_bundle("1.0.0"), stub_bundle("1.1.0", self_check_ok=False)
    root = tmp_path / "Programs" / "Pishkhan"
    shutil.copytree(v1, root, symlinks=True)
    patch = tmp_path / "patch.tar.xz"
    archive.write_patch(v1, "1.0.0", broken, "1.1.0", patch, preset=1)
    stage(root, patch, version="1.1.0", installed=root)
    data = tmp_path / "data"
    assert "stub 1.0.0, 0 runs before" in _start(root, data).stdout
    pointer = Pointer.read(root)
    assert (pointer.current, pointer.pending, pointer.state) == (None, None, ROLLED_BACK)
    assert pointer.failed == ["1.1.0"]
    assert "stub 1.0.0, 1 runs before" in _start(root, data).stdout  # no second try
