"""Reading the request queue: filtered id lists, rows on demand, detail, backlog.

Built for a million requests: a filter yields only the integer ``local_id``s
(an ``array('q')``, 8 bytes each) through a plain read-only sqlite3
connection, and the rows a view shows are fetched a page at a time by id.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import threading
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field, fields

from desktop.db.engine import Store
from desktop.db.types import parse_utc_text, utc_text
from desktop.scans.progress import SENT_SQL, TOTAL_SQL, DocumentProgress, pages_per_document
from desktop.states import WAITING, State
from rules.normalize import (
    normalize_identifier,
    normalize_letters,
    strip_invisible,
    to_ascii_digits,
)
from sync.localqueue import BacklogStats

_REFERENCE = re.compile(r"^\d{1,8}-\d{1,2}-\d+$")


@dataclass(frozen=True)
class QueueFilter:
    states: frozenset[str] = frozenset()
    service_code: str | None = None
    created_from: dt.datetime | None = None  # UTC, inclusive
    created_to: dt.datetime | None = None  # UTC, exclusive
    text: str = ""  # national code, reference, mobile, tracking code or a name's beginning


@dataclass(frozen=True)
class QueueRow:
    local_id: int
    id: str
    reference: str
    service_code: str
    service_title_fa: str
    service_title_en: str
    national_code: str
    first_name: str
    last_name: str
    mobile: str
    total_fee: int
    state: str
    tracking_code: str | None
    reason_fa: str | None
    reason_en: str | None
    created_at: dt.datetime
    clerk_username: str
    scans_total: int = 0  # scanned parts (desktop/scans/progress.py): "documents 2 of 5 sent"
    scans_sent: int = 0

    @property
    def documents(self) -> DocumentProgress | None:
        return DocumentProgress(self.scans_sent, self.scans_total) if self.scans_total else None


@dataclass(frozen=True)
class StateChangeRow:
    state: str
    reason_fa: str | None
    reason_en: str | None
    source: str
    at: dt.datetime


@dataclass(frozen=True)
class RequestDetail:
    row: QueueRow
    address: str
    answers: dict[str, str]
    documents: list[str]
    government_fee: int
    office_fee: int
    vat: int
    card_ref: str
    catalog_version: int
    seq: int
    supersedes: str | None
    superseded_by: str | None
    history: list[StateChangeRow] = field(default_factory=list)
    scans: tuple[tuple[str, int], ...] = ()  # (document, pages) scanned, in attached order


#: The backlog has one shape, the sync's (it adds this PC's last sequence number).
Backlog = BacklogStats


# The view's columns, named as QueueRow's fields and in their order (checked below): a
# page of rows is built from plain tuples, the fastest thing sqlite3 hands out.
_ROW_NAMES = tuple(f.name for f in fields(QueueRow))
_EXPRESSIONS = {
    "total_fee": "government_fee + office_fee + vat",
    "scans_total": TOTAL_SQL,
    "scans_sent": SENT_SQL,
}
_ROW_COLUMNS = ", ".join(
    f"{_EXPRESSIONS[name]} AS {name}" if name in _EXPRESSIONS else name for name in _ROW_NAMES
)
_CREATED_AT = _ROW_NAMES.index("created_at")
_DETAIL_COLUMNS = tuple(
    f.name
    for f in fields(RequestDetail)
    if f.name not in ("row", "superseded_by", "history", "scans")
)


def _row(r: Sequence[object]) -> QueueRow:
    values = list(r[: len(_ROW_NAMES)])
    values[_CREATED_AT] = parse_utc_text(str(values[_CREATED_AT]))
    return QueueRow(*values)  # type: ignore[arg-type]


class QueueQueries:
    """Read-side queries; safe to use from one worker thread at a time per instance."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._store.raw_read()
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def ids(self, flt: QueueFilter = QueueFilter()) -> array[int]:
        """The matching requests' local ids, newest first."""
        where, params = _where(flt)
        if not where:
            whole = self._all_ids()
            if whole is not None:
                return whole
        sql = "SELECT local_id FROM requests"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY local_id DESC"
        with self._lock:
            cur = self._db().execute(sql, params)
            out = array("q")
            while True:
                chunk = cur.fetchmany(65536)
                if not chunk:
                    break
                out.extend(r[0] for r in chunk)
            return out

    def _all_ids(self) -> array[int] | None:
        """The unfiltered list without a million-row scan, when the ids are 1..N.

        Requests are never deleted (a trigger refuses it) and ``local_id`` is the
        rowid, so the ids are normally exactly 1..N; two index-only aggregates
        prove it, and the list is then built from a range (about 100 times
        faster than reading the ids). Anything else falls back to the query.
        """
        with self._lock:
            db = self._db()
            # Separate statements: SQLite answers a lone min() or max() of the
            # rowid from the b-tree's ends, but scans for the two together.
            count = db.execute("SELECT count(*) FROM requests").fetchone()[0]
            low = db.execute("SELECT min(local_id) FROM requests").fetchone()[0]
            high = db.execute("SELECT max(local_id) FROM requests").fetchone()[0]
        if count == 0:
            return array("q")
        if low == 1 and high == count:
            return array("q", range(high, 0, -1))
        return None

    def rows(self, local_ids: Sequence[int]) -> dict[int, QueueRow]:
        if not local_ids:
            return {}
        result: dict[int, QueueRow] = {}
        with self._lock:
            db = self._db()
            for start in range(0, len(local_ids), 500):
                part = list(local_ids[start : start + 500])
                marks = ",".join("?" * len(part))
                for r in db.execute(
                    f"SELECT {_ROW_COLUMNS} FROM requests WHERE local_id IN ({marks})", part
                ):
                    result[r[0]] = _row(r)
        return result

    def detail(self, request_id: str) -> RequestDetail | None:
        with self._lock:
            db = self._db()
            cur = db.cursor()
            cur.row_factory = sqlite3.Row  # read by name, not by position
            r = cur.execute(
                f"SELECT {_ROW_COLUMNS}, address, answers_json AS answers,"
                " documents_json AS documents, government_fee, office_fee, vat, card_ref,"
                " catalog_version, seq, supersedes_id AS supersedes"
                " FROM requests WHERE id = ?",
                (request_id,),
            ).fetchone()
            if r is None:
                return None
            newer = db.execute(
                "SELECT id FROM requests WHERE supersedes_id = ?", (request_id,)
            ).fetchone()
            history = [
                StateChangeRow(h[0], h[1], h[2], h[3], parse_utc_text(h[4]))
                for h in db.execute(
                    "SELECT state, reason_fa, reason_en, source, at FROM request_state_changes"
                    " WHERE request_id = ? ORDER BY id",
                    (request_id,),
                )
            ]
            scans = pages_per_document(db, request_id)
        values = {name: r[name] for name in _DETAIL_COLUMNS}
        values["answers"] = json.loads(values["answers"])
        values["documents"] = json.loads(values["documents"])
        return RequestDetail(
            row=_row(tuple(r)),
            **values,
            superseded_by=newer[0] if newer else None,
            history=history,
            scans=scans,
        )

    def counts_by_state(self) -> dict[str, int]:
        with self._lock:
            return dict(
                self._db().execute("SELECT state, count(*) FROM requests GROUP BY state").fetchall()
            )

    def backlog(self) -> Backlog:
        """What still waits to reach the server: requests queued or sending (desktop.states)."""
        with self._lock:
            db = self._db()
            waiting, oldest = db.execute(
                "SELECT count(*), min(created_at) FROM requests WHERE state IN (?, ?)", WAITING
            ).fetchone()
            attention = db.execute(
                "SELECT count(*) FROM requests WHERE state = ?", (State.NEEDS_ATTENTION,)
            ).fetchone()[0]
            next_seq = db.execute("SELECT next_seq FROM devices LIMIT 1").fetchone()
        return BacklogStats(
            waiting=waiting,
            oldest_waiting_at=parse_utc_text(oldest) if oldest else None,
            attention=attention,
            last_seq=max(0, int(next_seq[0]) - 1) if next_seq else 0,
        )


