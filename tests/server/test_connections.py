"""The HTTP edge (issue 10): timeouts, header limits, throttled failures, HEAD, no /docs, and
health answering while hostile requests of every kind are in flight.

A server of its own with short timeouts and a small failure budget (SQLite: none of this
reaches the database); a hostile sender is a raw socket.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from server.cli import build_parser
from tests.support.hostile import hostile_requests
from tests.support.server import (
    RunningServer,
    postgres_base_url,
    postgres_schema_url,
    sample_item,
    start_server,
)
from tests.support.waiting import wait_until

TIMEOUT_S = 1.0
EDGE_ARGS = (
    "--idle-timeout",
    str(TIMEOUT_S),
    "--header-timeout",
    str(TIMEOUT_S),
    "--body-idle-timeout",
    str(TIMEOUT_S),
    "--auth-failures-burst",
    "5",
)


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("edge")
    with start_server(data_dir, extra_args=EDGE_ARGS) as server:
        yield server


def _connect(server: RunningServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_body_shorter_than_its_content_length_is_answered_408_and_closed(
    edge: RunningServer,
) -> None:
    with _connect(edge) as raw:
        raw.sendall(
            b"POST /v1/enrol HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"code": '
        )
        answer = _read_all(raw)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b'"error":"timeout"' in answer


def test_headers_that_never_end_are_408_and_closed(edge: RunningServer) -> None:
    with _connect(edge) as raw:
        raw.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        answer = _read_all(raw)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]


def test_a_silent_connection_is_closed(edge: RunningServer) -> None:
    with _connect(edge) as raw:
        started = time.monotonic()
        assert _read_all(raw) == b""
        assert time.monotonic() - started < 30  # closed by the server, not by our timeout


def test_huge_headers_are_431_and_closed(edge: RunningServer) -> None:
    with _connect(edge) as raw:
        raw.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ")
        sent = 0
        try:
            while sent < 48 * 1024 * 1024:
                raw.sendall(b"a" * 65536)
                sent += 65536
        except OSError:
            pass  # the server closed the connection: what we wanted
        answer = _read_all(raw)
    assert sent < 48 * 1024 * 1024
    assert answer.startswith(b"HTTP/1.1 431") or answer == b"", answer[:200]
    assert edge.session.get(edge.url("/v1/health"), timeout=10).status_code == 200


def test_head_wherever_get_and_no_docs(edge: RunningServer) -> None:
    head = edge.session.head(edge.url("/v1/health"), timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["X-Pishkhan-Protocol"] == "1"
    stuck = edge.session.head(
        edge.url("/v1/admin/offices/stuck"), headers=edge.admin_headers, timeout=10
    )
    assert stuck.status_code == 200
    for path in ("/docs", "/redoc"):
        assert edge.session.get(edge.url(path), timeout=10).status_code == 404


def test_failed_authentication_is_throttled_not_traffic(edge: RunningServer) -> None:
    office = edge.add_office()
    device = edge.enrol(office.code)
    # Plenty of good calls from this address: never throttled.
    for _ in range(30):
        ok = edge.session.get(edge.url("/v1/changes"), headers=device.headers, timeout=10)
        assert ok.status_code == 200
    bad = {"Authorization": "Bearer not-a-token"}
    statuses = [
        edge.session.get(edge.url("/v1/changes"), headers=bad, timeout=10).status_code
        for _ in range(8)
    ]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429] * 3
    throttled = edge.session.get(edge.url("/v1/changes"), headers=bad, timeout=10)
    assert int(throttled.headers["Retry-After"]) >= 1
    assert throttled.json()["error"] == "too_many_failures"
    # Each kind of credential has its own budget: the admin token and enrolment still work.
    assert edge.admin("GET", "/v1/admin/offices/stuck").status_code == 200
    wrong_codes = [
        edge.session.post(
            edge.url("/v1/enrol"),
            json={
                "code": "AAAA-BBBB-CCCC",
                "device_id": "00000000-0000-4000-8000-000000000001",
                "office_code": office.code,
                "counter_no": 2,
            },
            timeout=10,
        ).status_code
        for _ in range(7)
    ]
    assert wrong_codes == [400] * 5 + [429] * 2
    wrong_admin = [
        edge.session.get(
            edge.url("/v1/admin/offices/stuck"), headers={"Authorization": "Bearer x"}, timeout=10
        ).status_code
        for _ in range(6)
    ]
    assert wrong_admin == [401] * 5 + [429]


@pytest.fixture(scope="module")
def guarded(db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The edge's settings on each database kind: health reads the database, and an
    authenticated hostile push reaches it."""
    data_dir = tmp_path_factory.mktemp(f"guarded-{db_kind}")
    with contextlib.ExitStack() as stack:
        url = None
        if db_kind == "postgres":
            base = postgres_base_url()
            assert base is not None
            url = stack.enter_context(postgres_schema_url(base))
        yield stack.enter_context(start_server(data_dir, database_url=url, extra_args=EDGE_ARGS))


