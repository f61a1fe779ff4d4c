"""The change feed: status changes of an office's requests and catalogue versions.

Every change is a row of ``changes``; its id is handed out in commit order (SQLite has one
writer; PostgreSQL appends under an advisory lock, see ``server.db.lock_feed``), so "all
changes after id N" is a complete answer and N is the cursor (PostgreSQL sends the lock,
the rows and the commit in one round trip: ``append_status``). The cursor the client sees
is opaque: base64url of (format, last id, office id) plus an HMAC with this database's own
key. A cursor that fails its check, names another office, or points past the end (a
restored or different database) answers ``reset``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import secrets
import struct
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, or_, select, update

from server.db import (
    bulk_insert,
    commit_under_feed_lock,
    is_sqlite,
    read_now,
    read_tx,
    write_tx,
)
from server.errors import not_found
from server.models import as_utc, catalog_versions, changes, requests, server_meta
from sync.protocol import (
    CatalogChange,
    Change,
    ChangeKind,
    ChangesPage,
    RemoteState,
    StatusChange,
    encode,
    utc_iso,
)

_CURSOR = struct.Struct(">BQI")  # format, last change id, office id
_CURSOR_FORMAT = 1
_MAC_BYTES = 12
CURSOR_KEY_NAME = "cursor_key"
# Catalogue documents are big; a page carries at most this many of them.
MAX_CATALOGS_PER_PAGE = 10


def ensure_cursor_key(engine: Engine) -> bytes:
    """This database's cursor-signing key, made on first use and kept in ``server_meta``."""
    with read_tx(engine) as conn:
        value = conn.execute(
            select(server_meta.c.value).where(server_meta.c.key == CURSOR_KEY_NAME)
        ).scalar()
    if value is None:
        with write_tx(engine) as conn:
            value = conn.execute(
                select(server_meta.c.value).where(server_meta.c.key == CURSOR_KEY_NAME)
            ).scalar()
            if value is None:
                value = secrets.token_hex(32)
                conn.execute(insert(server_meta).values(key=CURSOR_KEY_NAME, value=value))
    return bytes.fromhex(value)


def encode_cursor(key: bytes, office_id: int, last_id: int) -> str:
    payload = _CURSOR.pack(_CURSOR_FORMAT, last_id, office_id)
    mac = hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(payload + mac).rstrip(b"=").decode("ascii")


