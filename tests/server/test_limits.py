"""Bounded inflation (server.body.inflate_limited, in pieces of server.limits): the output
is exact across many pieces and members, and the cap holds to the byte."""

from __future__ import annotations

import gzip
import random

import pytest

from server.body import InflatedTooLarge, InflateError, inflate_limited
from server.limits import INFLATE_OUTPUT_PIECE


def _noisy(size: int, seed: int = 7) -> bytes:
    """Bytes that compress only a little, so the input spans many input pieces too."""
    rng = random.Random(seed)
    words = [bytes(rng.choices(b"abcdefghij0123456789", k=rng.randint(1, 12))) for _ in range(500)]
    out = bytearray()
    while len(out) < size:
        out += rng.choice(words) + b","
    return bytes(out[:size])


@pytest.mark.parametrize(
    "size", [0, 1, INFLATE_OUTPUT_PIECE - 1, INFLATE_OUTPUT_PIECE, 5 * INFLATE_OUTPUT_PIECE + 3]
)
def test_inflates_exactly_across_pieces(size: int) -> None:
    plain = _noisy(size)
    assert inflate_limited(gzip.compress(plain), 10 * INFLATE_OUTPUT_PIECE) == plain


def test_highly_compressible_body_inflates_exactly() -> None:
    plain = b"[" + b"0," * 300_000 + b"0]"  # ~600 KB from ~1 KB: many output pieces per input
    assert inflate_limited(gzip.compress(plain, 9), len(plain)) == plain


def test_members_join_in_order() -> None:
    parts = [_noisy(70_000, seed) for seed in range(3)]
    body = b"".join(gzip.compress(p) for p in parts)
    assert inflate_limited(body, 1 << 20) == b"".join(parts)


def test_cap_holds_to_the_byte() -> None:
    plain = b"x" * (3 * INFLATE_OUTPUT_PIECE + 17)
    body = gzip.compress(plain, 9)
    assert inflate_limited(body, len(plain)) == plain
    with pytest.raises(InflatedTooLarge):
        inflate_limited(body, len(plain) - 1)


def test_bomb_is_refused_at_the_cap() -> None:
    bomb = gzip.compress(b"0," * (4 << 20), 9)  # 8 MiB from a few KB
    with pytest.raises(InflatedTooLarge):
        inflate_limited(bomb, 1 << 20)


def test_truncated_and_padded_bodies() -> None:
    body = gzip.compress(_noisy(200_000))
    with pytest.raises(InflateError):
        inflate_limited(body[: len(body) // 2], 1 << 20)
    assert inflate_limited(body + b"\x00" * 10, 1 << 20) == _noisy(200_000)
