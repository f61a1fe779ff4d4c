"""The client's content codings and its stall detection (issue 11).

Against the real server (a process on 127.0.0.1): the first push goes gzip, its answer
says the server knows dictionary 1, the next pushes go zstd with it and the answers come
back zstd; everything is accepted exactly once. Against a scripted HTTP server (real
sockets), what exactly goes on the wire: no zstd to a server that never advertised it, a
415 for a zstd body is sent again once in gzip, and an answer whose bytes stop (or
trickle) after its head fails within the stall bound instead of the 30 s read timeout.
What the server advertised is remembered in the data folder (``codings_file``): from the
enrolment answer on, a restarted client's first push goes zstd; a 415 makes it forget.
"""

from __future__ import annotations

import gzip
import http.server
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from rules import compression
from sync.client import InvalidResponse, NetworkError, SyncClient
from sync.codings import FILE_NAME, RememberedCodings
from sync.protocol import (
    MAX_INFLATED_BYTES,
    EnrolRequest,
    PushBody,
    RequestItem,
    convert,
    encode,
)
from tests.support.server import RunningServer, sample_item

DEVICE = "0b7f6f1e-9a7e-4c36-9b7a-3f2d2f1c0a11"
DICT = compression.CURRENT_DICT_ID


def _item(office: str, seq: int) -> RequestItem:
    return convert(sample_item(office, seq), RequestItem)


def test_pushes_go_zstd_once_the_server_said_it_knows_the_dictionary(
    server: RunningServer,
) -> None:
    office = server.add_office().code
    device = server.enrol(office)
    client = SyncClient(
        server.base_url, lambda: device.token, device_id=device.device_id, allow_insecure_http=True
    )
    try:
        assert client.server_dictionary is None  # nothing heard yet: gzip
        first = client.push([_item(office, seq) for seq in range(1, 21)])
        assert {r.status for r in first.results} == {"accepted"}
        assert client.server_dictionary == DICT  # the answer advertised it
        batch = [_item(office, seq) for seq in range(21, 61)]
        second = client.push(batch)
        assert {r.status for r in second.results} == {"accepted"}
        again = client.push(batch)  # as after a lost answer
        assert {r.status for r in again.results} == {"duplicate"}
        assert [r.tracking_code for r in again.results] == [r.tracking_code for r in second.results]
        page = client.changes(None)
        assert len(page.changes) >= 1
    finally:
        client.close()


def test_the_enrolment_answer_is_remembered_and_a_restarted_client_pushes_zstd_first(
    server: RunningServer, tmp_path: Path
) -> None:
    office = server.add_office().code
    device_id = str(uuid.uuid4())
    remembered = tmp_path / FILE_NAME
    enrolling = SyncClient(
        server.base_url, lambda: None, allow_insecure_http=True, codings_file=remembered
    )
    try:
        answer = enrolling.enrol(
            EnrolRequest(
                code=server.enrolment_code(office),
                device_id=device_id,
                office_code=office,
                counter_no=1,
            )
        )
    finally:
        enrolling.close()
    assert json.loads(remembered.read_text())["zstd_dict"] == DICT
    # The program starts again: before any answer, the client already knows.
    client = SyncClient(
        server.base_url,
        lambda: answer.device_token,
        device_id=device_id,
        allow_insecure_http=True,
        codings_file=remembered,
    )
    try:
        assert client.server_dictionary == DICT
        first = client.push([_item(office, seq) for seq in range(1, 31)])
        assert {r.status for r in first.results} == {"accepted"}
        assert client.server_dictionary == DICT
    finally:
        client.close()
    # Another server behind the same data folder learns afresh.
    other = SyncClient(
        "http://127.0.0.1:9", lambda: None, allow_insecure_http=True, codings_file=remembered
    )
    assert other.server_dictionary is None


# --------------------------------------------------------------------------- scripted server


@dataclass
class Script:
    advertise: bool = True
    refuse_zstd: bool = False
    stall_after: int | None = None  # bytes of the body sent before the answer stops
    trickle: bool = False
    answer_coding: str | None = None  # a Content-Encoding put on a junk answer
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)


ANSWER = {"results": [], "seq_gaps": [], "server_time": "2026-12-03T08:00:00.000Z"}


