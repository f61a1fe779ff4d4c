"""Content codings of the sync protocol: gzip, and zstd with a shipped dictionary.

This module owns the bytes between a message's JSON and the wire, for both sides (the
counter's client and the central server import it): which codings exist, the versioned
zstd dictionaries shipped in ``resources/zstd/`` (``pishkhan-<id>.zdict``; the id is the
version, named in the ``Pishkhan-Zstd-Dict`` header), compressing, and decoding with hard
bounds. Negotiation (docs/PROTOCOL.md, "Compression"): a side sends zstd only to a peer
that said it knows the dictionary; gzip remains for every peer that does not.

Decoding is bounded for input from anyone (the server's request bodies before they are
parsed, the client's answers): the output never exceeds ``max_bytes`` (checked against a
frame's declared size before anything is allocated, and again while it is produced), a
zstd frame may not ask for a window past :data:`MAX_WINDOW_BYTES` (a frame can otherwise
make the decoder allocate gigabytes), and time is linear in input plus output (gzip: input
fed in 16 KiB pieces, output taken 64 KiB a call, members capped; zstd: input fed in
64-byte pieces, frames capped).
"""

from __future__ import annotations

import functools
import gzip
import sys
import threading
import zlib
from pathlib import Path

import zstandard

GZIP = "gzip"
ZSTD = "zstd"
IDENTITY = "identity"
#: Request and answer header: the dictionary (by version) a zstd body was made with, or, in
#: a request that accepts zstd answers, the dictionary its sender knows.
DICT_HEADER = "Pishkhan-Zstd-Dict"
#: Answer header of a server (or request header of a client): the dictionary ids it knows,
#: comma-separated. With ``Accept-Encoding: zstd, gzip`` on an answer (RFC 9110 §12.5.3).
DICTS_HEADER = "Pishkhan-Zstd-Dicts"
#: The dictionary this release compresses with.
CURRENT_DICT_ID = 1
#: Largest zstd window a frame may ask for (level 19 uses at most 8 MiB).
MAX_WINDOW_BYTES = 8 * 1024 * 1024
#: A body made of more gzip members than this is refused (each costs a fresh inflater).
MAX_GZIP_MEMBERS = 64
#: Most output taken from a decoder in one call (server/limits.py says why: the GIL).
OUTPUT_PIECE = 64 * 1024
_GZIP_INPUT = 16 * 1024  # gzip input fed at a time: bounds every copy
# zstd input fed at a time. A decompressobj call cannot be asked for less output, and a
# zstd byte decodes to at most ~32 KiB (a 4-byte RLE block is 128 KiB): 64 bytes give at
# most ~2 MiB a call (a millisecond of copying with the GIL held); real bodies decode in
# far smaller pieces (a 50 KB push: ~6 KB a call). 8 MiB of noise costs ~0.1 s.
_ZSTD_PIECE = 64
_DICT_DIR = Path("resources") / "zstd"


class DecodeError(ValueError):
    """A compressed body is corrupt, truncated, of too many parts, or of an unknown coding."""


class UnknownDictionary(DecodeError):
    """A zstd body names a dictionary this side does not have (or does not match it)."""


class TooLarge(ValueError):
    """A body decodes past the allowed size (a bomb, or simply too much)."""


# --------------------------------------------------------------------------- dictionaries


