"""Receiving a batch of requests: each item answered on its own, the batch stored at once.

The work is split so the database sees one short transaction per batch:

1. Outside any transaction, every item is decoded on its own and checked
   (``server.items``): shape and bounds, content hash, office, the counter's form rules.
2. One write transaction: lock the device row (one device's pushes run one at a time),
   look up all the batch's ids, sequence numbers and superseded ids in three queries,
   decide every item, take the keys and the office's next tracking numbers, insert the
   new requests in bulk, record the sequence numbers, then build *and encode* the answer,
   and only then append "accepted" to the change feed (under the feed lock), which is
   the commit on PostgreSQL. Nothing that can fail comes after the commit: a stored item
   is always answered (an answer that could not be encoded rolls the batch back).

Two devices pushing the same new id at once both miss it in step 2, and one of them trips
``UNIQUE(id)``; that batch is retried once (the id is then found: duplicate or conflict).
If it fails again, its new items are answered ``retry`` and nothing of it is stored.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import (
    Connection,
    Engine,
    Text,
    any_,
    bindparam,
    case,
    cast,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError

from server import receipts
from server.blobs_links import link_scans
from server.catalogs import CatalogCache
from server.console.search import add_requests as add_search_keys
from server.db import bulk_insert, is_sqlite, write_tx
from server.errors import unauthorized
from server.feed import append_status
from server.items import PreparedItem, check_form, decode_item, decode_lean
from server.models import device_seqs, devices, offices, requests
from server.offices import AuthDevice
from sync.protocol import (
    CompactPushResponse,
    ItemResult,
    ItemStatus,
    Message,
    PushResponse,
    RemoteState,
    encode,
    parse_utc_iso,
    utc_iso,
)

log = logging.getLogger("pishkhan.server")

MAX_GAPS_REPORTED = 100

R_SUPERSEDES = Message(
    "درخواستِ اصلاح‌شده از دفتر دیگری است.",
    "The request being corrected belongs to another office.",
)
R_ID_TAKEN = Message(
    "این شناسه پیش‌تر با محتوای دیگری ثبت شده است.",
    "This id was already stored with different content.",
)
R_SEQ_TAKEN = Message(
    "شمارهٔ ترتیب این رایانه پیش‌تر برای درخواست دیگری آمده است؛ رایانه را دوباره ثبت کنید.",
    "This PC's sequence number was already used by another request; re-enrol the PC.",
)


@dataclass
class Plan:
    """What to answer and what to insert, decided under the device lock."""

    now: dt.datetime
    results: list[ItemResult | int] = field(default_factory=list)  # int: index in inserts
    inserts: list[PreparedItem] = field(default_factory=list)
    seen_seqs: set[int] = field(default_factory=set)


def _joined(values: Sequence[Any]) -> str | None:
    """``values`` as one comma-separated text, or None if one of them has a comma.

    One text parameter split by PostgreSQL (``string_to_array``) costs the server far less
    CPU than binding an array element by element (ids are canonical UUIDs, seqs integers)."""
    texts = [str(v) for v in values]
    joined = ",".join(texts)
    return joined if joined.count(",") == len(texts) - 1 else None


def _among(conn: Connection, column: Any, values: Sequence[Any]) -> Any:
    """``column IN values``; on PostgreSQL as ``= ANY(array)``, one parameter, not hundreds."""
    if is_sqlite(conn):
        return column.in_(values)
    joined = _joined(values)
    if joined is None:
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    split = func.string_to_array(bindparam(None, joined, type_=Text), ",")
    return column == any_(cast(split, ARRAY(column.type)))


def _plan(
    conn: Connection, device: AuthDevice, prepared: list[PreparedItem], *, now: dt.datetime
) -> Plan:
    # One device's pushes run one at a time (PostgreSQL row lock; SQLite's write lock).
    locked = conn.execute(
        select(devices.c.revoked_at).where(devices.c.id == device.id).with_for_update()
    ).first()
    if locked is None or locked.revoked_at is not None:
        raise unauthorized()
    candidates = [p.item for p in prepared if p.item is not None and p.reasons is None]
    existing: dict[str, Any] = {}
    used_seqs: dict[int, str] = {}
    superseded_office: dict[str, int] = {}
    if candidates:
        ids = sorted({item.id for item in candidates})
        existing = {
            row.id: row
            for row in conn.execute(
                select(
                    requests.c.id,
                    requests.c.office_id,
                    requests.c.content_hash,
                    requests.c.tracking_code,
                ).where(_among(conn, requests.c.id, ids))
            )
        }
        seqs = sorted({item.seq for item in candidates})
        used_seqs = {
            row.seq: row.id
            for row in conn.execute(
                select(requests.c.seq, requests.c.id).where(
                    requests.c.device_id == device.id, _among(conn, requests.c.seq, seqs)
                )
            )
        }
        superseded = sorted({item.supersedes for item in candidates if item.supersedes})
        if superseded:
            superseded_office = {
                row.id: row.office_id
                for row in conn.execute(
                    select(requests.c.id, requests.c.office_id).where(requests.c.id.in_(superseded))
                )
            }

    plan = Plan(now=now)
    in_batch: dict[str, tuple[str, ItemResult | int]] = {}  # id -> (hash, its answer)
    batch_seqs: set[int] = set()
    for p in prepared:
        item = p.item
        if item is not None:
            plan.seen_seqs.add(item.seq)
        if item is None or p.reasons is not None:
            plan.results.append(ItemResult(p.id, ItemStatus.REJECTED, reasons=p.reasons))
            continue
        stored = existing.get(item.id)
        if stored is not None:
            if stored.office_id == device.office_id and stored.content_hash == p.content_hash:
                plan.results.append(
                    ItemResult(item.id, ItemStatus.DUPLICATE, tracking_code=stored.tracking_code)
                )
            else:
                plan.results.append(
                    ItemResult(item.id, ItemStatus.CONFLICT, reasons={"id": R_ID_TAKEN})
                )
            continue
        earlier = in_batch.get(item.id)
        if earlier is not None:
            earlier_hash, earlier_answer = earlier
            if earlier_hash != p.content_hash:
                plan.results.append(
                    ItemResult(item.id, ItemStatus.CONFLICT, reasons={"id": R_ID_TAKEN})
                )
            else:  # the same answer again; an insert index turns into "duplicate"
                plan.results.append(earlier_answer)
            continue
        answer: ItemResult | int
        if p.form_reasons is not None:
            answer = ItemResult(item.id, ItemStatus.REJECTED, reasons=p.form_reasons)
        elif (
            item.supersedes is not None
            and superseded_office.get(item.supersedes, device.office_id) != device.office_id
        ):
            answer = ItemResult(item.id, ItemStatus.REJECTED, reasons={"supersedes": R_SUPERSEDES})
        elif item.seq in batch_seqs or used_seqs.get(item.seq, item.id) != item.id:
            answer = ItemResult(item.id, ItemStatus.CONFLICT, reasons={"seq": R_SEQ_TAKEN})
        else:
            answer = len(plan.inserts)
            plan.inserts.append(p)
            batch_seqs.add(item.seq)
        in_batch[item.id] = (p.content_hash, answer)
        plan.results.append(answer)
    return plan


def _allocate_keys(conn: Connection, count: int) -> list[int]:
    """``count`` new request keys in one round trip; tracking codes are made from them."""
    if is_sqlite(conn):
        # Under BEGIN IMMEDIATE nobody else inserts; rows are never deleted.
        top = conn.execute(text("SELECT coalesce(max(pk), 0) FROM requests")).scalar() or 0
        return list(range(top + 1, top + 1 + count))
    # One row with the keys as text: 100 result rows cost more to read than to split.
    keys = conn.execute(
        text(
            "SELECT string_agg(k::text, ',') FROM (SELECT"
            " nextval(pg_get_serial_sequence('requests', 'pk')) AS k"
            " FROM generate_series(1, :n)) AS t"
        ),
        {"n": count},
    ).scalar_one()
    return sorted(int(v) for v in keys.split(","))


def _allocate_tracking(conn: Connection, office_id: int, count: int) -> list[int]:
    """The office's next ``count`` tracking numbers (per office, so that no office learns
    the volume of the others); the office row is locked until the push commits."""
    top = conn.execute(
        update(offices)
        .where(offices.c.id == office_id)
        .values(last_tracking=offices.c.last_tracking + count)
        .returning(offices.c.last_tracking)
    ).scalar_one()
    return list(range(int(top) - count + 1, int(top) + 1))


def tracking_code(office_code: str, number: int) -> str:
    return f"PK-{office_code}-{number:010d}"


def _seq_gaps(conn: Connection, device_id: str) -> list[tuple[int, int]]:
    rows = conn.execute(
        text(
            "SELECT prev, seq FROM ("
            " SELECT seq, LAG(seq) OVER (ORDER BY seq) AS prev"
            " FROM device_seqs WHERE device_id = :d) AS t"
            " WHERE (prev IS NULL AND seq > 1) OR seq > prev + 1"
            " ORDER BY seq LIMIT :n"
        ),
        {"d": device_id, "n": MAX_GAPS_REPORTED},
    ).all()
    return [((prev or 0) + 1, seq - 1) for prev, seq in rows]


def _apply(
    conn: Connection, device: AuthDevice, plan: Plan, *, now: dt.datetime
) -> tuple[list[str], list[tuple[int, int]]]:
    """Store what the plan says, but the feed; returns the tracking codes (by insert index)
    and the seq gaps."""
    codes: list[str] = []
    if plan.inserts:
        keys = _allocate_keys(conn, len(plan.inserts))
        numbers = _allocate_tracking(conn, device.office_id, len(plan.inserts))
        codes = [tracking_code(device.office_code, number) for number in numbers]
        rows = []
        for key, code, p in zip(keys, codes, plan.inserts, strict=True):
            item = p.item
            assert item is not None
            rows.append(
                {
                    "pk": key,
                    "id": item.id,
                    "office_id": device.office_id,
                    "device_id": device.id,
                    "seq": item.seq,
                    "reference": item.reference,
                    "clerk": item.clerk,
                    "service_code": item.service_code,
                    "catalog_version": item.catalog_version,
                    "content_hash": p.content_hash,
                    "payload": p.payload,
                    "tracking_code": code,
                    "state": str(RemoteState.ACCEPTED),
                    "supersedes": item.supersedes,
                    "created_at": parse_utc_iso(item.created_at),
                    "received_at": now,
                    "state_changed_at": now,
                }
            )
        bulk_insert(conn, requests, rows)
        # The scans they name, in the same transaction (documents follow by /v1/blobs).
        link_scans(conn, device.office_id, (p.item for p in plan.inserts if p.item is not None))
        add_search_keys(conn, zip(keys, (p.item for p in plan.inserts if p.item), strict=True))

    gaps: list[tuple[int, int]] = []
    if plan.seen_seqs:
        seq_max, seq_seen = _record_seqs(conn, device.id, sorted(plan.seen_seqs), now=now)
        if seq_seen < seq_max:
            gaps = _seq_gaps(conn, device.id)
    return codes, gaps


def _append_accepted(conn: Connection, device: AuthDevice, plan: Plan, codes: list[str]) -> None:
    """The feed's "accepted" for every new request: the transaction's last step (on
    PostgreSQL the commit itself)."""
    if plan.inserts:
        append_status(
            conn,
            office_id=device.office_id,
            state=RemoteState.ACCEPTED,
            at=plan.now,
            requests=[
                (p.item.id, code)
                for p, code in zip(plan.inserts, codes, strict=True)
                if p.item is not None
            ],
            device_id=device.id,
        )


def _record_seqs(
    conn: Connection, device_id: str, seen: list[int], *, now: dt.datetime
) -> tuple[int, int]:
    """Note the sequence numbers seen; returns the device's (highest, how many distinct)."""
    if not is_sqlite(conn):
        # One round trip: insert the new numbers, count them into the device row.
        row = conn.execute(
            text(
                "WITH new AS ("
                " INSERT INTO device_seqs (device_id, seq)"
                " SELECT :d, s FROM unnest(CAST(string_to_array(:seqs, ',') AS bigint[])) AS s"
                " ON CONFLICT DO NOTHING RETURNING 1)"
                " UPDATE devices SET seq_max = GREATEST(seq_max, :top),"
                " seq_seen = seq_seen + (SELECT count(*) FROM new), last_seen_at = :now"
                " WHERE id = :d RETURNING seq_max, seq_seen"
            ),
            {"d": device_id, "seqs": ",".join(map(str, seen)), "top": seen[-1], "now": now},
        ).one()
        return int(row.seq_max), int(row.seq_seen)
    known = set(
        conn.execute(
            select(device_seqs.c.seq).where(
                device_seqs.c.device_id == device_id, device_seqs.c.seq.in_(seen)
            )
        ).scalars()
    )
    new = [seq for seq in seen if seq not in known]
    if new:
        bulk_insert(conn, device_seqs, [{"device_id": device_id, "seq": s} for s in new])
    row = conn.execute(
        update(devices)
        .where(devices.c.id == device_id)
        .values(
            seq_max=case((devices.c.seq_max < seen[-1], seen[-1]), else_=devices.c.seq_max),
            seq_seen=devices.c.seq_seen + len(new),
            last_seen_at=now,
        )
        .returning(devices.c.seq_max, devices.c.seq_seen)
    ).one()
    return int(row.seq_max), int(row.seq_seen)


