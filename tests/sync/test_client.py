"""The HTTP client's edges: error classes, Retry-After, gzip, TLS verification, the token.

The reference server cannot be made to answer 429, 503 or a redirect on demand, so these
use a small scripted HTTP(S) server on 127.0.0.1 (real sockets, real TLS).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import gzip
import http.server
import json
import shutil
import ssl
import stat
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from desktop.outbox import StoreQueue
from sync.client import (
    BadRequest,
    InvalidResponse,
    NetworkError,
    NotEnrolled,
    PayloadTooLarge,
    ServerBusy,
    SyncClient,
    Unauthorized,
    parse_retry_after,
)
from sync.credentials import FileCredentials, KeyringCredentials, credential_store, keyring_usable
from sync.engine import SyncEngine
from sync.protocol import PushBody, RequestItem, convert, encode
from tests.support.server import sample_item
from tests.sync.conftest import Counter, make_counter

DEVICE = "0b7f6f1e-9a7e-4c36-9b7a-3f2d2f1c0a11"
TOKEN = "s3cret-device-token-never-logged"


@dataclass
class Scripted:
    """What the scripted server answers next, and what it received."""

    status: int = 200
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)


def _handler(script: Scripted) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            script.received.append((self.path, dict(self.headers), body))
            payload = script.raw if script.raw is not None else json.dumps(script.body).encode()
            self.send_response(script.status)
            for name, value in {"Content-Type": "application/json", **script.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def scripted() -> Iterator[tuple[Scripted, str]]:
    script = Scripted()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield script, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _item(seq: int, **overrides: Any) -> RequestItem:
    return convert(sample_item("1001", seq, **overrides), RequestItem)


def _client(url: str, **kw: Any) -> SyncClient:
    return SyncClient(url, lambda: TOKEN, device_id=DEVICE, **kw)


def _error(status: int, code: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "message_fa": "پیام", "message_en": "message", **extra}


def test_answers_map_to_the_engine_error_classes(scripted: tuple[Scripted, str]) -> None:
    script, url = scripted
    client = _client(url)
    cases: list[tuple[int, dict[str, Any], dict[str, str], type[Exception]]] = [
        (429, _error(429, "busy"), {"Retry-After": "7"}, ServerBusy),
        (503, _error(503, "internal"), {}, ServerBusy),
        (401, _error(401, "unauthorized"), {}, Unauthorized),
        (403, _error(403, "device_mismatch"), {}, Unauthorized),
        (413, _error(413, "too_large"), {}, PayloadTooLarge),
        (404, _error(404, "not_found"), {}, BadRequest),
        (302, {}, {"Location": "http://elsewhere.example/"}, InvalidResponse),
    ]
    for status, body, headers, expected in cases:
        script.status, script.body, script.headers = status, body, headers
        with pytest.raises(expected) as caught:
            client.changes(None)
        assert caught.value.status == status
    script.status, script.headers = 429, {"Retry-After": "7"}
    with pytest.raises(ServerBusy) as busy:
        client.changes(None)
    assert busy.value.retry_after == 7
    script.status, script.body = (
        422,
        _error(
            422,
            "invalid",
            fields={"items.3.applicant.national_code": {"fa": "کد ملی نامعتبر", "en": "bad code"}},
        ),
    )
    with pytest.raises(BadRequest) as bad:
        client.push([_item(1)] * 5)
    assert bad.value.item_indexes() == {3} and bad.value.about_content
    script.status, script.raw = 200, b"<html>captive portal</html>"
    with pytest.raises(InvalidResponse):
        client.changes(None)
    assert all(not path.startswith("//elsewhere") for path, _, _ in script.received)


def test_push_bodies_are_gzip_and_the_token_goes_only_in_the_header(
    scripted: tuple[Scripted, str], caplog: pytest.LogCaptureFixture
) -> None:
    script, url = scripted
    item = _item(1, clerk="سلام")
    script.body = {
        "results": [{"id": item.id, "status": "accepted", "tracking_code": "PK-1"}],
        "seq_gaps": [],
        "server_time": "2026-11-28T09:15:00.123Z",
    }
    client = _client(url)
    caplog.set_level("DEBUG", logger="pishkhan.sync")
    answer = client.push([item])
    assert answer.results[0].tracking_code == "PK-1"
    path, headers, body = script.received[-1]
    assert path == "/v1/push" and headers["Content-Encoding"] == "gzip"
    sent = json.loads(gzip.decompress(body))
    assert sent["device_id"] == DEVICE
    assert sent["items"] == [json.loads(encode(item))]  # exactly the item, hash and all
    assert sent["items"][0]["clerk"] == "سلام" and gzip.decompress(body) == encode(
        PushBody(device_id=DEVICE, items=[item], revision=2)
    )  # an answer of a revision-1 server (ids echoed, no "count") is read as before
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["X-Pishkhan-Protocol"] == "1"
    assert TOKEN not in caplog.text and TOKEN not in repr(client)
    with pytest.raises(InvalidResponse):  # one result for two items is not an answer
        client.push([_item(1), _item(2)])
    # Answered fast: the wait for a head is the learnt one's floor (10 s), not the 30 s base.
    assert client.read_timeout(0) == 10.0 < client.read_timeout_base
    assert client.read_timeout(160_000) == 10.0 + 10  # 16 kB/s assumed
    with pytest.raises(NotEnrolled):
        SyncClient(url, lambda: None, device_id=DEVICE).changes(None)


def test_retry_after_as_seconds_or_http_date() -> None:
    now = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
    later = email.utils.format_datetime(now + dt.timedelta(seconds=90), usegmt=True)
    assert parse_retry_after("120") == 120
    assert parse_retry_after(later, now=now.timestamp()) == 90
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_a_server_retry_after_holds_even_f5(
    scripted: tuple[Scripted, str], counter: Counter
) -> None:
    script, url = scripted
    counter.save(2)
    script.status, script.body, script.headers = 429, _error(429, "busy"), {"Retry-After": "120"}
    engine = SyncEngine(StoreQueue(counter.store), _client(url))
    result = engine.run_round()
    assert result.error is not None and result.error.code == "busy"
    assert 110 < engine.seconds_until_due(manual=True) <= 120
    assert engine.seconds_until_due() >= engine.seconds_until_due(manual=True)
    assert counter.states() == {"queued": 2}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def test_tls_is_verified_and_a_custom_ca_bundle_is_honoured(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    script = Scripted(body={"status": "ok"})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"https://127.0.0.1:{httpd.server_address[1]}"
        with pytest.raises(NetworkError) as untrusted:
            _client(url).health()  # a certificate no CA vouches for: refused
        assert "CERTIFICATE_VERIFY_FAILED" in untrusted.value.detail
        assert _client(url, ca_bundle=str(cert)).health()
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_token_file_is_private_and_used_when_no_keyring_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PISHKHAN_CREDENTIALS", raising=False)
    store = credential_store(tmp_path, DEVICE)
    if keyring_usable():  # a developer's desktop: do not write into their keyring
        assert isinstance(store, KeyringCredentials)
        store = FileCredentials(tmp_path)
    assert isinstance(store, FileCredentials) and store.get() is None
    store.set(TOKEN)
    assert store.get() == TOKEN
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert TOKEN not in repr(store)
    # Once a token is in the file, the file stays the source even if a keyring appears.
    monkeypatch.setenv("PISHKHAN_CREDENTIALS", "keyring")
    assert isinstance(credential_store(tmp_path, DEVICE), FileCredentials)
    store.delete()
    assert store.get() is None and not store.path.exists()


def test_a_new_pc_has_no_sync_status_yet(tmp_path: Path) -> None:
    fresh = make_counter(tmp_path / "fresh", "1001")
    try:
        state = StoreQueue(fresh.store).load_state()
        assert (state.failures, state.last_contact_at, state.needs_reenrolment) == (0, None, False)
    finally:
        fresh.store.close()


def test_a_server_without_receipts_is_recognised_and_its_404_means_resend(
    scripted: tuple[Scripted, str],
) -> None:
    """A server of before receipts (issue 11) answers a push without ``Pishkhan-Receipts``
    and a receipt's path with 404: the client then knows to send the items again."""
    script, url = scripted
    client = _client(url)
    assert client.keeps_receipts is None  # nothing answered yet
    item = _item(1)
    script.body = {"results": [{"id": item.id, "status": "accepted", "tracking_code": "PK-1-1"}]}
    client.push([item], key="6f1e0b7f-9a7e-4c36-9b7a-3f2d2f1c0a11")
    assert client.keeps_receipts is False
    path, headers, _ = script.received[-1]
    assert path == "/v1/push"
    assert headers["Pishkhan-Push-Key"] == "6f1e0b7f-9a7e-4c36-9b7a-3f2d2f1c0a11"
    script.status, script.body = 404, _error(404, "not_found")
    assert client.receipt("6f1e0b7f-9a7e-4c36-9b7a-3f2d2f1c0a11", [item]) is None
    assert script.received[-1][0] == "/v1/push/receipts/6f1e0b7f-9a7e-4c36-9b7a-3f2d2f1c0a11"
    script.status, script.body = 503, _error(503, "unavailable")
    with pytest.raises(ServerBusy):  # anything but 404 is no answer about the receipt
        client.receipt("6f1e0b7f-9a7e-4c36-9b7a-3f2d2f1c0a11", [item])
    client.close()
