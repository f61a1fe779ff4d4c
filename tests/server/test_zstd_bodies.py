"""zstd with the shipped dictionary, both directions, and the bounds on decoding it (issue 11).

Request bodies: zstd + dictionary accepted; a zstd bomb (declared or streamed) is 413; an
unknown dictionary id is 415 naming the header; a frame of another dictionary, a corrupt
or truncated frame, a frame asking for a huge window are 400: never a 5xx, every answer in
the protocol's error shape. Answers: zstd + dictionary when the request names one the
server has, gzip otherwise (browsers, older clients). Every answer advertises the codings.
"""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest
import zstandard

from rules import compression
from sync.protocol import MAX_INFLATED_BYTES, ErrorBody, convert, encode
from tests.support.server import EnrolledDevice, RunningServer, sample_item

DICT = compression.CURRENT_DICT_ID


@pytest.fixture
def device(server: RunningServer) -> EnrolledDevice:
    return server.enrol(server.add_office().code)


def _push_json(device: EnrolledDevice, n: int = 3) -> bytes:
    items = [sample_item(device.office_code, seq) for seq in range(1, n + 1)]
    return encode({"device_id": device.device_id, "items": items})


def _post_zstd(
    server: RunningServer, device: EnrolledDevice, data: bytes, dict_header: str | None = "1"
) -> Any:
    headers = {**device.headers, "Content-Type": "application/json", "Content-Encoding": "zstd"}
    if dict_header is not None:
        headers[compression.DICT_HEADER] = dict_header
    return server.session.post(server.url("/v1/push"), data=data, headers=headers, timeout=60)


def _refused(response: Any, status: int) -> ErrorBody:
    assert response.status_code == status, (response.status_code, response.text[:300])
    body = convert(response.json(), ErrorBody)
    assert body.message_fa and body.message_en
    return body


def test_a_zstd_push_with_the_dictionary_is_accepted_and_answered_in_zstd(
    server: RunningServer, device: EnrolledDevice
) -> None:
    raw = _push_json(device, 40)
    packed = compression.compress_zstd(raw, level=19, dict_id=DICT)
    headers = {
        **device.headers,
        "Content-Type": "application/json",
        "Content-Encoding": "zstd",
        compression.DICT_HEADER: str(DICT),
        "Accept-Encoding": "zstd, gzip",
        compression.DICTS_HEADER: str(DICT),
    }
    response = server.session.post(
        server.url("/v1/push"), data=packed, headers=headers, timeout=60, stream=True
    )
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "zstd"
    assert response.headers[compression.DICT_HEADER] == str(DICT)
    wire = response.raw.read(decode_content=False)
    answer = json.loads(compression.decompress_zstd(wire, MAX_INFLATED_BYTES, dict_id=DICT))
    assert [r["status"] for r in answer["results"]] == ["accepted"] * 40
    # Without the dictionary the frame cannot be read: it really was made with it.
    with pytest.raises(compression.UnknownDictionary):
        compression.decompress_zstd(wire, MAX_INFLATED_BYTES, dict_id=None)


def test_answers_stay_gzip_for_clients_that_do_not_name_a_dictionary(
    server: RunningServer, device: EnrolledDevice
) -> None:
    for accept in ("gzip", "zstd, gzip"):  # a browser says zstd, but names no dictionary
        answer = server.session.get(
            server.url("/v1/changes"),
            headers={**device.headers, "Accept-Encoding": accept},
            timeout=30,
        )
        assert answer.status_code == 200
        assert answer.headers.get("Content-Encoding") == "gzip"
        assert answer.json()["changes"]
        # Every answer tells what a request body may use.
        assert "zstd" in answer.headers["Accept-Encoding"]
        assert compression.parse_dict_ids(answer.headers[compression.DICTS_HEADER]) == (DICT,)
    unknown = server.session.get(
        server.url("/v1/changes"),
        headers={**device.headers, "Accept-Encoding": "zstd", compression.DICTS_HEADER: "999"},
        timeout=30,
    )
    assert unknown.headers.get("Content-Encoding") != "zstd"


def test_an_unknown_dictionary_id_is_415_naming_the_header(
    server: RunningServer, device: EnrolledDevice
) -> None:
    packed = compression.compress_zstd(_push_json(device), level=3, dict_id=DICT)
    for value in ("999", "x", ""):
        body = _refused(_post_zstd(server, device, packed, dict_header=value), 415)
        assert body.error == "unsupported_media"
        assert body.fields is not None and compression.DICT_HEADER in body.fields
    # Nothing was stored: the same items go in afterwards.
    assert _post_zstd(server, device, packed).json()["results"][0]["status"] == "accepted"


