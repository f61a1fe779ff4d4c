"""The fault-injecting proxy against a real local HTTP/1.1 server.

Timings are checked as lower bounds only (a configured delay or rate is never
beaten); the machine is shared and noisy, so no upper timing bound is asserted.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from tests.support.faultproxy import FaultProxy, LinkConfig, LinkStats
from tests.support.waiting import wait_until

TIMEOUT = 10.0


def blob(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


class Origin(ThreadingHTTPServer):
    """The far end: counts the requests it processed, echoes, serves blobs."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), OriginHandler)
        self.processed = 0
        self.lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The proxy resets and cuts connections on purpose; that is no error here.
        pass


class OriginHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Origin

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, body: bytes) -> None:
        # Head and body in one send, so a response's first chunk through the
        # proxy holds both and where a seeded cut lands does not hang on timing.
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        self.wfile.write(head + body)

    def do_GET(self) -> None:
        # /blob/<n>: n bytes of a known pattern
        self._answer(blob(int(self.path.rsplit("/", 1)[1])))

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/count":
            with self.server.lock:
                self.server.processed += 1
            self._answer(b"processed")
        else:  # /echo
            self._answer(body)


@pytest.fixture
def origin() -> Iterator[Origin]:
    server = Origin()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def make_proxy(origin: Origin) -> Iterator[Callable[..., FaultProxy]]:
    proxies: list[FaultProxy] = []

    def make(**config: Any) -> FaultProxy:
        proxy = FaultProxy("127.0.0.1", origin.server_address[1], config=LinkConfig(**config))
        proxies.append(proxy.start())
        return proxy

    yield make
    for proxy in proxies:
        proxy.stop()


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def raw_request(proxy: FaultProxy, method: str, path: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=TIMEOUT)
    sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode())
    return sock


