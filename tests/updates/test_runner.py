"""The counter's own update runner (desktop.updater) against the real server serving the
signed repository: it waits for a quiet round, downloads in resumable pieces through the
fault proxy, pauses while requests wait or the clerk saves, stages, and reports a state
the heartbeat carries; the launcher's switch then wins the report."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from desktop.db.engine import Store
from desktop.updater import (
    DOWNLOADING,
    REFUSED,
    TRUSTED_ROOT_NAME,
    UpdateRunner,
    UpdateStatus,
    program_root,
    reported_state,
    runner_for,
    update_url,
    work_waiting,
)
from tests.support.faultproxy import FaultProxy, LinkConfig
from tests.support.waiting import wait_until
from tests.updates.conftest import Published, flip_byte
from updates import archive
from updates.launcher import choose
from updates.pointer import READY, SWITCHED, UP_TO_DATE, Pointer


def _installed(published: Published, tmp_path: Path) -> Path:
    root = tmp_path / "Programs" / "Pishkhan"
    shutil.copytree(published.old, root, symlinks=True)
    return root


def _runner(
    published: Published,
    root: Path,
    waiting: list[int],
    seen: list[UpdateStatus],
    *,
    base_url: str | None = None,
) -> UpdateRunner:
    return UpdateRunner(
        root=root,
        installed_version="1.0.0",
        base_url=base_url or published.base_url,
        trusted_root=published.repo.trusted_root(),
        waiting=lambda: waiting[0],
        on_change=seen.append,
        check_every_s=0.0,
    )


def test_a_quiet_round_downloads_the_patch_and_stages_it(
    published: Published, tmp_path: Path
) -> None:
    root = _installed(published, tmp_path)
    waiting, seen = [2], []
    runner = _runner(published, root, waiting, seen)
    # Requests wait to be sent: the line is theirs, not even a check is made.
    assert runner.step().state == UP_TO_DATE
    assert not (root / "update-state" / "metadata" / "timestamp.json").exists()
    waiting[0] = 0
    status = runner.step()
    assert (status.state, status.version) == (READY, "1.1.0")
    assert seen[0].state == DOWNLOADING and seen[-1].state == READY
    pointer = Pointer.read(root)
    assert (pointer.current, pointer.pending) == (None, "1.1.0")
    assert archive.make_manifest(root / "versions" / "1.1.0", "1.1.0").entries == (
        archive.make_manifest(published.new, "1.1.0").entries
    )
    assert reported_state(root) == READY
    # The archive is gone once staged; a later step has nothing more to do.
    assert not list((root / "update-state" / "downloads").glob("*.patch.tar.xz*"))
    assert runner.step().state == READY
    # Nothing switched during work: at the next start the launcher does, and says so.
    assert choose(root, "pishkhan") == root / "versions" / "1.1.0"
    assert reported_state(root) == SWITCHED


def test_the_thread_steps_after_a_quiet_round_and_stops(
    published: Published, tmp_path: Path
) -> None:
    root = _installed(published, tmp_path)
    runner = _runner(published, root, [0], [])
    runner.start()
    try:
        assert not (root / "versions").exists()  # it waits for a quiet round
        runner.idle()
        wait_until(lambda: runner.status.state == READY, 60, what="no update staged")
    finally:
        runner.stop()
    assert not [t for t in threading.enumerate() if t.name == "pishkhan-updates"]


def test_a_save_midway_pauses_and_the_next_round_resumes_from_the_part(
    published: Published, tmp_path: Path
) -> None:
    root = _installed(published, tmp_path)
    waiting: list[int] = [0]
    saving = threading.Event()
    link = LinkConfig(rate_bps=4_000_000)
    held: list[object] = []

    def clerk_saves_at_a_third(status: UpdateStatus) -> None:
        if status.state == DOWNLOADING and status.done >= status.total // 3 and not held:
            busy = runner.gate.busy()
            busy.__enter__()  # the clerk's save starts (on the GUI's worker, really)
            held.append(busy)
            saving.set()

    with FaultProxy("127.0.0.1", published.server.port, config=link) as proxy:
        runner = UpdateRunner(
            root=root,
            installed_version="0.9.0",  # no patch from it: the whole bundle, worth cutting
            base_url=f"{proxy.url_for()}/updates/{published.name}",
            trusted_root=published.repo.trusted_root(),
            waiting=lambda: waiting[0],
            on_change=clerk_saves_at_a_third,
            check_every_s=0.0,
        )
        paused = runner.step()
        assert saving.is_set() and paused.state == DOWNLOADING
        [part] = (root / "update-state" / "downloads").glob("*.part")
        kept = part.stat().st_size
        assert 0 < kept < paused.total
        assert Pointer.read(root).pending is None
        # While the save runs, further rounds do not download.
        assert runner.step().state == DOWNLOADING and part.stat().st_size == kept
        held[0].__exit__(None, None, None)  # type: ignore[attr-defined]
        proxy.reset_stats()
        assert runner.step().state == READY
        # Resumed, not restarted: only the rest came down the line.
        assert proxy.stats().bytes_server_to_client < paused.total - kept + 20_000


def test_a_tampered_update_is_refused_and_reported(published: Published, tmp_path: Path) -> None:
    root = _installed(published, tmp_path)
    for target in (published.repo.repo_dir / "targets").glob("*.patch.tar.xz"):
        flip_byte(target, 500)
    seen: list[UpdateStatus] = []
    status = _runner(published, root, [0], seen).step()
    assert status.state == REFUSED
    assert status.message is not None and "signature" in status.message.en
    assert status.message.fa
    assert reported_state(root) == REFUSED
    assert Pointer.read(root).pending is None and not (root / "versions" / "1.1.0").exists()


def test_the_program_root_of_a_switched_version_is_the_installed_folder(tmp_path: Path) -> None:
    root = tmp_path / "Pishkhan"
    (root / "versions" / "1.1.0").mkdir(parents=True)
    Pointer(current="1.1.0").write(root)
    inner = str(root / "versions" / "1.1.0" / "pishkhan")
    assert program_root(inner, frozen=True) == root
    assert program_root(str(root / "pishkhan"), frozen=True) == root
    assert program_root(inner, frozen=False) is None
    assert reported_state(None) == ""
    assert update_url("https://centre.example/") == "https://centre.example/updates"
    assert update_url("https://a", "https://mirror/pishkhan/") == "https://mirror/pishkhan"


def test_an_installed_program_updates_only_with_its_signed_root_beside_it(
    published: Published, tmp_path: Path
) -> None:
    root = _installed(published, tmp_path)
    store = Store.open(tmp_path / "data")
    try:
        assert work_waiting(store) == 0
        assert runner_for(store, "http://127.0.0.1:1", root=root) is None  # no root shipped
        (root / "_internal" / TRUSTED_ROOT_NAME).write_bytes(published.repo.trusted_root())
        assert runner_for(store, "", root=root) is None  # not enrolled: no server yet
        runner = runner_for(
            store,
            published.server.url(""),
            root=root,
            installed_version="1.0.0",
            configured_url=published.base_url,  # the setting update_url
        )
        assert runner is not None
        assert runner.step().state == READY
    finally:
        store.close()
