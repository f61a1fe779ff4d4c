"""Bounded inflation (server.body.inflate_limited, in 64 KiB output pieces): the output
is exact across many pieces and members, and the cap holds to the byte; the inflated cap
holds a full batch of the largest items the demo catalogue allows."""

from __future__ import annotations

import gzip
import random

import pytest

from rules.catalog import (
    APPLICANT_FIELDS,
    DEFAULT_TEXT_MAX_LENGTH,
    Field,
    FieldType,
    demo_catalog_path,
    load_catalog_file,
)
from rules.compression import OUTPUT_PIECE as INFLATE_OUTPUT_PIECE
from server.body import InflatedTooLarge, InflateError, inflate_limited
from sync.protocol import (
    INT32_MAX,
    MAX_INFLATED_BYTES,
    MAX_ITEM_BYTES,
    MAX_ITEMS_PER_PUSH,
    canonical_json,
)
from tests.support.server import sample_item


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


def _longest_answers(fields: tuple[Field, ...]) -> dict[str, str]:
    """Every field filled to its longest, in 4-byte characters (UTF-8's worst case)."""
    wide = "\U0001d49c"
    return {
        f.key: wide
        * ((f.max_length or DEFAULT_TEXT_MAX_LENGTH) if f.type is FieldType.TEXT else 40)
        for f in fields
    }


def test_a_full_batch_of_the_largest_items_fits_the_inflated_cap() -> None:
    """The cap is sized as MAX_ITEMS_PER_PUSH items of MAX_ITEM_BYTES: every service of the
    demo catalogue, each field at its longest, makes an item within that size (a larger
    catalogue item would still go, in a smaller batch, after a 413)."""
    assert MAX_INFLATED_BYTES == MAX_ITEMS_PER_PUSH * MAX_ITEM_BYTES
    catalog = load_catalog_file(demo_catalog_path())
    sizes = {}
    for service in catalog.services:
        item = sample_item(
            "OFFICE-CODE-16ch",
            INT32_MAX,
            service_code=service.code,
            applicant=_longest_answers(APPLICANT_FIELDS),
            answers=_longest_answers(service.fields),
            documents=[d.key for d in service.documents],
            reference="r" * 64,
            clerk="c" * 64,
            card_ref="1" * 64,
        )
        sizes[service.code] = len(canonical_json(item))
    assert len(sizes) > 5
    assert max(sizes.values()) <= MAX_ITEM_BYTES, sizes