def decode_cursor(key: bytes, office_id: int, cursor: str) -> int | None:
    """The last change id in ``cursor``, or None if it is not a valid cursor of this office."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _CURSOR.size + _MAC_BYTES:
        return None
    payload, mac = raw[: _CURSOR.size], raw[_CURSOR.size :]
    expected = hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES]
    if not hmac.compare_digest(mac, expected):
        return None
    fmt, last_id, cursor_office = _CURSOR.unpack(payload)
    if fmt != _CURSOR_FORMAT or cursor_office != office_id:
        return None
    return int(last_id)


def _status_change(row: Any) -> StatusChange:
    return StatusChange(
        request_id=row.request_id,
        state=RemoteState(row.state),
        at=utc_iso(as_utc(row.at) or dt.datetime.now(dt.UTC)),
        tracking_code=row.tracking_code,
        reason_fa=row.reason_fa,
        reason_en=row.reason_en,
    )


def _catalog_change(row: Any) -> CatalogChange:
    return CatalogChange(
        version=row.catalog_version,
        catalog=json.loads(row.document),
        at=utc_iso(as_utc(row.at) or dt.datetime.now(dt.UTC)),
    )


def changes_page(
    engine: Engine,
    key: bytes,
    office_id: int,
    cursor: str | None,
    limit: int,
    *,
    skip_device: str | None = None,
    max_bytes: int | None = None,
) -> ChangesPage:
    """The next ``limit`` changes for ``office_id`` after ``cursor`` (None: from the start).

    ``skip_device``: leave out the acceptances that device's own pushes made (their answers
    carried them; revision 2). Only those: a back-office decision, another counter's
    acceptance and a catalogue version have no cause device, or another one, and are
    always sent; the cursor moves past the skipped rows as past other offices' rows.

    ``max_bytes``: the page ends before the change that would take its JSON past that many
    bytes (a page carries at least one change), so a long feed comes in pages of a size fit
    for the line rather than of a count."""
    with read_now(engine) as conn:
        # Everything up to the current end is committed (ids become visible in order), so
        # both queries below read the same prefix of the feed even without one snapshot.
        horizon = conn.execute(select(func.coalesce(func.max(changes.c.id), 0))).scalar() or 0
        after = 0
        if cursor:
            decoded = decode_cursor(key, office_id, cursor)
            if decoded is None or decoded > horizon:
                return ChangesPage(changes=[], cursor=None, more=True, reset=True)
            after = decoded
        own = (
            [or_(changes.c.device_id.is_(None), changes.c.device_id != skip_device)]
            if skip_device
            else []
        )
        status_rows = conn.execute(
            select(changes)
            .where(
                changes.c.office_id == office_id,
                changes.c.id > after,
                changes.c.id <= horizon,
                *own,
            )
            .order_by(changes.c.id)
            .limit(limit + 1)
        ).all()
        catalog_limit = min(limit, MAX_CATALOGS_PER_PAGE)
        catalog_rows = conn.execute(
            select(
                changes.c.id, changes.c.catalog_version, changes.c.at, catalog_versions.c.document
            )
            .join(catalog_versions, catalog_versions.c.version == changes.c.catalog_version)
            .where(
                changes.c.office_id.is_(None),
                changes.c.kind == str(ChangeKind.CATALOG),
                changes.c.id > after,
                changes.c.id <= horizon,
            )
            .order_by(changes.c.id)
            .limit(catalog_limit + 1)
        ).all()
    # Merge the two ordered sources. Past the last row fetched from a source that has more,
    # rows of that source may be missing: the page must stop there (the frontier).
    frontier = horizon
    if len(status_rows) > limit:
        status_rows = status_rows[:limit]
        frontier = min(frontier, status_rows[-1].id)
    if len(catalog_rows) > catalog_limit:
        catalog_rows = catalog_rows[:catalog_limit]
        frontier = min(frontier, catalog_rows[-1].id)
    merged: list[tuple[int, Change]] = [(r.id, _status_change(r)) for r in status_rows]
    merged += [(r.id, _catalog_change(r)) for r in catalog_rows]
    merged.sort(key=lambda pair: pair[0])
    merged = [pair for pair in merged if pair[0] <= frontier]
    cut = _byte_cut(merged[:limit], max_bytes) if max_bytes is not None else None
    if cut is not None:
        page, last_id, more = merged[:cut], merged[cut - 1][0], True
    elif len(merged) > limit:
        page, last_id, more = merged[:limit], merged[limit - 1][0], True
    else:
        # Everything up to the frontier is delivered; the cursor moves past other offices'
        # rows too, so the next call does not scan them again.
        page, last_id, more = merged, frontier, frontier < horizon
    return ChangesPage(
        changes=[change for _, change in page],
        cursor=encode_cursor(key, office_id, last_id),
        more=more,
        reset=False,
    )


def _byte_cut(merged: Sequence[tuple[int, Change]], max_bytes: int) -> int | None:
    """How many of ``merged`` fit in ``max_bytes`` of JSON, if not all of them (at least 1)."""
    total = len(b'{"changes":[],"cursor":"","more":true,"reset":false}') + 60
    for n, (_, change) in enumerate(merged):
        total += len(encode(change)) + 1
        if total > max_bytes and n > 0:
            return n
    return None


# The rows' own values (request ids, tracking codes) go as two comma-separated texts: one
# parameter each, cheap to bind on the client (ids are canonical UUIDs, tracking codes
# "PK-<office>-<digits>": no commas). Ids are handed out in the rows' order.
_APPEND_STATUS_PG = (
    "INSERT INTO changes (kind, office_id, request_id, state, reason_fa, reason_en,"
    " tracking_code, at, device_id)"
    " SELECT %(kind)s, %(office_id)s, r, %(state)s, %(reason_fa)s, %(reason_en)s, t, %(at)s,"
    " %(device_id)s"
    " FROM unnest(string_to_array(%(request_ids)s, ','),"
    " string_to_array(%(tracking_codes)s, ',', '')) WITH ORDINALITY AS u(r, t, n)"
    " ORDER BY n"
)


def _joined(values: Sequence[str]) -> str:
    text = ",".join(values)
    if text.count(",") != len(values) - 1:
        raise ValueError("a request id or tracking code with a comma")
    return text


def append_status(
    conn: Connection,
    *,
    office_id: int,
    state: RemoteState,
    at: dt.datetime,
    requests: Sequence[tuple[str, str | None]],
    reason_fa: str | None = None,
    reason_en: str | None = None,
    device_id: str | None = None,
) -> None:
    """Append one status change per ``(request id, tracking code)`` of ``office_id``, all
    with the same state, reasons and time, as the transaction's last step; on PostgreSQL
    this commits. ``device_id``: the device whose push made them (its push answer told it).

    PostgreSQL: the feed lock, the rows and the COMMIT go in one round trip
    (``server.db.commit_under_feed_lock``), so ids become visible in the order they were
    handed out without the lock being held across the network. SQLite has one writer; the
    rows are inserted and ``write_tx`` commits right after."""
    if not requests:
        return
    common = {
        "kind": str(ChangeKind.STATUS),
        "office_id": office_id,
        "state": str(state),
        "reason_fa": reason_fa,
        "reason_en": reason_en,
        "at": at,
        "device_id": device_id,
    }
    if is_sqlite(conn):
        rows = [{**common, "request_id": r, "tracking_code": t} for r, t in requests]
        bulk_insert(conn, changes, rows)
        return
    params = {
        **common,
        "request_ids": _joined([r for r, _ in requests]),
        "tracking_codes": _joined([t or "" for _, t in requests]),
    }
    commit_under_feed_lock(conn, _APPEND_STATUS_PG, params)


def set_status(
    engine: Engine,
    request_id: str,
    state: RemoteState,
    *,
    reason_fa: str | None,
    reason_en: str | None,
    now: dt.datetime,
) -> StatusChange:
    """The back office decided about a request: record it and tell its office's PCs."""
    with write_tx(engine) as conn:
        found = conn.execute(
            select(requests.c.office_id, requests.c.tracking_code).where(
                requests.c.id == request_id
            )
        ).first()
        if found is None:
            raise not_found(f"درخواست {request_id} پیدا نشد.", f"Request {request_id} not found.")
        conn.execute(
            update(requests)
            .where(requests.c.id == request_id)
            .values(state=str(state), state_changed_at=now)
        )
        append_status(
            conn,
            office_id=found.office_id,
            state=state,
            at=now,
            requests=[(request_id, found.tracking_code)],
            reason_fa=reason_fa,
            reason_en=reason_en,
        )
    return StatusChange(
        request_id=request_id,
        state=state,
        at=utc_iso(now),
        tracking_code=found.tracking_code,
        reason_fa=reason_fa,
        reason_en=reason_en,
    )
