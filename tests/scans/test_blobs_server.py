"""The resumable upload protocol against the real server (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import hashlib
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.server import (
    EnrolledDevice,
    RunningServer,
    postgres_base_url,
    postgres_schema_url,
    start_server,
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningServer]:
    if request.param == "sqlite":
        with start_server(tmp_path / "server") as running:
            yield running
        return
    base = postgres_base_url()
    assert base is not None
    with (
        postgres_schema_url(base) as url,
        start_server(tmp_path / "server", database_url=url) as running,
    ):
        yield running


def _checksum(chunk: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(chunk).digest()).decode()


def _create(server: RunningServer, device: EnrolledDevice, data: bytes) -> requests.Response:
    return server.session.post(
        server.url("/v1/blobs"),
        json={"sha256": hashlib.sha256(data).hexdigest(), "length": len(data)},
        headers=device.headers,
        timeout=30,
    )


def _patch(
    server: RunningServer,
    device: EnrolledDevice,
    sha: str,
    offset: int,
    chunk: bytes,
    checksum: str | None = None,
) -> requests.Response:
    return server.session.patch(
        server.url(f"/v1/blobs/{sha}"),
        data=chunk,
        headers={
            **device.headers,
            "Upload-Offset": str(offset),
            "Upload-Checksum": checksum or _checksum(chunk),
            "Content-Type": "application/offset+octet-stream",
        },
        timeout=30,
    )


def _head(server: RunningServer, device: EnrolledDevice, sha: str) -> requests.Response:
    return server.session.head(server.url(f"/v1/blobs/{sha}"), headers=device.headers, timeout=30)


def _send_from(
    server: RunningServer, device: EnrolledDevice, data: bytes, offset: int, chunk: int
) -> int:
    sha = hashlib.sha256(data).hexdigest()
    chunks = 0
    while offset < len(data):
        piece = data[offset : offset + chunk]
        answer = _patch(server, device, sha, offset, piece)
        assert answer.status_code == 204, answer.text
        offset = int(answer.headers["Upload-Offset"])
        chunks += 1
    return chunks


def _device(server: RunningServer) -> EnrolledDevice:
    return server.enrol(server.add_office().code)


def test_upload_in_chunks_resume_and_read_back(server: RunningServer) -> None:
    device = _device(server)
    data = random.Random(1).randbytes(300_000)
    sha = hashlib.sha256(data).hexdigest()
    created = _create(server, device, data)
    assert created.status_code == 201 and created.json()["offset"] == 0
    first = _patch(server, device, sha, 0, data[:100_000])
    assert first.status_code == 204 and first.headers["Upload-Offset"] == "100000"
    assert _head(server, device, sha).headers["Upload-Offset"] == "100000"
    again = _create(server, device, data)  # the PC restarted: same upload, same offset
    assert again.status_code == 200 and again.json()["offset"] == 100_000
    assert _send_from(server, device, data, 100_000, 64 * 1024) == 4
    got = server.session.get(server.url(f"/v1/blobs/{sha}"), headers=device.headers, timeout=30)
    assert got.status_code == 200 and got.content == data
    done = _create(server, device, data)  # sending it again makes no second blob
    assert done.status_code == 200 and done.json()["offset"] == len(data)


def test_wrong_offset_is_409_with_the_servers_offset(server: RunningServer) -> None:
    device = _device(server)
    data = random.Random(2).randbytes(50_000)
    sha = hashlib.sha256(data).hexdigest()
    _create(server, device, data)
    assert _patch(server, device, sha, 0, data[:20_000]).status_code == 204
    replay = _patch(server, device, sha, 0, data[:20_000])  # a retry whose answer was lost
    assert replay.status_code == 409 and replay.headers["Upload-Offset"] == "20000"
    ahead = _patch(server, device, sha, 30_000, data[30_000:40_000])
    assert ahead.status_code == 409 and ahead.headers["Upload-Offset"] == "20000"
    assert replay.json()["message_fa"] and replay.json()["message_en"]


def test_bad_chunks_are_4xx_with_a_reason_per_field(server: RunningServer) -> None:
    device = _device(server)
    data = random.Random(3).randbytes(10_000)
    sha = hashlib.sha256(data).hexdigest()
    _create(server, device, data)
    wrong = _patch(server, device, sha, 0, data[:5000], checksum=_checksum(b"other"))
    assert wrong.status_code == 422 and "Upload-Checksum" in wrong.json()["fields"]
    garbled = _patch(server, device, sha, 0, data[:5000], checksum="md5 xyz")
    assert garbled.status_code == 422 and "Upload-Checksum" in garbled.json()["fields"]
    past = _patch(server, device, sha, 0, data + b"extra")
    assert past.status_code == 422 and "body" in past.json()["fields"]
    bad_offset = server.session.patch(
        server.url(f"/v1/blobs/{sha}"),
        data=b"x",
        headers={**device.headers, "Upload-Offset": "-1", "Upload-Checksum": _checksum(b"x")},
        timeout=30,
    )
    assert bad_offset.status_code == 422 and "Upload-Offset" in bad_offset.json()["fields"]
    assert _head(server, device, "zz" * 32).status_code == 422
    assert _head(server, device, "ab" * 32).status_code == 404
    huge = server.session.post(
        server.url("/v1/blobs"),
        json={"sha256": "ab" * 32, "length": 1 << 30},
        headers=device.headers,
        timeout=30,
    )
    assert huge.status_code == 413
    unknown = server.session.post(
        server.url("/v1/blobs"), json={"sha256": "ab" * 32}, headers=device.headers, timeout=30
    )
    assert unknown.status_code == 422
    no_token = server.session.post(server.url("/v1/blobs"), json={}, timeout=30)
    assert no_token.status_code == 401


def test_content_that_does_not_match_its_hash_starts_over(server: RunningServer) -> None:
    device = _device(server)
    data = random.Random(4).randbytes(8000)
    sha = hashlib.sha256(data).hexdigest()
    _create(server, device, data)
    assert _patch(server, device, sha, 0, data[:4000]).status_code == 204
    forged = _patch(server, device, sha, 4000, b"\0" * 4000)
    assert forged.status_code == 422 and "sha256" in forged.json()["fields"]
    assert _head(server, device, sha).headers["Upload-Offset"] == "0"
    assert _send_from(server, device, data, 0, 3000) == 3
    got = server.session.get(server.url(f"/v1/blobs/{sha}"), headers=device.headers, timeout=30)
    assert got.content == data


def test_a_blob_is_readable_only_by_its_office_and_the_back_office(
    server: RunningServer,
) -> None:
    mine, other = _device(server), _device(server)
    data = random.Random(5).randbytes(5000)
    sha = hashlib.sha256(data).hexdigest()
    _create(server, mine, data)
    _send_from(server, mine, data, 0, 5000)
    url = server.url(f"/v1/blobs/{sha}")
    assert server.session.get(url, headers=other.headers, timeout=30).status_code == 404
    assert _head(server, other, sha).status_code == 404
    # Knowing the hash gives another office nothing: it must send the bytes itself.
    assert _create(server, other, data).json()["offset"] == 0
    admin = server.admin("GET", f"/v1/admin/offices/{mine.office_code}/blobs/{sha}")
    assert admin.status_code == 200 and admin.content == data
    assert (
        server.admin("GET", f"/v1/admin/offices/{other.office_code}/blobs/{sha}").status_code == 404
    )
    stranger = server.session.get(
        server.url(f"/v1/admin/offices/{mine.office_code}/blobs/{sha}"),
        headers=mine.headers,
        timeout=30,
    )
    assert stranger.status_code == 401


def test_server_killed_mid_upload_resumes_from_its_offset(server: RunningServer) -> None:
    device = _device(server)
    data = random.Random(6).randbytes(120_000)
    sha = hashlib.sha256(data).hexdigest()
    _create(server, device, data)
    assert _patch(server, device, sha, 0, data[:40_000]).status_code == 204
    server.process.kill()  # a power cut on the server
    server.process.wait()
    server.restart()
    assert _head(server, device, sha).headers["Upload-Offset"] == "40000"
    assert _send_from(server, device, data, 40_000, 40_000) == 2
    got = server.session.get(server.url(f"/v1/blobs/{sha}"), headers=device.headers, timeout=30)
    assert got.content == data