def dictionary_dir() -> Path:
    """``resources/zstd``: in the PyInstaller bundle when frozen, else in the source tree."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None and (Path(bundle) / _DICT_DIR).is_dir():
        return Path(bundle) / _DICT_DIR
    return Path(__file__).resolve().parents[1] / _DICT_DIR


def dictionary_path(dict_id: int) -> Path:
    return dictionary_dir() / f"pishkhan-{dict_id}.zdict"


@functools.cache
def known_dictionaries() -> tuple[int, ...]:
    """The dictionary ids shipped with this installation, lowest first."""
    found = []
    for path in dictionary_dir().glob("pishkhan-*.zdict"):
        number = path.stem.removeprefix("pishkhan-")
        if number.isdigit():
            found.append(int(number))
    return tuple(sorted(found))


@functools.cache
def dictionary(dict_id: int) -> zstandard.ZstdCompressionDict:
    """Dictionary ``dict_id`` (cached); :class:`UnknownDictionary` if it is not shipped."""
    if dict_id not in known_dictionaries():
        raise UnknownDictionary(f"no zstd dictionary {dict_id}")
    return zstandard.ZstdCompressionDict(dictionary_path(dict_id).read_bytes())


def parse_dict_ids(value: str | None) -> tuple[int, ...]:
    """``"1, 2"`` → ``(1, 2)``; anything unreadable is left out (a header is only a hint)."""
    ids = []
    for part in (value or "").split(","):
        part = part.strip()
        if part.isdigit() and len(part) <= 6:
            ids.append(int(part))
    return tuple(ids)


def common_dictionary(offered: str | None) -> int | None:
    """The newest dictionary in ``offered`` (a header value) that this side has, if any."""
    shared = set(parse_dict_ids(offered)) & set(known_dictionaries())
    return max(shared) if shared else None


def accepts_zstd(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding value lists zstd with a non-zero weight."""
    for part in (accept_encoding or "").lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() != ZSTD:
            continue
        q = params.strip()
        if q.startswith("q="):
            try:
                return float(q[2:]) > 0
            except ValueError:
                return False
        return True
    return False


# --------------------------------------------------------------------------- compressing


_local = threading.local()  # a compressor serves one thread at a time


def compress_zstd(data: bytes, *, level: int, dict_id: int = CURRENT_DICT_ID) -> bytes:
    """One zstd frame of ``data`` made with dictionary ``dict_id`` (content size and a
    checksum in the frame). Compressors are kept per thread (one is not thread-safe, and
    preparing the dictionary for a level costs more than compressing a small answer)."""
    cache: dict[tuple[int, int], zstandard.ZstdCompressor] | None = getattr(_local, "zstd", None)
    if cache is None:
        cache = _local.zstd = {}
    compressor = cache.get((level, dict_id))
    if compressor is None:
        compressor = cache[(level, dict_id)] = zstandard.ZstdCompressor(
            level=level, dict_data=dictionary(dict_id), write_checksum=True, write_content_size=True
        )
    return compressor.compress(data)


def compress_gzip(data: bytes, *, level: int) -> bytes:
    """A gzip member of ``data`` (deterministic: mtime 0)."""
    return gzip.compress(data, compresslevel=level, mtime=0)


# --------------------------------------------------------------------------- decoding


def inflate_gzip(data: bytes, max_bytes: int, *, max_members: int = MAX_GZIP_MEMBERS) -> bytes:
    """Inflate gzip ``data``, never holding more than ``max_bytes`` of output.

    Time is linear in the input: the inflater is fed 16 KiB at a time, so what zlib copies
    back (``unused_data`` at a member's end) is at most that much per member, and members
    are capped. Output is taken 64 KiB a call (``server.limits``, issue 10: zlib builds
    and copies a call's output with the GIL held; a 32 MiB piece held it 18-21 ms while
    the event loop waited). Trailing NUL padding is accepted, as gzip(1) does.
    """
    view = memoryview(data)
    size = len(data)
    out: list[bytes] = []
    total = 0
    pos = 0
    members = 0
    try:
        while True:
            members += 1
            if members > max_members:
                raise DecodeError(f"more than {max_members} gzip members")
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            while not inflater.eof:
                room = min(max_bytes - total + 1, OUTPUT_PIECE)
                if pos < size:
                    piece = view[pos : pos + _GZIP_INPUT]
                    got = inflater.decompress(piece, room)
                    pos += len(piece) - len(inflater.unconsumed_tail) - len(inflater.unused_data)
                else:
                    got = inflater.decompress(b"", room)  # output still pending, if any
                    if not got:
                        raise DecodeError("truncated gzip body")
                out.append(got)
                total += len(got)
                if total > max_bytes:
                    raise TooLarge(f"inflates past {max_bytes} bytes")
            if pos >= size or (data[pos] == 0 and data.count(b"\x00", pos) == size - pos):
                return b"".join(out)
    except zlib.error as exc:
        raise DecodeError(str(exc)) from exc


