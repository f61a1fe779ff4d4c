"""The client's pushes of revision 3 (issue 11): without each item's hash once the server's
answers said it takes them, through the real server and the fault proxy (real sockets).

A third of a zstd push was the items' content hashes, random bytes no compression removes.
Here: the pushes go without them and are stored exactly once with the hashes the PC
computed; an item whose content no longer fits its stored hash is still named, by one
resend with the hashes; and a server that does not take revision 3 (an older one, or one
set to 2 during a rolling upgrade) never sees an item rejected for it: one refused push,
then the client forgets revision 3, in memory and in its remembered codings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from sync.client import SyncClient
from sync.codings import FILE_NAME
from sync.protocol import LEAN_REVISION, PROTOCOL_REVISION, REVISION_HEADER, RequestItem, convert
from tests.support.faultproxy import FaultProxy
from tests.support.server import RunningServer, sample_item, start_server


def _items(office: str, seqs: range) -> list[RequestItem]:
    return [convert(sample_item(office, seq), RequestItem) for seq in seqs]


def _client(url: str, device: object, **kw: object) -> SyncClient:
    return SyncClient(
        url,
        lambda: device.token,  # type: ignore[attr-defined]
        device_id=device.device_id,  # type: ignore[attr-defined]
        allow_insecure_http=True,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def proxy(server: RunningServer) -> Iterator[FaultProxy]:
    with FaultProxy("127.0.0.1", server.port) as running:
        yield running


def test_pushes_go_without_hashes_once_the_server_said_it_takes_them(
    server: RunningServer, proxy: FaultProxy
) -> None:
    office = server.add_office().code
    device = server.enrol(office)
    client = _client(proxy.url_for(), device, zstd=False)  # gzip both times: sizes compare
    try:
        assert client.server_revision == PROTOCOL_REVISION  # nothing heard yet
        proxy.reset_stats()
        first = client.push(_items(office, range(1, 101)))
        hashed_bytes = proxy.stats().bytes_client_to_server
        assert {r.status for r in first.results} == {"accepted"}
        assert client.server_revision == LEAN_REVISION  # the answer said so
        proxy.reset_stats()
        batch = _items(office, range(101, 201))
        second = client.push(batch)
        lean_bytes = proxy.stats().bytes_client_to_server
        assert {r.status for r in second.results} == {"accepted"}
        assert proxy.stats().requests == 1  # not refused and sent again
        assert lean_bytes < 0.8 * hashed_bytes, (lean_bytes, hashed_bytes)
        # Sent again (as after a lost answer): duplicates with the same codes, so what the
        # server stored under each id carries the hash this PC computed.
        again = client.push(batch)
        assert {r.status for r in again.results} == {"duplicate"}
        assert [r.tracking_code for r in again.results] == [r.tracking_code for r in second.results]
    finally:
        client.close()


def test_an_item_that_no_longer_fits_its_hash_is_named_and_the_others_go_in(
    server: RunningServer, proxy: FaultProxy
) -> None:
    office = server.add_office().code
    device = server.enrol(office)
    client = _client(proxy.url_for(), device)
    try:
        client.health()  # learns revision 3
        assert client.server_revision == LEAN_REVISION
        items = _items(office, range(1, 6))
        # As a damaged store could give it: the content changed after its hash was taken.
        items[2] = msgspec.structs.replace(items[2], reference="changed-after-the-save")
        proxy.reset_stats()
        answer = client.push(items, key="6f1c2e3a-4b5d-4e6f-8a7b-9c0d1e2f3a4b")
        statuses = [str(r.status) for r in answer.results]
        assert statuses == ["accepted", "accepted", "rejected", "accepted", "accepted"]
        assert answer.results[2].reasons is not None and "content_hash" in answer.results[2].reasons
        assert proxy.stats().requests == 2  # refused whole, then sent with the hashes
        assert client.server_revision == LEAN_REVISION  # the server still takes it
        # The receipt under the key is the answer of the push that was stored.
        receipt = client.receipt("6f1c2e3a-4b5d-4e6f-8a7b-9c0d1e2f3a4b", items)
        assert receipt is not None
        assert [str(r.status) for r in receipt.results] == statuses
    finally:
        client.close()


def test_a_server_at_revision_2_never_rejects_an_item_for_its_missing_hash(
    tmp_path: Path,
) -> None:
    with start_server(tmp_path / "srv", extra_args=("--protocol-revision", "2")) as old:
        health = old.session.get(old.url("/v1/health"), timeout=30)
        assert health.headers[REVISION_HEADER] == "2"
        office = old.add_office().code
        device = old.enrol(office)
        # A PC that remembers revision 3 from this address (the server was rolled back).
        remembered = tmp_path / FILE_NAME
        remembered.write_text(
            json.dumps({"format": 1, "server": old.base_url, "zstd_dict": None, "revision": 3}),
            encoding="utf-8",
        )
        with FaultProxy("127.0.0.1", old.port) as proxy:
            url = proxy.url_for()
            remembered.write_text(remembered.read_text().replace(old.base_url, url))
            client = _client(url, device, codings_file=remembered)
            try:
                assert client.server_revision == LEAN_REVISION
                answer = client.push(_items(office, range(1, 11)))
                assert {str(r.status) for r in answer.results} == {"accepted"}
                assert proxy.stats().requests == 2  # one refused whole, nothing stored
                assert client.server_revision == PROTOCOL_REVISION
            finally:
                client.close()
            assert json.loads(remembered.read_text())["revision"] == PROTOCOL_REVISION
            restarted = _client(url, device, codings_file=remembered)
            try:
                proxy.reset_stats()
                answer = restarted.push(_items(office, range(11, 21)))
                assert {str(r.status) for r in answer.results} == {"accepted"}
                assert proxy.stats().requests == 1  # straight to revision 2
            finally:
                restarted.close()
