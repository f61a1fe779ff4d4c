"""Downloads through the project's fault proxy: a cut line resumes where it stopped; the
clerk's work and waiting requests pause the download; the result is verified by TUF."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.faultproxy import FaultProxy, LinkConfig
from tests.updates.conftest import Published
from updates.client import UpdateClient
from updates.download import Paused, Progress
from updates.gate import UpdateGate


def _client_via(proxy: FaultProxy, published: Published, state: Path) -> UpdateClient:
    return UpdateClient(
        base_url=f"{proxy.url_for()}/updates/{published.name}",
        state_dir=state,
        trusted_root=published.repo.trusted_root(),
        installed_version="0.9.0",  # no patch for it: the full archive, large enough to cut
    )


def test_a_cut_line_resumes_from_where_it_stopped(published: Published, tmp_path: Path) -> None:
    port = published.server.port
    with FaultProxy("127.0.0.1", port, config=LinkConfig(rate_bps=4_000_000)) as proxy:
        client = _client_via(proxy, published, tmp_path / "pc")
        offer = client.check()
        assert offer is not None and offer.kind == "full"
        cut_at: list[int] = []

        def on_progress(progress: Progress) -> None:
            if not cut_at and progress.done >= progress.total // 3:
                cut_at.append(progress.done)
                proxy.set_config(proxy.config.replace(refuse_connections=True))

        def may_continue() -> bool:
            if cut_at and proxy.config.refuse_connections and proxy.stats().refused >= 2:
                proxy.set_config(proxy.config.replace(refuse_connections=False))
            return True

        path, progress = client.download(
            offer.target, on_progress=on_progress, may_continue=may_continue
        )
        assert proxy.stats().refused >= 2
    assert path.stat().st_size == offer.target.length
    # The first resumed request asked for the bytes after those already on disk.
    assert progress.resumed_at and progress.resumed_at[0] >= cut_at[0] - 64 * 1024
    assert progress.resumed_at[0] >= offer.target.length // 3 - 64 * 1024
    assert progress.resumed_at[0] < offer.target.length


def test_waiting_requests_and_the_clerks_save_pause_the_download(
    published: Published, tmp_path: Path
) -> None:
    waiting = [0]
    gate = UpdateGate(waiting=lambda: waiting[0])
    with FaultProxy("127.0.0.1", published.server.port, config=LinkConfig()) as proxy:
        client = _client_via(proxy, published, tmp_path / "pc")
        offer = client.check()
        assert offer is not None
        waiting[0] = 3  # three requests wait to be sent: not a byte of the update
        with pytest.raises(Paused):
            client.download(offer.target, may_continue=gate.may_continue)
        assert proxy.stats().bytes_server_to_client < 20_000  # metadata only
        waiting[0] = 0
        with gate.busy():  # the clerk saves
            with pytest.raises(Paused):
                client.download(offer.target, may_continue=gate.may_continue)
        seen: list[int] = []

        def pause_midway() -> bool:
            seen.append(1)
            return len(seen) < 4  # a few pieces, then the clerk prints

        with pytest.raises(Paused):
            client.download(offer.target, may_continue=pause_midway)
        part = next(client.downloads_dir.glob("*.part"))
        kept = part.stat().st_size
        assert 0 < kept < offer.target.length
        path, progress = client.download(offer.target, may_continue=gate.may_continue)
    assert progress.resumed_at == [kept]
    assert path.stat().st_size == offer.target.length
