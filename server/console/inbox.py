"""What reviewers read: the inbox (filters, search, keyset pages), one request with its
fields, history and catalogue labels, and decisions through the server's change feed.

A reviewer's scope is part of every query (``scope_clause``): a request outside it is not
found, in a page, a search or a decision, whatever the browser asks for.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    or_,
    select,
    true,
)

from rules.catalog import APPLICANT_FIELDS, Catalog, CatalogError, Field
from rules.normalize import normalize_identifier
from server.catalogs import CatalogCache
from server.console.accounts import Staff
from server.console.models import office_provinces, request_search
from server.db import read_now
from server.models import as_utc, changes, offices, requests

STATES = ("accepted", "needs_correction", "rejected", "completed")
DECISIONS = ("needs_correction", "rejected", "completed")


def scope_clause(staff: Staff) -> ColumnElement[bool]:
    """The requests ``staff`` may see: their services, and their provinces or offices."""
    conditions: list[ColumnElement[bool]] = []
    if staff.services:
        conditions.append(requests.c.service_code.in_(sorted(staff.services)))
    area: list[ColumnElement[bool]] = []
    if staff.provinces:
        area.append(
            requests.c.office_id.in_(
                select(office_provinces.c.office_id).where(
                    office_provinces.c.province.in_(sorted(staff.provinces))
                )
            )
        )
    if staff.offices:
        area.append(
            requests.c.office_id.in_(
                select(offices.c.id).where(offices.c.code.in_(sorted(staff.offices)))
            )
        )
    if area:
        conditions.append(or_(*area))
    return and_(true(), *conditions)


@dataclass(frozen=True)
class InboxFilter:
    office: str = ""
    province: str = ""
    service: str = ""
    state: str = ""
    created_from: dt.datetime | None = None  # UTC, inclusive
    created_before: dt.datetime | None = None  # UTC, exclusive
    search: str = ""
    before: int | None = None  # keyset: requests with a smaller pk


@dataclass(frozen=True)
class InboxRow:
    pk: int
    id: str
    tracking_code: str
    reference: str
    service_code: str
    state: str
    created_at: dt.datetime | None
    office_code: str
    office_name: str
    applicant: str
    national_code: str


def _applicant(payload: str) -> tuple[str, str]:
    try:
        applicant = json.loads(payload).get("applicant") or {}
    except (ValueError, AttributeError):
        return "", ""
    name = " ".join(str(applicant.get(k) or "") for k in ("first_name", "last_name")).strip()
    return name, str(applicant.get("national_code") or "")


def inbox_page(
    engine: Engine, staff: Staff, wanted: InboxFilter, *, size: int
) -> tuple[list[InboxRow], int | None]:
    """One page, newest first, and the ``before`` of the next page (None: the last)."""
    with read_now(engine) as conn:
        query = (
            select(
                requests.c.pk,
                requests.c.id,
                requests.c.tracking_code,
                requests.c.reference,
                requests.c.service_code,
                requests.c.state,
                requests.c.created_at,
                requests.c.payload,
                offices.c.code.label("office_code"),
                offices.c.name.label("office_name"),
            )
            .join(offices, offices.c.id == requests.c.office_id)
            .where(scope_clause(staff))
            .order_by(requests.c.pk.desc())
            .limit(size + 1)
        )
        if wanted.before is not None:
            query = query.where(requests.c.pk < wanted.before)
        if wanted.office:
            query = query.where(
                requests.c.office_id.in_(
                    select(offices.c.id).where(offices.c.code == wanted.office)
                )
            )
        if wanted.province:
            query = query.where(
                requests.c.office_id.in_(
                    select(office_provinces.c.office_id).where(
                        office_provinces.c.province == wanted.province
                    )
                )
            )
        if wanted.service:
            query = query.where(requests.c.service_code == wanted.service)
        if wanted.state:
            query = query.where(requests.c.state == wanted.state)
        if wanted.created_from is not None:
            query = query.where(requests.c.created_at >= wanted.created_from)
        if wanted.created_before is not None:
            query = query.where(requests.c.created_at < wanted.created_before)
        if wanted.search:
            query = query.where(search_clause(wanted.search))
        rows = conn.execute(query).all()
    more = len(rows) > size
    rows = rows[:size]
    page = []
    for row in rows:
        name, code = _applicant(row.payload)
        page.append(
            InboxRow(
                pk=row.pk,
                id=row.id,
                tracking_code=row.tracking_code,
                reference=row.reference,
                service_code=row.service_code,
                state=row.state,
                created_at=as_utc(row.created_at),
                office_code=row.office_code,
                office_name=row.office_name,
                applicant=name,
                national_code=code,
            )
        )
    return page, (page[-1].pk if more and page else None)


def search_clause(text: str) -> ColumnElement[bool]:
    """A national code (10 digits, either digit set), else a tracking code or a reference."""
    cleaned = normalize_identifier(text)
    if len(cleaned) == 10 and cleaned.isascii() and cleaned.isdigit():
        return requests.c.pk.in_(
            select(request_search.c.request_pk).where(request_search.c.national_code == cleaned)
        )
    typed = text.strip()
    return or_(requests.c.tracking_code == typed.upper(), requests.c.reference == typed)


# --------------------------------------------------------------------------- one request


@dataclass(frozen=True)
class ShownField:
    key: str
    label: object  # a Message, or the key itself when the catalogue does not know it
    value: object  # the text as stored, or a choice's label (a Message)


@dataclass(frozen=True)
class RequestView:
    id: str
    tracking_code: str
    reference: str
    state: str
    service_code: str
    service_title: object
    catalog_version: int
    office_code: str
    office_name: str
    province: str | None
    clerk: str
    created_at: dt.datetime | None
    received_at: dt.datetime | None
    applicant: list[ShownField]
    answers: list[ShownField]
    documents: list[ShownField]
    fees: dict[str, int]
    card_ref: str
    supersedes: str | None
    history: list[dict[str, Any]]


def visible_request(conn: Connection, staff: Staff, request_id: str) -> Any:
    return conn.execute(
        select(requests, offices.c.code.label("office_code"), offices.c.name.label("office_name"))
        .join(offices, offices.c.id == requests.c.office_id)
        .where(requests.c.id == request_id, scope_clause(staff))
    ).first()


def _shown(fields: tuple[Field, ...], values: dict[str, Any]) -> list[ShownField]:
    known = {f.key: f for f in fields}
    shown = []
    for key, raw in values.items():
        value = "" if raw is None else str(raw)
        field = known.get(key)
        if field is None:
            shown.append(ShownField(key, key, value))
            continue
        choice = field.choice(value) if field.choices else None
        shown.append(ShownField(key, field.label, value if choice is None else choice.label))
    order = {f.key: i for i, f in enumerate(fields)}
    return sorted(shown, key=lambda s: order.get(s.key, len(order)))


def request_view(
    engine: Engine, catalogs: CatalogCache, staff: Staff, request_id: str
) -> RequestView | None:
    """The request as the counter saw it (labels from its catalogue version), or None if
    it does not exist or is outside ``staff``'s scope."""
    with read_now(engine) as conn:
        row = visible_request(conn, staff, request_id)
        if row is None:
            return None
        province = conn.execute(
            select(office_provinces.c.province).where(office_provinces.c.office_id == row.office_id)
        ).scalar()
        history = [
            dict(r._mapping, at=as_utc(r.at))
            for r in conn.execute(
                select(changes.c.state, changes.c.reason_fa, changes.c.reason_en, changes.c.at)
                .where(changes.c.office_id == row.office_id, changes.c.request_id == request_id)
                .order_by(changes.c.id)
            )
        ]
    item = json.loads(row.payload)
    catalog: Catalog | None = None
    catalog = catalogs.get_many(engine, [row.catalog_version]).get(row.catalog_version)
    service = None
    if catalog is not None:
        try:
            service = catalog.service(row.service_code)
        except CatalogError:
            service = None
    service_fields = service.fields if service is not None else ()
    documents = {d.key: d.label for d in service.documents} if service is not None else {}
    reference = str(item.get("reference") or row.reference)
    return RequestView(
        id=row.id,
        tracking_code=row.tracking_code,
        reference=reference,
        state=row.state,
        service_code=row.service_code,
        service_title=service.title if service is not None else row.service_code,
        catalog_version=row.catalog_version,
        office_code=row.office_code,
        office_name=row.office_name,
        province=province,
        clerk=row.clerk,
        created_at=as_utc(row.created_at),
        received_at=as_utc(row.received_at),
        applicant=_shown(APPLICANT_FIELDS, dict(item.get("applicant") or {})),
        answers=_shown(service_fields, dict(item.get("answers") or {})),
        documents=[ShownField(k, documents.get(k, k), "") for k in item.get("documents") or []],
        fees=dict(item.get("fees") or {}),
        card_ref=str(item.get("card_ref") or ""),
        supersedes=item.get("supersedes"),
        history=history,
    )