def _handler(script: Script) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            script.received.append((dict(self.headers), body))
            zstd_body = self.headers.get("Content-Encoding") == "zstd"
            status, payload = 200, json.dumps(ANSWER).encode()
            if script.refuse_zstd and zstd_body:
                status = 415
                payload = json.dumps(
                    {"error": "unsupported_media", "message_fa": "x", "message_en": "x"}
                ).encode()
            elif body:
                raw = (
                    compression.decompress_zstd(body, MAX_INFLATED_BYTES, dict_id=DICT)
                    if zstd_body
                    else gzip.decompress(body)
                )
                count = len(json.loads(raw)["items"])
                payload = json.dumps(
                    {**ANSWER, "results": [{"id": None, "status": "retry"}] * count}
                ).encode()
            if script.stall_after is not None or script.trickle:
                payload = payload + b" " * 20_000  # JSON allows trailing white space
            if script.answer_coding is not None:
                payload = b"junk that no decoder takes"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if script.answer_coding is not None:
                self.send_header("Content-Encoding", script.answer_coding)
                self.send_header(compression.DICT_HEADER, str(DICT))
            self.send_header("Content-Length", str(len(payload)))
            if script.advertise:
                self.send_header("Accept-Encoding", "zstd, gzip")
                self.send_header(compression.DICTS_HEADER, str(DICT))
            self.end_headers()
            if script.trickle:
                for i in range(len(payload)):
                    if script.released.wait(0.5):
                        return
                    self.wfile.write(payload[i : i + 1])
                    self.wfile.flush()
                return
            if script.stall_after is not None:
                self.wfile.write(payload[: script.stall_after])
                self.wfile.flush()
                script.released.wait(60)
                return
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def scripted() -> Iterator[tuple[Script, str]]:
    script = Script()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield script, f"http://127.0.0.1:{httpd.server_address[1]}"
    script.released.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _client(url: str, **kw: Any) -> SyncClient:
    return SyncClient(url, lambda: "token", device_id=DEVICE, allow_insecure_http=True, **kw)


def _items(n: int) -> list[RequestItem]:
    return [_item("1001", seq) for seq in range(1, n + 1)]


def _codings(script: Script) -> list[str | None]:
    return [headers.get("Content-Encoding") for headers, _ in script.received]


def test_no_zstd_to_a_server_that_never_advertised_it(scripted: tuple[Script, str]) -> None:
    script, url = scripted
    script.advertise = False
    client = _client(url)
    for _ in range(3):
        client.push(_items(5))
    assert _codings(script) == ["gzip"] * 3
    headers, _ = script.received[0]
    assert compression.accepts_zstd(headers["Accept-Encoding"])  # it may answer in zstd
    assert headers[compression.DICTS_HEADER] == str(DICT)
    assert client.server_dictionary is None


def test_zstd_after_the_advertisement_and_gzip_again_after_a_415(
    scripted: tuple[Script, str],
) -> None:
    script, url = scripted
    client = _client(url)
    client.push(_items(5))
    items = _items(5)
    client.push(items)
    assert _codings(script) == ["gzip", "zstd"]
    headers, body = script.received[1]
    assert headers[compression.DICT_HEADER] == str(DICT)
    sent = json.loads(compression.decompress_zstd(body, MAX_INFLATED_BYTES, dict_id=DICT))
    assert sent["device_id"] == DEVICE
    assert sent["items"] == [json.loads(encode(item)) for item in items]
    script.refuse_zstd, script.advertise = True, False  # an older server took the address
    client.push(_items(5))  # refused in zstd, sent once more in gzip, answered
    assert _codings(script) == ["gzip", "zstd", "zstd", "gzip"]
    client.push(_items(5))
    assert _codings(script)[-1] == "gzip" and client.server_dictionary is None
    # A client built without zstd never offers or sends it.
    plain = _client(url, zstd=False)
    script.advertise = True
    plain.push(_items(2))
    plain.push(_items(2))
    assert _codings(script)[-2:] == ["gzip", "gzip"]
    assert "zstd" not in script.received[-1][0]["Accept-Encoding"]


