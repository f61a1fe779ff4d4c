"""Benchmark: scanned documents over a rural line (256 kbit/s, 300 ms, resets), text first.

A counter PC saves 50 requests with 3 scanned pages each (generated A4 pages of text at
300 dpi, each page different, shrunk by ``desktop.scans`` as the form shrinks them) and
syncs with the engine as the program assembles it (``desktop.synccli.make_engine``:
documents after the text, yielding to any request saved meanwhile) to a real server behind
``tests.support.faultproxy`` on a shared line with random resets. A third of the way into
the documents a clerk saves a text-only request; once everything is on the server the same
is done on the idle line. Then: every blob on the server once, whole; every request accepted.

Figures: the line's limit for the shrunk bytes (their sum ÷ the rate: no protocol can send
them faster), the time until every document is on the server and its ratio to that limit;
resets and cuts seen, the chunk bytes sent again and their mean per cut (the promise: at
most one chunk each); the time to accepted of the text request saved mid-upload, against
the same on the idle line (same run, same line), and its ratio.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from bench.common import BenchResult, RunOptions, at_most, ratio
from bench.rural import QUICK_LINK, RURAL, SEGMENT_OVERHEAD, Link
from bench.scan_pages import a4_text_page

NAME = "scans"
TITLE = "Scanned documents over a rural line with resets: text first, a cut costs one chunk"
PAGES_PER_REQUEST = 3
RESETS = {"reset_probability": 0.004}  # per 16 KiB piece: about one reset every 4 MB


def cached_pages(cache_dir: Path, n: int) -> list[Any]:
    """`distinct_pages` kept in the cache between runs (making 150 takes minutes here)."""
    from desktop.scans.shrink import JPEG, ShrunkPart

    folder = cache_dir / f"scan-pages-{n}-v1"
    files = sorted(folder.glob("*.jpg")) if folder.is_dir() else []
    if len(files) == n:
        parts = []
        for path in files:
            data = path.read_bytes()
            with Image.open(io.BytesIO(data)) as image:
                parts.append(ShrunkPart(JPEG, data, 1, image.width, image.height))
        return parts
    pages = distinct_pages(n)
    folder.mkdir(parents=True, exist_ok=True)
    for i, part in enumerate(pages):
        (folder / f"{i:04d}.jpg").write_bytes(part.data)
    return pages


def distinct_pages(n: int, seed: int = 1) -> list[Any]:
    """``n`` different shrunk A4 text pages (``ShrunkPart``), as the form would store them."""
    from desktop.scans.budgets import ScanKind
    from desktop.scans.shrink import encode_page

    bases = []
    for k in range(3):  # three different sheets, each marked per page below
        sheet = a4_text_page(seed + k).image.convert("L")
        half = sheet.resize((sheet.width // 2, sheet.height // 2), Image.Resampling.LANCZOS)
        half.info["dpi"] = (150, 150)  # already at the budget's resolution: no second resize
        bases.append(half)
    rng = random.Random(seed)
    pages = []
    for i in range(n):
        page = bases[i % len(bases)].copy()
        page.info["dpi"] = (150, 150)
        draw = ImageDraw.Draw(page)
        draw.text((60, 40), f"page {i + 1} / {n}", fill=0)
        for _ in range(40):  # a few stamps and specks: no two pages hash alike
            x, y = rng.randrange(page.width), rng.randrange(page.height)
            draw.ellipse((x, y, x + rng.randrange(2, 9), y + rng.randrange(2, 9)), fill=60)
        pages.append(encode_page(page, ScanKind.DOCUMENT))
    return pages


@contextlib.contextmanager
def _lineup(work: Path, link_config: Any) -> Iterator[tuple[Any, Any, Any]]:
    from tests.scans.lineup import scan_catalogue_everywhere
    from tests.support.e2e import OFFICE_CODE, OFFICE_NAME, Counter, central_server
    from tests.support.faultproxy import FaultProxy

    with central_server(work / "server") as server:
        server.api.add_office(OFFICE_CODE, OFFICE_NAME)
        counter = Counter.create(work / "pc")
        try:
            with FaultProxy("127.0.0.1", server.port, config=link_config) as proxy:
                counter.enrol(server, proxy.url_for())
                scan_catalogue_everywhere(counter, server, work)
                yield server, proxy, counter
        finally:
            counter.close()


def _save_requests(counter: Any, pages: list[Any], requests: int) -> list[str]:
    from desktop.samples import sample_draft
    from desktop.scans.attach import DocumentScan
    from desktop.scans.budgets import ScanKind
    from tests.scans.lineup import DOCUMENT, SERVICE

    service = counter.catalogs.current().service(SERVICE)
    rng = random.Random(5)
    ids = []
    for r in range(requests):
        mine = pages[r * PAGES_PER_REQUEST : (r + 1) * PAGES_PER_REQUEST]
        scans = [DocumentScan(DOCUMENT, ScanKind.DOCUMENT, part) for part in mine]
        draft = dataclasses.replace(sample_draft(service, rng), scans=scans)
        ids.append(counter.intake.save(counter.clerk, draft).id)
    return ids


def _accepted_after(counter: Any, request_id: str, since: float, bound_s: float) -> float:
    """Seconds from ``since`` until the request is accepted here (polled every 10 ms)."""
    deadline = since + bound_s
    while time.perf_counter() < deadline:
        state = counter.rows("SELECT state FROM requests WHERE id = ?", request_id)[0][0]
        if state == "accepted":
            return time.perf_counter() - since
        time.sleep(0.01)  # a poll of the store: the engine runs on its own thread
    raise RuntimeError(f"request {request_id} not accepted within {bound_s:.0f} s")


def run(opts: RunOptions) -> BenchResult:
    from desktop.scans.outbox import ScanOutbox
    from desktop.synccli import make_engine
    from sync.backoff import Backoff
    from sync.uploads import MAX_CHUNK, DocumentLane
    from tests.scans.lineup import save_text
    from tests.support.faultproxy import LinkConfig

    res = BenchResult(NAME, TITLE)
    # --quick: one request's 3 pages (the text request still comes a third of the way in,
    # into the next page's chunk): the same paths, a third of the line time.
    requests = opts.size(50, 1)
    link: Link = QUICK_LINK if opts.quick else RURAL
    config = LinkConfig(
        rtt_ms=link.rtt_ms,
        rate_bps=link.rate_bps,
        shared_line=True,
        segment_overhead_bytes=SEGMENT_OVERHEAD,
        seed=12,
        **RESETS,
    )
    res.params = {
        "requests": f"{requests} × {PAGES_PER_REQUEST} scanned A4 pages (generated, 300 dpi)",
        "link": (
            f"{link.rate_bps // 1000} kbit/s shared by both directions, {link.rtt_ms:.0f} ms "
            f"round trip, {SEGMENT_OVERHEAD} bytes of TCP/IP headers per segment"
        ),
        "faults": f"resets {RESETS['reset_probability']:.1%} per 16 KiB piece",
        "engine": "desktop.synccli.make_engine (production settings, backoff seeded)",
    }
    t_pages = time.perf_counter()
    pages = cached_pages(opts.cache_dir, requests * PAGES_PER_REQUEST)
    shrink_s = time.perf_counter() - t_pages  # or read from the cache
    blob_bytes = sum(len(p.data) for p in pages)
    limit_s = blob_bytes / link.bytes_per_s

    with _lineup(opts.work_dir / "scans", config) as (server, proxy, counter):
        ids = _save_requests(counter, pages, requests)
        backoff = (
            Backoff(base=0.05, cap=0.2, floor=0.0, rng=random.Random(3))
            if opts.quick
            else Backoff(rng=random.Random(3))
        )
        engine = make_engine(counter.store, counter.data_dir, backoff=backoff)
        lane = engine._documents
        assert isinstance(lane, DocumentLane)
        outbox = ScanOutbox(counter.store, counter.intake.scans)
        proxy.reset_stats()
        done = threading.Event()
        rounds: list[bool] = []
        bound_s = 120.0 if opts.quick else 12 * limit_s + 600

        def sync() -> None:
            deadline = time.perf_counter() + bound_s
            try:
                while time.perf_counter() < deadline:
                    time.sleep(min(engine.seconds_until_due(), 30.0))
                    result = engine.run_round()
                    rounds.append(result.ok)
                    if result.ok and result.waiting == 0 and not outbox.waiting(1):
                        return
            finally:
                done.set()

        t0 = time.perf_counter()
        syncing = threading.Thread(target=sync, name="bench-sync")
        syncing.start()
        third = len(pages) // 3
        while lane.uploader.stats.blobs_sent < third and not done.is_set():
            time.sleep(0.02)
        # Into the next blob's chunk, not between two blobs: the clerk saves while a
        # chunk is on the line (half its expected time after it left, the typical case).
        piece = min(lane.uploader.chunk, blob_bytes / len(pages))  # a chunk ends with its blob
        time.sleep(piece / link.bytes_per_s / 2)
        saved_at = time.perf_counter()
        busy_text = save_text(counter, random.Random(7)).id
        mid_upload_s = _accepted_after(counter, busy_text, saved_at, bound_s)
        chunk_then = lane.uploader.chunk
        done.wait(bound_s)
        syncing.join(30)
        all_s = time.perf_counter() - t0
        if outbox.waiting(1):
            raise RuntimeError(
                f"documents still waiting after {all_s:.0f} s: {lane.uploader.stats}"
            )
        stats = proxy.stats()
        upload = lane.uploader.stats

        idle_saved = time.perf_counter()
        idle_text = save_text(counter, random.Random(8)).id
        engine.run_round()
        idle_s = _accepted_after(counter, idle_text, idle_saved, 60)

        blobs = server.rows("SELECT count(*), coalesce(sum(size), 0) FROM blobs")[0]
        if (blobs[0], blobs[1]) != (len(pages), blob_bytes):
            raise RuntimeError(f"server holds {blobs}, expected {len(pages)} / {blob_bytes}")
        if server.rows("SELECT count(*) FROM blob_uploads")[0][0]:
            raise RuntimeError("upload rows left on the server")
        states = dict(counter.rows("SELECT state, count(*) FROM requests GROUP BY state"))
        if states != {"accepted": requests + 2}:
            raise RuntimeError(f"requests not all accepted once: {states}")
        stored = server.rows("SELECT count(*) FROM requests")[0][0]
        if stored != requests + 2:
            raise RuntimeError(f"the server stores {stored} requests, not {requests + 2}")
        marks = ",".join("?" * len(ids))
        on_server = server.rows(
            f"SELECT count(*) FROM request_blobs WHERE request_id IN ({marks})", *ids
        )
        if on_server[0][0] != len(pages):
            raise RuntimeError(f"the server links {on_server[0][0]} scans, not {len(pages)}")

    cuts = stats.resets + stats.cuts
    resent = upload.bytes_sent - blob_bytes
    res.add(
        "shrunk bytes to send",
        blob_bytes / 1024,
        "KiB",
        digits=0,
        note=f"{len(pages)} pages, {blob_bytes / len(pages) / 1024:,.0f} KiB each; "
        f"made or read in {shrink_s:.0f} s",
    )
    res.add("line limit for them (bytes ÷ rate)", limit_s, "s", digits=1)
    res.add("every document on the server", all_s, "s", digits=1, note=f"{len(rounds)} rounds")
    res.add(
        "documents ÷ line limit",
        ratio(all_s, limit_s),
        "×",
        at_most(1.5, "≤ 1.5× (TCP/IP headers ~4 %, resets, round trips per chunk)"),
    )
    res.add("resets and cuts on the line", cuts, "", digits=0)
    res.add(
        "chunk bytes sent again",
        resent / 1024,
        "KiB",
        digits=0,
        note=f"{upload.chunks_sent} chunks, {upload.failures} stopped uploads",
    )
    res.add(
        "chunk bytes sent again per cut",
        resent / max(1, cuts) / 1024,
        "KiB",
        at_most(MAX_CHUNK / 1024, f"≤ one chunk ({MAX_CHUNK // 1024} KiB at most)"),
        digits=0,
        note=f"chunk size when the text request came: {chunk_then // 1024} KiB",
    )
    res.add("text request saved mid-upload: to accepted", mid_upload_s, "s", digits=2)
    res.add("text request on the idle line: to accepted", idle_s, "s", digits=2)
    res.add(
        "mid-upload ÷ idle line",
        ratio(mid_upload_s, idle_s),
        "×",
        note="the chunk in flight is the difference (text first)",
    )
    res.add(
        "mid-upload − idle, in times of the piece on the line",
        (mid_upload_s - idle_s) / (min(chunk_then, blob_bytes / len(pages)) / link.bytes_per_s),
        "",
        at_most(1.5, "≤ one chunk on the line (+ slack for its round trip)"),
        digits=2,
    )
    calls = upload.blobs_sent + upload.chunks_sent + upload.failures
    res.add(
        "calls per blob (create + chunks)",
        calls / max(1, upload.blobs_sent),
        "",
        digits=2,
        note=f"each waits one round trip on an idle uplink: ~{calls * link.rtt_ms / 1000:,.0f} s",
    )
    res.add("bytes up (client → server)", stats.bytes_client_to_server / 1024, "KiB", digits=0)
    res.notes.append(
        "Pages are generated text sheets marked per page (bench.scan_pages), shrunk by "
        "desktop.scans.shrink.encode_page to the document budget; the blobs are checked "
        "on the server (count and bytes), every request accepted once."
    )
    return res