def test_health_answers_while_hostile_requests_are_in_flight(guarded: RunningServer) -> None:
    """Every kind at once, authenticated or not: health keeps answering. The latency is a
    figure of ``python -m bench hostile`` (per kind, both databases), not asserted here;
    what fails here is a freeze (the quadratic gzip members held the loop for 161 s)."""
    device = guarded.enrol(guarded.add_office().code)
    stop = threading.Event()
    attempts: dict[str, int] = {}
    threads = hostile_requests(guarded, device.token, stop, attempts)
    for thread in threads:
        thread.start()
    try:
        # Each kind is under way (they loop until stopped), then health is asked 30 times.
        wait_until(lambda: all(attempts.values()), 60, what=f"hostile senders: {attempts}")
        session = requests.Session()
        for _ in range(30):
            assert session.get(guarded.url("/v1/health"), timeout=5).status_code == 200
        # A good push still goes through beside them.
        good = guarded.push(device, [sample_item(device.office_code, 1)])
        assert [r["status"] for r in good.json()["results"]] == ["accepted"]
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert "unhandled error" not in guarded.log_text()


def test_openapi_says_what_the_server_answers(edge: RunningServer) -> None:
    document = edge.session.get(edge.url("/openapi.json"), timeout=10).json()
    paths = document["paths"]
    push = paths["/v1/push"]["post"]
    assert set(push["responses"]) == {
        "200",
        "400",
        "401",
        "403",
        "408",
        "413",
        "415",
        "422",
        "429",
        "503",
    }
    enrol = paths["/v1/enrol"]["post"]
    assert {"400", "409", "413", "422", "429"} <= set(enrol["responses"])
    assert set(enrol["responses"]["200"]["links"]) == {"push", "changes", "heartbeat"}
    codes = paths["/v1/admin/enrolment-codes"]["post"]["responses"]["200"]["links"]
    assert codes["enrol"]["operationId"] == "enrol"
    schemas = document["components"]["schemas"]
    assert schemas["PushBody"]["properties"]["items"]["maxItems"] == 500
    item = schemas["RequestItem"]
    assert item["additionalProperties"] is False
    assert item["properties"]["seq"]["maximum"] == 2**31 - 1
    assert "pattern" in item["properties"]["id"]
    beat = schemas["Heartbeat"]["properties"]
    assert beat["queue_depth"]["type"] == "integer" and beat["queue_depth"]["maximum"] > 0
    enrol_body = schemas["EnrolRequest"]["properties"]
    assert enrol_body["office_code"]["pattern"] and enrol_body["device_id"]["pattern"]
    assert schemas["CatalogDocument"]["properties"]["services"]["minItems"] == 1
    json.dumps(document)  # plain JSON


def test_help_is_plain_text(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    shown = capsys.readouterr().out
    assert "``" not in shown and "--database-url" in shown