def _where(flt: QueueFilter) -> tuple[list[str], list[object]]:
    where: list[str] = []
    params: list[object] = []
    if flt.states:
        where.append(f"state IN ({','.join('?' * len(flt.states))})")
        params.extend(sorted(flt.states))
    if flt.service_code:
        where.append("service_code = ?")
        params.append(flt.service_code)
    if flt.created_from is not None:
        where.append("created_at >= ?")
        params.append(utc_text(flt.created_from))
    if flt.created_to is not None:
        where.append("created_at < ?")
        params.append(utc_text(flt.created_to))
    text = flt.text.strip()
    if text:
        clause, values = _text_clause(text)
        where.append(clause)
        params.extend(values)
    return where, params


def _text_clause(text: str) -> tuple[str, list[object]]:
    ident = normalize_identifier(text)
    # A mobile is 11 digits (09…) or 12 with the country code (989…); 8 to 10 digits are
    # a national code, which may itself start with 09 (the Mashhad region's codes do).
    if ident.startswith("+"):
        ident = ident[1:]
    if ident.startswith("0098"):
        ident = ident[2:]
    if ident.isdigit() and len(ident) == 11 and ident.startswith("09"):
        return "mobile = ?", [ident]
    if ident.isdigit() and len(ident) == 12 and ident.startswith("989"):
        return "mobile = ?", ["0" + ident[2:]]
    if ident.isdigit() and len(ident) in (8, 9, 10):
        return "national_code = ?", [ident.zfill(10)]
    # References and tracking codes keep their dashes (normalize_identifier drops them).
    code = to_ascii_digits(strip_invisible(text)).strip().upper()
    if _REFERENCE.match(code):
        return "reference = ?", [code]
    if code.startswith("PK-"):
        return "tracking_code = ?", [code]
    name = normalize_letters(text)
    # A name's beginning, as an index range (LIKE would scan a million rows).
    upper = name + "\U0010ffff"
    return (
        "((last_name >= ? AND last_name < ?) OR (first_name >= ? AND first_name < ?))",
        [name, upper, name, upper],
    )


__all__ = [
    "WAITING",
    "Backlog",
    "QueueFilter",
    "QueueQueries",
    "QueueRow",
    "RequestDetail",
    "StateChangeRow",
]