def read_to_end(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_passes_a_megabyte_each_way_unchanged(make_proxy, session) -> None:
    proxy = make_proxy()
    upload = random.Random(1).randbytes(1_000_000)

    echoed = session.post(proxy.url_for() + "/echo", data=upload, timeout=TIMEOUT)
    downloaded = session.get(proxy.url_for() + "/blob/1000000", timeout=TIMEOUT)

    assert echoed.content == upload
    assert downloaded.content == blob(1_000_000)
    stats = proxy.stats()
    assert stats.bytes_client_to_server > 1_000_000
    assert stats.bytes_server_to_client > 2_000_000
    assert stats.connections_accepted == 1  # keep-alive: one connection for both


def test_latency_adds_the_round_trip_and_one_more_for_a_new_connection(make_proxy, session) -> None:
    proxy = make_proxy(rtt_ms=200)

    started = time.perf_counter()
    session.get(proxy.url_for() + "/blob/10", timeout=TIMEOUT).raise_for_status()
    first = time.perf_counter() - started
    started = time.perf_counter()
    session.get(proxy.url_for() + "/blob/10", timeout=TIMEOUT).raise_for_status()
    reused = time.perf_counter() - started

    assert first >= 0.4  # handshake round trip + request/response round trip
    assert reused >= 0.2


def test_rate_cap_holds_a_download_to_the_line_rate(make_proxy, session) -> None:
    proxy = make_proxy(rate_bps=256_000)

    started = time.perf_counter()
    answer = session.get(proxy.url_for() + "/blob/65536", timeout=TIMEOUT)
    elapsed = time.perf_counter() - started

    assert answer.content == blob(65536)
    assert elapsed >= 0.95 * 65536 * 8 / 256_000


def test_rate_cap_is_one_line_shared_by_all_connections(make_proxy) -> None:
    proxy = make_proxy(rate_bps=512_000)
    barrier = threading.Barrier(2)
    results: list[bytes] = []

    def download() -> None:
        with requests.Session() as s:
            barrier.wait()
            results.append(s.get(proxy.url_for() + "/blob/32768", timeout=TIMEOUT).content)

    threads = [threading.Thread(target=download) for _ in range(2)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started

    assert results == [blob(32768)] * 2
    # Two 32 KiB downloads through one 512 kbit/s line take as long as one of 64 KiB.
    assert elapsed >= 0.95 * 65536 * 8 / 512_000


def test_reset_reaches_the_client_as_a_connection_reset(make_proxy, session, origin) -> None:
    proxy = make_proxy(reset_probability=1.0)

    with pytest.raises(requests.ConnectionError):
        session.post(proxy.url_for() + "/count", timeout=TIMEOUT)
    with raw_request(proxy, "POST", "/count") as sock, pytest.raises(ConnectionResetError):
        sock.recv(1024)

    assert origin.processed == 0  # reset on the request's first chunk
    assert proxy.stats().resets == 2


def test_cut_response_delivers_a_prefix_then_closes(make_proxy, session) -> None:
    # Seed 6 cuts each of the first two responses at ~80% of its first chunk:
    # in the body. (A cut inside the head can look like a whole answer without
    # a body to http.client: clients must check what they got.)
    proxy = make_proxy(cut_response_probability=1.0, seed=6)

    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
        session.get(proxy.url_for() + "/blob/200000", timeout=TIMEOUT)
    with raw_request(proxy, "GET", "/blob/200000") as sock:
        received = read_to_end(sock)  # a clean EOF, not a reset

    assert 0 < len(received) < 200_000
    assert received.startswith(b"HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n")
    assert proxy.stats().cuts == 2


def test_drop_after_request_loses_the_response_of_a_processed_request(
    make_proxy, session, origin
) -> None:
    proxy = make_proxy(drop_after_request_probability=1.0)

    with pytest.raises(requests.ConnectionError):
        session.post(proxy.url_for() + "/count", timeout=TIMEOUT)
    assert origin.processed == 1  # the server has it; only the answer was lost

    with raw_request(proxy, "POST", "/count") as sock, pytest.raises(ConnectionResetError):
        sock.recv(1024)  # a reset before any byte of the response
    assert origin.processed == 2
    stats = proxy.stats()
    assert stats.drops_after_request == 2
    assert stats.bytes_server_to_client == 0


def test_drop_after_request_is_per_exchange_and_reproducible_from_the_seed(
    make_proxy, origin
) -> None:
    def outcomes(proxy: FaultProxy) -> list[bool]:
        answered = []
        with requests.Session() as s:
            for _ in range(16):
                try:
                    s.post(proxy.url_for() + "/count", timeout=TIMEOUT).raise_for_status()
                    answered.append(True)
                except requests.ConnectionError:
                    answered.append(False)
        return answered

    first = outcomes(make_proxy(drop_after_request_probability=0.5, seed=7))
    second = outcomes(make_proxy(drop_after_request_probability=0.5, seed=7))

    assert first == second
    assert True in first and False in first
    assert origin.processed == 32  # dropped or not, every request was processed


def test_refused_link_resets_new_connections(make_proxy, session, origin) -> None:
    proxy = make_proxy(refuse_connections=True)

    with pytest.raises(requests.ConnectionError):
        session.post(proxy.url_for() + "/count", timeout=TIMEOUT)

    assert origin.processed == 0
    assert proxy.stats().refused == 1


def test_blackhole_hangs_the_client_until_its_timeout(make_proxy, session, origin) -> None:
    proxy = make_proxy(blackhole=True)

    with pytest.raises(requests.Timeout):
        session.post(proxy.url_for() + "/count", timeout=(TIMEOUT, 0.5))

    assert origin.processed == 0
    assert proxy.stats().blackholed == 1


def test_set_config_cuts_the_link_and_restores_it(make_proxy, session, origin) -> None:
    proxy = make_proxy()
    url = proxy.url_for() + "/count"
    session.post(url, timeout=TIMEOUT).raise_for_status()

    proxy.set_config(proxy.config.replace(refuse_connections=True))
    with pytest.raises(requests.ConnectionError):  # the open keep-alive connection too
        session.post(url, timeout=TIMEOUT)

    proxy.set_config(proxy.config.replace(refuse_connections=False, blackhole=True))
    with pytest.raises(requests.Timeout):
        session.post(url, timeout=(TIMEOUT, 0.3))
    assert origin.processed == 1

    proxy.set_config(LinkConfig())
    session.post(url, timeout=TIMEOUT).raise_for_status()
    # The request held by the hung link flows on once it is back, as TCP would
    # deliver it: the server processes it although that client gave up.
    wait_until(lambda: origin.processed == 3, 5.0, interval=0.01)


def test_stall_holds_the_data(make_proxy, session) -> None:
    proxy = make_proxy(stall_probability=1.0, stall_ms=150)

    started = time.perf_counter()
    session.get(proxy.url_for() + "/blob/10", timeout=TIMEOUT).raise_for_status()
    elapsed = time.perf_counter() - started

    assert elapsed >= 0.3  # request and response each held once at least
    assert proxy.stats().stalls >= 2


def test_stats_count_and_reset(make_proxy) -> None:
    proxy = make_proxy()
    for _ in range(2):
        with requests.Session() as s:
            s.post(proxy.url_for() + "/echo", data=b"x" * 1000, timeout=TIMEOUT)

    wait_until(lambda: proxy.stats().open_connections == 0, 5.0, interval=0.01)
    stats = proxy.stats()
    assert stats.connections_accepted == 2
    assert stats.bytes_client_to_server > 2000
    assert stats.bytes_server_to_client > 2000
    assert (stats.resets, stats.cuts, stats.drops_after_request, stats.stalls) == (0, 0, 0, 0)

    proxy.reset_stats()
    assert proxy.stats() == LinkStats()


def test_stop_closes_every_connection_and_ends_its_thread(make_proxy, session) -> None:
    proxy = make_proxy()
    session.get(proxy.url_for() + "/blob/10", timeout=TIMEOUT).raise_for_status()
    proxy.set_config(LinkConfig(blackhole=True))
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=TIMEOUT) as held:
        wait_until(lambda: proxy.stats().open_connections == 2, 5.0, interval=0.01)

        proxy.stop()

        assert not any(t.name == "faultproxy" for t in threading.enumerate())
        assert held.recv(1024) == b""
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=TIMEOUT).close()
    proxy.stop()  # idempotent


