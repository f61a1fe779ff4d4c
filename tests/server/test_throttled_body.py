"""An address that has used up its failed authentications of a kind is answered 429 before
its body is read (server.limits.ThrottledBeforeBody); its other kinds are not."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.limits import credential_of
from server.throttle import Credential
from tests.support.server import RunningServer, start_server

BURST = 3


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data_dir: Path = tmp_path_factory.mktemp("strict")
    with start_server(data_dir, extra_args=("--auth-failures-burst", str(BURST))) as server:
        yield server


def _head_only(server: RunningServer, path: str, token: str) -> bytes:
    """Send a request's head announcing a 1 MB body, none of the body, and read the answer
    until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n".encode()
        )
        answer = b""
        while piece := raw.recv(65536):  # until closed; waiting for the body (30 s) times out
            answer += piece
        return answer


def test_credential_kinds_by_path() -> None:
    assert credential_of("/v1/enrol") is Credential.ENROLMENT_CODE
    assert credential_of("/v1/admin/offices") is Credential.ADMIN_TOKEN
    assert credential_of("/v1/push") is Credential.DEVICE_TOKEN
    assert credential_of("/v1/blobs/ab") is Credential.DEVICE_TOKEN
    assert credential_of("/console/login") is None


def test_a_throttled_address_is_refused_before_its_body(strict: RunningServer) -> None:
    bad = {"Authorization": "Bearer not-a-token"}
    body = {"device_id": "00000000-0000-4000-8000-000000000001", "items": []}
    statuses = [
        strict.session.post(strict.url("/v1/push"), json=body, headers=bad, timeout=10)
        for _ in range(BURST + 1)
    ]
    assert [r.status_code for r in statuses] == [401] * BURST + [429]
    assert statuses[-1].json()["error"] == "too_many_failures"
    answer = _head_only(strict, "/v1/push", "not-a-token")
    head = answer.split(b"\r\n\r\n")[0].lower()
    assert head.startswith(b"http/1.1 429")
    assert b"retry-after:" in head and b"connection: close" in head
    assert b"x-pishkhan-protocol: 1" in head
    assert b'"too_many_failures"' in answer.split(b"\r\n\r\n", 1)[1]
    # The same address's other kinds are not refused (its enrolment codes never failed).
    enrol = strict.session.post(strict.url("/v1/enrol"), data=b"{}", timeout=10)
    assert enrol.status_code == 422, enrol.text