def test_a_restarted_client_sends_its_first_push_in_zstd_and_forgets_it_on_a_415(
    scripted: tuple[Script, str], tmp_path: Path
) -> None:
    script, url = scripted
    remembered = tmp_path / FILE_NAME
    _client(url, codings_file=remembered).push(_items(3))  # learnt from the answer
    assert _codings(script) == ["gzip"]
    restarted = _client(url, codings_file=remembered)
    restarted.push(_items(3))
    assert _codings(script) == ["gzip", "zstd"]  # the first push of this run
    assert script.received[1][0][compression.DICT_HEADER] == str(DICT)
    script.refuse_zstd, script.advertise = True, False  # an older server took the address
    answer = _client(url, codings_file=remembered).push(_items(4))
    assert len(answer.results) == 4  # refused in zstd, sent once more in gzip, answered
    assert _codings(script)[2:] == ["zstd", "gzip"]
    assert json.loads(remembered.read_text())["zstd_dict"] is None
    _client(url, codings_file=remembered).push(_items(2))
    assert _codings(script)[-1] == "gzip"  # the next run starts in gzip


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[1]",
        '{"format": 1, "server": "%s", "zstd_dict": 999}',  # a dictionary not shipped
        '{"format": 1, "server": "%s", "zstd_dict": true}',
        '{"format": 2, "server": "%s", "zstd_dict": 1}',  # a later format
    ],
)
def test_a_damaged_or_foreign_record_is_ignored(
    scripted: tuple[Script, str], tmp_path: Path, content: str
) -> None:
    script, url = scripted
    script.advertise = False
    remembered = tmp_path / FILE_NAME
    remembered.write_text(content.replace("%s", url))
    client = _client(url, codings_file=remembered)
    assert client.server_dictionary is None
    client.push(_items(2))
    assert _codings(script) == ["gzip"]


def test_an_unwritable_record_costs_only_the_memory(
    scripted: tuple[Script, str], tmp_path: Path
) -> None:
    script, url = scripted
    remembered = tmp_path / "no such folder" / FILE_NAME
    client = _client(url, codings_file=remembered)
    client.push(_items(2))
    client.push(_items(2))
    assert _codings(script) == ["gzip", "zstd"]  # learnt in memory all the same
    assert not remembered.exists()
    assert RememberedCodings(remembered, url).load((DICT,)) == (None, 1)


def test_a_stalled_answer_fails_within_the_stall_bound(scripted: tuple[Script, str]) -> None:
    script, url = scripted
    script.stall_after = 100  # the head and 100 bytes, then nothing
    client = _client(url, stall_seconds=2.0, read_timeout_base=30.0)
    started = time.monotonic()
    with pytest.raises(NetworkError) as caught:
        client.changes(None)
    waited = time.monotonic() - started
    assert caught.value.timeout
    # The read timeout before the head is 30 s: the stall was seen in a fraction of it.
    assert waited < 10, waited


def test_a_trickling_answer_is_cut(scripted: tuple[Script, str]) -> None:
    """A byte every half second keeps every socket read under any per-read timeout."""
    script, url = scripted
    script.trickle = True
    client = _client(url, stall_seconds=2.0, worst_rate_bytes=16_000)
    started = time.monotonic()
    with pytest.raises(NetworkError) as caught:
        client.changes(None)
    assert caught.value.timeout
    assert time.monotonic() - started < 10  # 2 s + 20 KB at 16 kB/s, not 20,000 × 0.5 s


def test_an_answer_that_does_not_decode_is_not_protocol(scripted: tuple[Script, str]) -> None:
    script, url = scripted
    client = _client(url)
    for coding in ("zstd", "gzip", "br"):
        script.answer_coding = coding
        with pytest.raises(InvalidResponse):
            client.changes(None)


def test_the_dictionary_ships_with_the_program_and_loads() -> None:
    from installer.bundle_files import resolve_data_files

    root = Path(__file__).resolve().parents[2]
    shipped = {Path(src).relative_to(root).as_posix() for src, _ in resolve_data_files(root)}
    assert f"resources/zstd/pishkhan-{DICT}.zdict" in shipped
    assert DICT in compression.known_dictionaries()
    raw = encode(PushBody(device_id=DEVICE, items=_items(3)))
    packed = compression.compress_zstd(raw, level=19)
    assert len(packed) < len(compression.compress_gzip(raw, level=9)) * 0.8
