"""The zstd dictionary of the sync protocol: trained here, shipped in ``resources/zstd/``.

``python -m bench.zstd_dict train [--id N]`` makes ``resources/zstd/pishkhan-<N>.zdict``
(64 KiB) from representative messages of both directions, built by the program's own code
(``bench.items``: validated demo-catalogue requests, hashed by ``desktop.wire``): push
bodies of 1 to 60 items, push answers (accepted, duplicate, a few rejected with reasons)
and change-feed pages of status changes. A new dictionary gets a new id (the old file stays
shipped, so peers that only know it keep using it); never retrain an id in place.

``python -m bench.zstd_dict levels`` measures, for a batch of 500 items, a 20-item batch,
a push answer and a feed page: bytes and CPU milliseconds of gzip -9 and zstd levels 3, 9
and 19 with and without the dictionary (the figures behind the client's and the server's
levels, bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import random
import time
from collections.abc import Callable
from pathlib import Path

import zstandard

from bench.items import ItemFactory
from rules import compression
from rules.messages import Message
from sync.protocol import (
    ChangesPage,
    ItemResult,
    ItemStatus,
    PushBody,
    PushResponse,
    RemoteState,
    RequestItem,
    StatusChange,
    encode,
    utc_iso,
)

DICT_BYTES = 64 * 1024
# zstd's own dictionary id field (RFC 8878: below 32768 is reserved for a registrar).
ZSTD_ID_BASE = 0x5049_0000
_DEVICE = "5f0c1d7e-3a7b-4c1e-9d2a-6b8f0e4a9c11"


def _tracking(rng: random.Random, office: str) -> str:
    return f"PK-{office}-{rng.randrange(1, 10**8):010d}"


def _cursor(rng: random.Random) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode("ascii")


def push_answer(items: list[RequestItem], rng: random.Random) -> bytes:
    results = []
    for item in items:
        roll = rng.random()
        if roll < 0.9:
            results.append(
                ItemResult(
                    id=item.id, status=ItemStatus.ACCEPTED, tracking_code=_tracking(rng, "5501")
                )
            )
        elif roll < 0.97:
            results.append(
                ItemResult(
                    id=item.id, status=ItemStatus.DUPLICATE, tracking_code=_tracking(rng, "5501")
                )
            )
        else:
            reason = Message(fa="شمارهٔ همراه نامعتبر است.", en="The mobile number is invalid.")
            results.append(
                ItemResult(
                    id=item.id, status=ItemStatus.REJECTED, reasons={"applicant.mobile": reason}
                )
            )
    now = utc_iso(dt.datetime.now(dt.UTC))
    return encode(PushResponse(results=results, seq_gaps=[], server_time=now))


def feed_page(items: list[RequestItem], rng: random.Random) -> bytes:
    states = [RemoteState.ACCEPTED] * 6 + [RemoteState.COMPLETED, RemoteState.NEEDS_CORRECTION]
    changes = []
    for item in items:
        state = rng.choice(states)
        reason_fa = reason_en = None
        if state is RemoteState.NEEDS_CORRECTION:
            reason_fa, reason_en = "تصویر مدرک خوانا نیست.", "The document scan is not legible."
        at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=rng.randrange(86_400))
        changes.append(
            StatusChange(
                request_id=item.id,
                state=state,
                reason_fa=reason_fa,
                reason_en=reason_en,
                tracking_code=_tracking(rng, item.office_code),
                at=utc_iso(at),
            )
        )
    page = ChangesPage(changes=list(changes), cursor=_cursor(rng), more=rng.random() < 0.5)
    return encode(page)


def samples(n_items: int = 6000, seed: int = 1405) -> list[bytes]:
    """Messages of both directions, in the proportions a sync exchanges them."""
    rng = random.Random(seed)
    factory = ItemFactory(variants=1500, seed=seed)
    out: list[bytes] = []
    seq = 1
    while seq < n_items:
        size = rng.choice((1, 2, 5, 10, 20, 40, 60))
        office = rng.choice(("5501", "1001", "3207", "12"))
        items = factory.items(office, rng.randrange(1, 9), size, first_seq=seq)
        seq += size
        out.append(encode(PushBody(device_id=_DEVICE, items=items)))
        out.append(push_answer(items, rng))
        out.append(feed_page(items, rng))
    return out


def train(dict_id: int, *, folder: Path | None = None) -> Path:
    data = samples()
    trained = zstandard.train_dictionary(
        DICT_BYTES, data, dict_id=ZSTD_ID_BASE + dict_id, level=19, threads=1
    )
    folder = folder or compression.dictionary_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"pishkhan-{dict_id}.zdict"
    if path.exists():
        raise SystemExit(f"{path} exists: a dictionary id is never retrained, take a new id")
    path.write_bytes(trained.as_bytes())
    return path


# --------------------------------------------------------------------------- levels


def _cpu_ms(fn: Callable[[], bytes], repeat: int) -> tuple[int, float]:
    out = fn()
    started = time.process_time()
    for _ in range(repeat):
        fn()
    return len(out), (time.process_time() - started) * 1000 / repeat


def measure_levels(seed: int = 77) -> list[tuple[str, str, int, float, float]]:
    """(message, coding, bytes, compress CPU ms, decompress CPU ms) rows."""
    rng = random.Random(seed)
    factory = ItemFactory(variants=500, seed=seed)  # other contents than the training's
    big = factory.items("5501", 1, 500, first_seq=50_000)
    small = big[:20]
    messages = {
        "push of 500 items": encode(PushBody(device_id=_DEVICE, items=big)),
        "push of 20 items": encode(PushBody(device_id=_DEVICE, items=small)),
        "push answer, 500 results": push_answer(big, rng),
        "feed page, 200 changes": feed_page(big[:200], rng),
    }
    rows: list[tuple[str, str, int, float, float]] = []
    limit = 64 * 1024 * 1024
    for name, raw in messages.items():
        repeat = 5 if len(raw) > 100_000 else 40
        rows.append((name, "JSON", len(raw), 0.0, 0.0))
        size, ms = _cpu_ms(lambda raw=raw: compression.compress_gzip(raw, level=9), repeat)
        packed = compression.compress_gzip(raw, level=9)
        _, back = _cpu_ms(lambda p=packed: compression.inflate_gzip(p, limit), repeat)
        rows.append((name, "gzip -9", size, ms, back))
        for level in (3, 9, 15, 19):
            plain = zstandard.ZstdCompressor(level=level)
            size, ms = _cpu_ms(lambda raw=raw, c=plain: c.compress(raw), repeat)
            rows.append((name, f"zstd -{level}, no dictionary", size, ms, 0.0))
            size, ms = _cpu_ms(
                lambda raw=raw, lv=level: compression.compress_zstd(raw, level=lv), repeat
            )
            packed = compression.compress_zstd(raw, level=level)
            _, back = _cpu_ms(
                lambda p=packed: compression.decompress_zstd(
                    p, limit, dict_id=compression.CURRENT_DICT_ID
                ),
                repeat,
            )
            rows.append((name, f"zstd -{level} + dictionary", size, ms, back))
    return rows


def levels_table() -> str:
    lines = [
        "| message | coding | bytes | compress CPU ms | decode CPU ms |",
        "|---|---|---|---|---|",
    ]
    for name, coding, size, ms, back in measure_levels():
        lines.append(f"| {name} | {coding} | {size:,} | {ms:.2f} | {back:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.zstd_dict", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("train", help="train and write resources/zstd/pishkhan-<id>.zdict")
    make.add_argument("--id", type=int, default=compression.CURRENT_DICT_ID)
    sub.add_parser("levels", help="bytes and CPU of gzip and zstd levels (markdown)")
    args = parser.parse_args(argv)
    if args.command == "train":
        print(train(args.id))
    else:
        print(levels_table())


if __name__ == "__main__":
    main()
