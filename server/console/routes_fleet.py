"""The operators' and administrators' pages: the fleet, an office with its PCs, enrolment
codes (text and QR), revocation with a confirmation, and an office's province."""

from __future__ import annotations

from typing import Any

import segno
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Select, select

from rules.messages import Message
from server import offices as office_store
from server.console import audit
from server.console.fleet import (
    NO_PROVINCE,
    PROVINCE_PAGE,
    OfficePage,
    fleet,
    office_page,
    set_province,
)
from server.console.provinces import PROVINCES, province_name
from server.console.releases import FAILED_STATES, UPDATE_STATES, is_behind, published_version
from server.console.web import (
    NOT_FOUND,
    PREFIX,
    ConsoleError,
    CurrentSession,
    actor,
    clean,
    locale_of,
    read_form,
    redirect,
    render,
    require,
    server_ctx,
)
from server.context import ServerContext
from server.db import read_now
from server.errors import ApiError
from server.models import devices, offices
from sync.protocol import is_canonical_uuid

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/fleet")
def fleet_page(request: Request, session: CurrentSession) -> Response:
    require(session.staff, session.staff.watches_fleet)
    ctx = server_ctx(request)
    province = clean(request.query_params.get("province", ""), 40) or None
    if province is not None and province != NO_PROVINCE and province not in PROVINCES:
        raise ConsoleError(422, Message("استان ناشناخته است.", "Unknown province."))
    raw_first = request.query_params.get("first", "0")
    if not (raw_first.isascii() and raw_first.isdigit() and len(raw_first) <= 6):
        raise ConsoleError(422, Message("شمارهٔ صفحه نادرست است.", "Bad page number."))
    view = fleet(ctx.engine, now=ctx.clock(), province=province, first=int(raw_first))
    loc = locale_of(request)
    names = {code: loc.msg(province_name(code)) for code in (*PROVINCES, None)}
    return render(
        request,
        "fleet.html",
        view=view,
        province_name=province_name,
        province_names=names,
        page_size=PROVINCE_PAGE,
        **_updates(ctx),
    )


def _updates(ctx: ServerContext) -> dict[str, Any]:
    """What the pages need to show program versions against the published one."""
    return {
        "current": published_version(ctx.settings.updates_dir),
        "is_behind": is_behind,
        "update_states": UPDATE_STATES,
        "failed_states": FAILED_STATES,
    }


def _office(request: Request, code: str) -> OfficePage:
    page = office_page(server_ctx(request).engine, clean(code, 16))
    if page is None:
        raise ConsoleError(404, NOT_FOUND)
    return page


@router.get("/offices/{code}")
def show_office(request: Request, session: CurrentSession, code: str) -> Response:
    require(session.staff, session.staff.watches_fleet)
    page = _office(request, code)
    return render(
        request,
        "office.html",
        office=page,
        provinces=PROVINCES,
        province=province_name(page.province),
        enrolment=None,
        qr_svg="",
        **_updates(server_ctx(request)),
    )


@router.post("/offices/{code}/province")
def office_province(request: Request, session: CurrentSession, code: str) -> Response:
    require(session.staff, session.staff.is_admin)
    ctx = server_ctx(request)
    page = _office(request, code)
    chosen = read_form(request).get("province", "")
    if chosen and chosen not in PROVINCES:
        raise ConsoleError(422, Message("استان ناشناخته است.", "Unknown province."))
    set_province(
        ctx.engine, page.id, chosen or None, actor(request, session.staff), now=ctx.clock()
    )
    return redirect(f"{PREFIX}/offices/{page.code}", request)


@router.post("/offices/{code}/enrolment-code")
def enrolment_code(request: Request, session: CurrentSession, code: str) -> Response:
    require(session.staff, session.staff.is_admin)
    ctx = server_ctx(request)
    page = _office(request, code)
    raw = read_form(request).get("ttl_hours", "") or str(ctx.settings.enrolment_code_ttl_hours)
    try:
        ttl = float(raw)
    except ValueError:
        ttl = -1.0
    if not 0 < ttl <= 24 * 30:
        raise ConsoleError(422, Message("اعتبار ۱ تا ۷۲۰ ساعت است.", "Validity is 1 to 720 hours."))
    try:
        made = office_store.create_enrolment_code(
            ctx.engine, page.code, ttl_hours=ttl, now=ctx.clock()
        )
    except ApiError as error:
        raise ConsoleError(
            error.status, Message(error.body.message_fa, error.body.message_en)
        ) from None
    audit.record_now(
        ctx.engine,
        actor(request, session.staff),
        "enrolment_code",
        target=page.code,
        now=ctx.clock(),
    )
    svg = segno.make(made, error="m").svg_inline(scale=5, dark="#1a1a1a", light="#ffffff")
    return render(
        request,
        "office.html",
        office=page,
        provinces=PROVINCES,
        province=province_name(page.province),
        enrolment=made,
        ttl_hours=ttl,
        qr_svg=svg,
        **_updates(ctx),
    )


def _device(request: Request, device_id: str) -> tuple[str, str, int, str, bool]:
    if not is_canonical_uuid(device_id):
        raise ConsoleError(404, NOT_FOUND)
    with read_now(server_ctx(request).engine) as conn:
        row = conn.execute(select_device().where(devices.c.id == device_id)).first()
    if row is None:
        raise ConsoleError(404, NOT_FOUND)
    return row.id, row.code, row.counter_no, row.name, row.revoked_at is not None


def select_device() -> Select[tuple[str, int, str, object, str]]:
    return select(
        devices.c.id, devices.c.counter_no, devices.c.name, devices.c.revoked_at, offices.c.code
    ).join(offices, offices.c.id == devices.c.office_id)


@router.get("/devices/{device_id}/revoke")
def confirm_revoke(request: Request, session: CurrentSession, device_id: str) -> Response:
    require(session.staff, session.staff.is_admin)
    device_id, office_code, counter_no, name, revoked = _device(request, device_id)
    return render(
        request,
        "revoke.html",
        device_id=device_id,
        office_code=office_code,
        counter_no=counter_no,
        name=name,
        revoked=revoked,
    )


@router.post("/devices/{device_id}/revoke")
def revoke(request: Request, session: CurrentSession, device_id: str) -> Response:
    require(session.staff, session.staff.is_admin)
    ctx = server_ctx(request)
    device_id, office_code, _counter, _name, _revoked = _device(request, device_id)
    if read_form(request).get("confirm") != "yes":
        raise ConsoleError(422, Message("لغو تأیید نشد.", "The revocation was not confirmed."))
    office_store.revoke_device(ctx.engine, device_id, now=ctx.clock())
    audit.record_now(
        ctx.engine,
        actor(request, session.staff),
        "revoke_device",
        target=device_id,
        now=ctx.clock(),
    )
    return redirect(f"{PREFIX}/offices/{office_code}", request)
