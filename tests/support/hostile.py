"""Hostile requests of every kind issue 10 found, for tests and benchmarks: bodies that
were slow to inflate (many gzip members, a small gzip of a 32 MiB array), sent with and
without a device token, a body that stops arriving, and a header that never ends.
"""

from __future__ import annotations

import functools
import gzip
import socket
import threading

import requests

from sync.protocol import MAX_BODY_BYTES
from tests.support.server import RunningServer

HOSTILE_KINDS = (
    "gzip members, no token",
    "inflating array, no token",
    "gzip members, with a token",
    "inflating array, with a token",
    "body that stops",
    "huge header",
)


def hostile_requests(
    server: RunningServer,
    token: str,
    stop: threading.Event,
    attempts: dict[str, int],
    only: tuple[str, ...] = HOSTILE_KINDS,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> list[threading.Thread]:
    """Every kind of hostile request of issue 10 (``HOSTILE_KINDS``), each sent again and
    again until ``stop``; ``attempts`` counts the sends of each kind. Also used by
    ``python -m bench hostile`` for the health-latency figures. ``only``: just these kinds;
    ``max_body_bytes``: the server's limit, which the members body stays just under."""
    empty_member = gzip.compress(b"", mtime=0)
    members = empty_member * (max_body_bytes // len(empty_member) - 10)  # under the limit
    array = gzip.compress(b"[" + b"0," * (16 * 1024 * 1024 - 1) + b"0]", compresslevel=9)
    for kind in only:
        attempts[kind] = 0

    def post(kind: str, body: bytes, headers: dict[str, str]) -> None:
        session = requests.Session()
        while not stop.is_set():
            attempts[kind] += 1
            try:
                session.post(server.url("/v1/push"), data=body, headers=headers, timeout=30)
            except requests.RequestException:
                pass

    def slow_body(kind: str) -> None:
        while not stop.is_set():
            attempts[kind] += 1
            try:
                with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
                    raw.sendall(
                        b"POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
                    )
                    for _ in range(20):
                        if stop.wait(0.05):
                            break
                        raw.sendall(b" ")
            except OSError:
                pass

    def huge_header(kind: str) -> None:
        while not stop.is_set():
            attempts[kind] += 1
            try:
                with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
                    raw.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ")
                    for _ in range(48 * 16):  # 48 MiB
                        raw.sendall(b"a" * 65536)
            except OSError:
                pass

    gz = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    signed = {**gz, "Authorization": f"Bearer {token}"}
    targets = {
        HOSTILE_KINDS[0]: functools.partial(post, HOSTILE_KINDS[0], members, gz),
        HOSTILE_KINDS[1]: functools.partial(post, HOSTILE_KINDS[1], array, gz),
        HOSTILE_KINDS[2]: functools.partial(post, HOSTILE_KINDS[2], members, signed),
        HOSTILE_KINDS[3]: functools.partial(post, HOSTILE_KINDS[3], array, signed),
        HOSTILE_KINDS[4]: functools.partial(slow_body, HOSTILE_KINDS[4]),
        HOSTILE_KINDS[5]: functools.partial(huge_header, HOSTILE_KINDS[5]),
    }
    return [threading.Thread(target=targets[k], daemon=True) for k in only]