def _answers(plan: Plan, codes: list[str] | None, retry_after: int) -> list[ItemResult]:
    """Resolve insert indexes: accepted (first time) / duplicate (repeated in the batch)."""
    out: list[ItemResult] = []
    first_seen: set[int] = set()
    for answer in plan.results:
        if not isinstance(answer, int):
            out.append(answer)
            continue
        item = plan.inserts[answer].item
        assert item is not None
        if codes is None:
            out.append(ItemResult(item.id, ItemStatus.RETRY, retry_after=retry_after))
        elif answer in first_seen:
            out.append(ItemResult(item.id, ItemStatus.DUPLICATE, tracking_code=codes[answer]))
        else:
            first_seen.add(answer)
            out.append(ItemResult(item.id, ItemStatus.ACCEPTED, tracking_code=codes[answer]))
    return out


def _encoded_answer(
    plan: Plan,
    codes: list[str] | None,
    gaps: list[tuple[int, int]],
    retry_after: int,
    revision: int,
) -> tuple[bytes, Counter[str]]:
    """The whole answer as bytes, and how many of each status (for the log line): compact
    for a client of revision 2, the full one (ids echoed) for the others."""
    results = _answers(plan, codes, retry_after)
    answer = PushResponse(results=results, seq_gaps=gaps, server_time=utc_iso(plan.now))
    counts = Counter(str(r.status) for r in results)
    if revision >= 2:
        return encode(CompactPushResponse.of(answer)), counts
    return encode(answer), counts