def test_zstd_bombs_are_413_and_bad_frames_400(
    server: RunningServer, device: EnrolledDevice
) -> None:
    zeros = b"[" + b"0," * (MAX_INFLATED_BYTES // 2) + b"0]"  # 32 MiB + 2 of JSON
    # A frame that declares its size: refused from the header, before decoding anything.
    declared = zstandard.ZstdCompressor(level=1).compress(zeros)
    assert len(declared) < 64 * 1024
    # A streamed frame (no size in its header): refused once the output passes the cap.
    out = io.BytesIO()
    with zstandard.ZstdCompressor(level=1).stream_writer(out, closefd=False) as writer:
        writer.write(zeros)
    streamed = out.getvalue()
    assert zstandard.get_frame_parameters(streamed).content_size == zstandard.CONTENTSIZE_UNKNOWN
    for bomb in (declared, streamed):
        started = time.monotonic()
        body = _refused(_post_zstd(server, device, bomb, dict_header=None), 413)
        assert body.error == "too_large"
        assert time.monotonic() - started < 20  # a linear, capped decode; not a hang
    raw = _push_json(device)
    plain = zstandard.ZstdCompressor(level=3).compress(raw)  # no dictionary, but names one
    with_dict = compression.compress_zstd(raw, level=3, dict_id=DICT)
    # A streamed frame asking for a 128 MiB window (each decoder would allocate it).
    out = io.BytesIO()
    params = zstandard.ZstdCompressionParameters(window_log=27)
    with zstandard.ZstdCompressor(compression_params=params).stream_writer(
        out, closefd=False
    ) as writer:
        writer.write(raw)
    assert zstandard.get_frame_parameters(out.getvalue()).window_size == 128 * 1024 * 1024
    for bad in (
        plain,
        with_dict[:-20],
        with_dict[:12] + b"\xff" * 40 + with_dict[52:],
        b"not zstd at all",
        out.getvalue(),
    ):
        body = _refused(_post_zstd(server, device, bad), 400)
        assert body.error == "bad_request"
    # zstd without a dictionary (none named) is plain RFC 8878: accepted.
    answer = _post_zstd(server, device, plain, dict_header=None)
    assert answer.status_code == 200 and answer.json()["results"][0]["status"] == "accepted"


# --------------------------------------------------------------------------- the decoder


def test_the_zstd_cap_holds_to_the_byte_across_frames() -> None:
    plain = b"0," * 150_000  # 300 KB: many output pieces per frame
    frame = compression.compress_zstd(plain, level=3)
    assert compression.decompress_zstd(frame, len(plain), dict_id=DICT) == plain
    with pytest.raises(compression.TooLarge):  # refused from the declared size
        compression.decompress_zstd(frame, len(plain) - 1, dict_id=DICT)
    two = frame + frame
    assert compression.decompress_zstd(two, 2 * len(plain), dict_id=DICT) == plain + plain
    with pytest.raises(compression.TooLarge):  # the second frame no longer fits
        compression.decompress_zstd(two, 2 * len(plain) - 1, dict_id=DICT)
    empty = compression.compress_zstd(b"", level=3)
    with pytest.raises(compression.DecodeError):  # thousands of empty frames: capped
        compression.decompress_zstd(empty * 65, 1_000, dict_id=DICT)
    assert compression.decompress_zstd(empty * 64, 1_000, dict_id=DICT) == b""
    with pytest.raises(compression.DecodeError):
        compression.decompress_zstd(b"", 1_000, dict_id=DICT)


def test_a_streamed_zstd_bomb_stops_within_a_piece_of_the_cap() -> None:
    out = io.BytesIO()
    with zstandard.ZstdCompressor(level=19).stream_writer(out, closefd=False) as writer:
        for _ in range(64):
            writer.write(b"\0" * (1 << 20))  # 64 MiB of zeros, no size in the header
    bomb = out.getvalue()
    assert len(bomb) < 16 * 1024
    started = time.process_time()
    with pytest.raises(compression.TooLarge):
        compression.decompress_zstd(bomb, 1 << 20, dict_id=None)
    assert time.process_time() - started < 5  # bounded by the cap, not by 64 MiB


def test_gzip_and_identity_through_the_same_entry() -> None:
    raw = b'{"a": 1}' * 100
    assert compression.decode(compression.compress_gzip(raw, level=9), "gzip", 10_000) == raw
    assert compression.decode(raw, "", 10_000) == raw
    assert compression.decode(raw, "identity", 10_000) == raw
    with pytest.raises(compression.TooLarge):
        compression.decode(raw, "", 10)
    with pytest.raises(compression.DecodeError):
        compression.decode(raw, "br", 10_000)
    assert compression.accepts_zstd("gzip, zstd;q=0.5") and not compression.accepts_zstd(
        "zstd;q=0, gzip"
    )
    assert compression.common_dictionary("7, 1, x") == DICT
    assert compression.common_dictionary("7") is None
