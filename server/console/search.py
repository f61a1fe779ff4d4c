"""The inbox's search keys for new requests: ``request_search`` (national code → key).

Written by the push itself, in the transaction that stores the requests, one bulk insert
for the batch (``bulk_insert``: COPY on PostgreSQL, executemany on SQLite), from the items
already decoded in memory. Migration 0005 had a trigger on ``requests`` do it, which parsed
every stored item's JSON again inside the database (``json_extract`` / ``::json``): about
15 % of the push path's CPU on SQLite (bench/RESULTS.md). Migration 0010 drops the trigger.

A request stored by any other path must call ``add_requests`` too (the benchmarks that
fill tables with SQL fill ``request_search`` with SQL of their own).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from server.console.models import request_search
from server.db import bulk_insert
from sync.protocol import RequestItem

NATIONAL_CODE = "national_code"
KEY_LENGTH = 16  # request_search.national_code's width


def search_key(item: RequestItem) -> str | None:
    """The national code an inbox search finds ``item`` by (None: it has none)."""
    value = item.applicant.get(NATIONAL_CODE)
    return value[:KEY_LENGTH] if value else None


def add_requests(conn: Connection, stored: Iterable[tuple[int, RequestItem]]) -> None:
    """Index newly stored requests (their key, their item) in the caller's transaction."""
    rows = []
    for pk, item in stored:
        code = search_key(item)
        if code is not None:
            rows.append({"national_code": code, "request_pk": pk})
    bulk_insert(conn, request_search, rows)