def push(
    engine: Engine,
    cache: CatalogCache,
    device: AuthDevice,
    raw_items: Sequence[msgspec.Raw],
    *,
    now: dt.datetime,
    retry_after: int,
    revision: int = 1,
    receipt_key: str | None = None,
    digest: str | None = None,
) -> bytes:
    """Answer every item of one push; store the acceptable ones in one transaction.

    Returns the encoded ``PushResponse``: it is made before the commit, so once anything
    is stored nothing is left that could fail to answer it. With ``receipt_key`` (the PC's
    batch key) the same bytes are stored as its receipt in that transaction
    (``server.receipts``): a receipt exists exactly when the batch's outcome is stored.

    With ``digest`` (revision 3) the items came without their hashes: ``BatchRefused``,
    before any transaction, unless their hashes computed here give it."""
    if digest is not None:
        prepared = decode_lean(list(raw_items), digest, device)
    else:
        prepared = [decode_item(raw, device) for raw in raw_items]
    versions = {p.item.catalog_version for p in prepared if p.item is not None}
    catalogs = cache.get_many(engine, versions)
    for p in prepared:
        check_form(p, catalogs)
    answer: bytes | None = None
    counts: Counter[str] = Counter()
    plan: Plan | None = None
    for attempt in (1, 2):
        try:
            with write_tx(engine) as conn:
                plan = _plan(conn, device, prepared, now=now)
                codes, gaps = _apply(conn, device, plan, now=now)
                answer, counts = _encoded_answer(plan, codes, gaps, retry_after, revision)
                if receipt_key is not None:
                    receipts.store(conn, device.id, receipt_key, answer, now=now)
                _append_accepted(conn, device, plan, codes)
            break
        except IntegrityError as exc:
            # Another device stored one of these ids (or a seq) between our look-up and insert.
            log.info(
                "push from device %s lost a race (attempt %d): %s", device.id, attempt, exc.orig
            )
            answer = None
    if plan is None:  # pragma: no cover - the plan only reads; this would be a bug
        raise RuntimeError("push could not plan the batch")
    if answer is None:  # lost the race twice: nothing of it was stored; the new ones retry
        answer, counts = _encoded_answer(plan, None, [], retry_after, revision)
    log.info(
        "push device=%s office=%s items=%d revision=%d %s",
        device.id,
        device.office_code,
        len(prepared),
        revision,
        " ".join(f"{k}={v}" for k, v in sorted(counts.items())),
    )
    return answer
