"""Bodies the server must survive: too large, gzip bombs, corrupt gzip, not JSON, wrong shapes.

Every answer is a 4xx in the protocol's error shape, never a 5xx. Mostly the HTTP layer,
but the token is looked up first and a bounded body then reaches the push: both databases.
"""

from __future__ import annotations

import gzip
import json
import socket
from typing import Any

import pytest

from sync.client import gzip_body
from sync.protocol import MAX_BODY_BYTES, MAX_INFLATED_BYTES, ErrorBody, convert, encode
from tests.support.server import EnrolledDevice, RunningServer, sample_item


@pytest.fixture
def device(server: RunningServer) -> EnrolledDevice:
    return server.enrol(server.add_office().code)


def _post(
    server: RunningServer,
    device: EnrolledDevice,
    data: bytes,
    *,
    gzipped: bool = False,
    content_type: str = "application/json",
    path: str = "/v1/push",
) -> Any:
    headers = {**device.headers, "Content-Type": content_type}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    response = server.session.post(server.url(path), data=data, headers=headers, timeout=60)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers["X-Pishkhan-Protocol"] == "1"
    convert(response.json(), ErrorBody)  # the protocol's error shape, both languages
    return response


def test_gzip_push_is_accepted(server: RunningServer, device: EnrolledDevice) -> None:
    body = {"device_id": device.device_id, "items": [sample_item(device.office_code, 1)]}
    response = server.session.post(
        server.url("/v1/push"),
        data=gzip_body(encode(body)),
        headers={**device.headers, "Content-Encoding": "gzip", "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "accepted"


def test_body_over_the_limit_is_413(server: RunningServer, device: EnrolledDevice) -> None:
    padding = "x" * (MAX_BODY_BYTES + 1024)
    data = json.dumps({"device_id": device.device_id, "items": [], "pad": padding}).encode()
    response = _post(server, device, data)
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"


def test_chunked_body_over_the_limit_is_413(server: RunningServer, device: EnrolledDevice) -> None:
    """No Content-Length to trust: the limit is counted as the bytes arrive."""
    chunk = b" " * (1024 * 1024)

    def body() -> Any:
        yield b'{"device_id": "x", "items": ['
        for _ in range(MAX_BODY_BYTES // len(chunk) + 2):
            yield chunk
        yield b"]}"

    response = server.session.post(
        server.url("/v1/push"), data=body(), headers=device.headers, timeout=60
    )
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"


def test_gzip_bomb_is_413(server: RunningServer, device: EnrolledDevice) -> None:
    inflated = MAX_INFLATED_BYTES + 1024 * 1024
    bomb = gzip.compress(b"[" + b" " * inflated + b"]", compresslevel=9)
    assert len(bomb) < 100_000
    response = _post(server, device, bomb, gzipped=True)
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"


@pytest.mark.parametrize(
    ("data", "gzipped", "status"),
    # mtime=0: the same bytes, so the same test ids, in every xdist worker's collection.
    [
        (b"this is not gzip", True, 400),
        (gzip.compress(b'{"items": []}', mtime=0)[:-12], True, 400),  # truncated
        (b"{not json", False, 400),
        (b"\xff\xfe\x00garbage", False, 400),
        (gzip.compress(b"{not json", mtime=0), True, 400),
        (b"[1, 2, 3]", False, 422),
        (b'"just a string"', False, 422),
        (b"{}", False, 422),
        (b'{"device_id": 5, "items": {}}', False, 422),
        (b"", False, 422),
    ],
)
def test_malformed_push_bodies_are_4xx(
    server: RunningServer, device: EnrolledDevice, data: bytes, gzipped: bool, status: int
) -> None:
    assert _post(server, device, data, gzipped=gzipped).status_code == status


def test_missing_items_names_the_field(server: RunningServer, device: EnrolledDevice) -> None:
    data = json.dumps({"device_id": device.device_id}).encode()
    response = _post(server, device, data)
    assert response.status_code == 422
    assert response.json()["fields"]["items"]["fa"]


def test_other_content_encoding_is_415(server: RunningServer, device: EnrolledDevice) -> None:
    headers = {**device.headers, "Content-Encoding": "br"}
    response = server.session.post(server.url("/v1/push"), data=b"{}", headers=headers, timeout=30)
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media"


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/v1/heartbeat", b'{"queue_depth": -1}'),
        ("/v1/heartbeat", b'{"queue_depth": "3", "app_version": "0.1"}'),
        ("/v1/heartbeat", b"[]"),
        ("/v1/enrol", b'{"code": null}'),
        ("/v1/enrol", b"nonsense"),
    ],
)
def test_malformed_bodies_on_other_routes_are_4xx(
    server: RunningServer, device: EnrolledDevice, path: str, data: bytes
) -> None:
    _post(server, device, data, path=path)


def test_bad_query_and_unknown_route_are_4xx(server: RunningServer, device: EnrolledDevice) -> None:
    for params in ({"limit": "0"}, {"limit": "many"}, {"limit": "100000"}):
        response = server.session.get(
            server.url("/v1/changes"), params=params, headers=device.headers, timeout=30
        )
        assert response.status_code == 422, response.text
        assert "limit" in response.json()["fields"]
    missing = server.session.get(server.url("/v1/nothing-here"), timeout=30)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong_method = server.session.get(server.url("/v1/push"), timeout=30)
    assert wrong_method.status_code == 405


def test_lying_content_length_does_not_hang_or_crash(server: RunningServer) -> None:
    """A client that promises more than it sends and hangs up: the server carries on."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(
            b"POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"items": ['
        )
    assert server.session.get(server.url("/v1/health"), timeout=30).status_code == 200


def test_openapi_is_published(server: RunningServer) -> None:
    response = server.session.get(server.url("/openapi.json"), timeout=30)
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/v1/health",
        "/v1/enrol",
        "/v1/push",
        "/v1/changes",
        "/v1/heartbeat",
        "/v1/admin/offices",
        "/v1/admin/enrolment-codes",
        "/v1/admin/devices/{device_id}/revoke",
        "/v1/admin/requests/{request_id}/status",
        "/v1/admin/catalog",
        "/v1/admin/offices/stuck",
    ):
        assert path in paths, path
    assert "PushBody" in response.json()["components"]["schemas"]


def test_large_answers_are_gzip_compressed_for_the_slow_link(
    server: RunningServer, device: EnrolledDevice
) -> None:
    """A page of the change feed (or a push's results) goes back gzip-compressed."""
    answer = server.session.get(
        server.url("/v1/changes"),
        headers={**device.headers, "Accept-Encoding": "gzip"},
        timeout=30,
    )
    assert answer.status_code == 200
    # The first page carries the catalogue document: well over the 1 KiB threshold.
    assert answer.headers.get("Content-Encoding") == "gzip"
    assert answer.json()["changes"]