def test_link_config_is_checked_and_frozen() -> None:
    with pytest.raises(ValueError):
        LinkConfig(reset_probability=1.5)
    with pytest.raises(ValueError):
        LinkConfig(rate_bps=0)
    config = LinkConfig(rtt_ms=300)
    assert config.replace(rate_bps=512_000) == LinkConfig(rtt_ms=300, rate_bps=512_000)
    with pytest.raises(AttributeError):
        config.rtt_ms = 1  # type: ignore[misc]


def test_url_for_names_the_listening_port(make_proxy) -> None:
    proxy = make_proxy()
    assert proxy.url_for() == f"http://127.0.0.1:{proxy.port}"
    assert proxy.url_for("https").startswith("https://127.0.0.1:")


def test_a_target_that_is_down_reaches_the_client_as_a_reset() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]  # bound, never listening: refuses
        with FaultProxy("127.0.0.1", closed_port) as proxy:
            # The proxy resets as soon as its own connect is refused: that can reach the
            # client while it still sends the request, or at its first read.
            with pytest.raises(ConnectionResetError), raw_request(proxy, "GET", "/blob/1") as sock:
                sock.recv(1024)


def test_start_on_a_port_in_use_raises(make_proxy) -> None:
    proxy = make_proxy()
    with pytest.raises(OSError):
        FaultProxy("127.0.0.1", 1, listen_port=proxy.port).start()


def test_scripted_turns_lose_or_cut_exactly_those_answers(make_proxy, origin) -> None:
    """drop_after_turns / cut_response_turns act on those turns whatever the dice say."""
    proxy = make_proxy(drop_after_turns=frozenset({2}), cut_response_turns=frozenset({3}))
    answered = []
    for _ in range(4):
        with requests.Session() as s:
            try:
                reply = s.post(proxy.url_for() + "/echo", data=b"x" * 64, timeout=TIMEOUT)
                answered.append(reply.content == b"x" * 64)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                answered.append(False)
    stats = proxy.stats()
    assert answered == [True, False, False, True]
    assert (stats.turns, stats.drops_after_request, stats.cuts) == (4, 1, 1), stats


def test_a_shared_line_carries_both_directions_on_one_budget(make_proxy, session) -> None:
    # 64 KiB up while 64 KiB come down: on one shared 512 kbit/s line that is 128 KiB of
    # line time, twice what two separate directions would need.
    proxy = make_proxy(rate_bps=512_000, shared_line=True)
    upload = random.Random(2).randbytes(65536)
    barrier = threading.Barrier(2)
    down: list[bytes] = []

    def download() -> None:
        with requests.Session() as s:
            barrier.wait()
            down.append(s.get(proxy.url_for() + "/blob/65536", timeout=TIMEOUT).content)

    thread = threading.Thread(target=download)
    thread.start()
    barrier.wait()
    started = time.perf_counter()
    echoed = session.post(proxy.url_for() + "/echo", data=upload, timeout=TIMEOUT)
    thread.join()
    elapsed = time.perf_counter() - started

    assert echoed.content == upload and down == [blob(65536)]
    # The echo sends 64 KiB each way, the download 64 KiB down: 192 KiB on one line.
    assert elapsed >= 0.9 * 3 * 65536 * 8 / 512_000


def test_segment_overhead_is_charged_per_segment_and_for_the_acks(make_proxy, session) -> None:
    proxy = make_proxy(rate_bps=10_000_000, segment_overhead_bytes=52)
    answer = session.get(proxy.url_for() + "/blob/144800", timeout=TIMEOUT)
    assert answer.content == blob(144800)
    stats = proxy.stats()
    payload = stats.bytes_client_to_server + stats.bytes_server_to_client
    # At least 100 segments of 1448 bytes down, 52 bytes each, and 50 ACKs up.
    assert stats.line_bytes >= payload + 150 * 52
    # Never more than one segment per piece over the minimum (pieces may end short).
    assert stats.line_bytes < payload + 3 * 150 * 52 + 52 * 64


def test_segment_overhead_follows_segments_not_the_pacing_pieces(make_proxy, session) -> None:
    """At 400 kbit/s the proxy paces in 1,000-byte pieces; TCP still sends 1,448-byte
    segments: 20 of them (and 10 ACKs) carry the 28,960 bytes, not 29 pieces' worth."""
    proxy = make_proxy(rate_bps=400_000, segment_overhead_bytes=52)
    answer = session.get(proxy.url_for() + "/blob/28960", timeout=TIMEOUT)
    assert answer.content == blob(28960)
    stats = proxy.stats()
    overhead = stats.line_bytes - stats.bytes_client_to_server - stats.bytes_server_to_client
    assert overhead >= 30 * 52
    # Per piece it was at least 29 × (52 + 52) = 3,016; per segment, with the request, the
    # head and a segment lost at each chunk's end, it stays below 2,400.
    assert overhead < 2_400, overhead