def decompress_zstd(
    data: bytes, max_bytes: int, *, dict_id: int | None, max_frames: int = MAX_GZIP_MEMBERS
) -> bytes:
    """Decode zstd ``data`` made with dictionary ``dict_id`` (None: none), at most
    ``max_bytes`` of output (plus one piece's worth while it is being refused).

    Each frame's header is read first: a declared size past ``max_bytes``, a window past
    :data:`MAX_WINDOW_BYTES` or a dictionary other than the one named is refused before
    any decoding. The input is then fed :data:`_ZSTD_PIECE` bytes at a time (a zstd byte
    decodes to at most ~32 KiB: a 4-byte RLE block is 128 KiB), so the output is checked
    against the cap every 2 MiB at worst; a frame must end (truncation is an error) and
    frames may follow one another (RFC 8878), at most ``max_frames`` of them.
    """
    if not data:
        raise DecodeError("empty zstd body")
    zdict = dictionary(dict_id) if dict_id is not None else None
    wanted = zdict.dict_id() if zdict is not None else 0
    decompressor = zstandard.ZstdDecompressor(dict_data=zdict, max_window_size=MAX_WINDOW_BYTES)
    view = memoryview(data)
    out: list[bytes] = []
    total = 0
    pos = 0
    frames = 0
    try:
        while pos < len(data):
            frames += 1
            if frames > max_frames:
                raise DecodeError(f"more than {max_frames} zstd frames")
            _check_frame_header(view[pos:], max_bytes - total, wanted)
            frame = decompressor.decompressobj()
            while not frame.eof:
                if pos >= len(data):
                    raise DecodeError("truncated zstd body")
                piece = view[pos : pos + _ZSTD_PIECE]
                got = frame.decompress(piece)
                pos += len(piece) - len(frame.unused_data)
                if got:
                    out.append(got)
                    total += len(got)
                    if total > max_bytes:
                        raise TooLarge(f"decodes past {max_bytes} bytes")
    except zstandard.ZstdError as exc:
        raise DecodeError(str(exc)) from exc
    return b"".join(out)


def _check_frame_header(data: memoryview, room: int, wanted_dict: int) -> None:
    try:
        params = zstandard.get_frame_parameters(data)
    except zstandard.ZstdError as exc:
        raise DecodeError(f"not a zstd frame: {exc}") from exc
    if params.content_size not in (zstandard.CONTENTSIZE_UNKNOWN, zstandard.CONTENTSIZE_ERROR):
        if params.content_size > room:
            raise TooLarge(f"declares {params.content_size} bytes, past the {room} left")
    if params.window_size > MAX_WINDOW_BYTES:
        raise DecodeError(f"asks for a {params.window_size}-byte window")
    if params.dict_id != wanted_dict:
        raise UnknownDictionary(
            f"made with zstd dictionary #{params.dict_id}, not the one named (#{wanted_dict})"
        )


def decode(data: bytes, encoding: str, max_bytes: int, *, dict_id: int | None = None) -> bytes:
    """``data`` as sent with Content-Encoding ``encoding`` ("" or identity: as is)."""
    encoding = encoding.strip().lower()
    if encoding in ("", IDENTITY):
        if len(data) > max_bytes:
            raise TooLarge(f"over {max_bytes} bytes")
        return data
    if encoding == GZIP:
        return inflate_gzip(data, max_bytes)
    if encoding == ZSTD:
        return decompress_zstd(data, max_bytes, dict_id=dict_id)
    raise DecodeError(f"unknown content coding {encoding[:40]!r}")
