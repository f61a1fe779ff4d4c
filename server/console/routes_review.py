"""The reviewers' pages: the inbox, a request and its decisions (one or a selection), and
the administrators' audit log."""

from __future__ import annotations

import datetime as dt
import urllib.parse

from fastapi import APIRouter, Request
from fastapi.responses import Response

from rules.catalog import CatalogError
from rules.messages import Message
from server.console import audit
from server.console.decisions import MAX_BULK, DecisionRefused, checked_decision, decide
from server.console.i18n import parse_jalali_date, tehran_day_start
from server.console.inbox import DECISIONS, STATES, InboxFilter, inbox_page, request_view
from server.console.provinces import PROVINCES, province_name
from server.console.scans import request_scans
from server.console.web import (
    NOT_FOUND,
    PREFIX,
    ConsoleError,
    CurrentSession,
    actor,
    clean,
    console_state,
    read_form,
    read_form_pairs,
    redirect,
    render,
    require,
    server_ctx,
)
from server.db import read_now
from sync.protocol import is_canonical_uuid

router = APIRouter(prefix=PREFIX, include_in_schema=False)

R_DATE = Message("تاریخ را به شکل ۱۴۰۳/۰۵/۱۲ بنویسید.", "Write the date as 1403/05/12.")


def _filter(request: Request) -> tuple[InboxFilter, dict[str, Message], dict[str, str]]:
    q = request.query_params
    raw = {
        k: clean(q.get(k) or "", 64).strip()
        for k in ("office", "province", "service", "state", "from", "to", "q", "before")
    }
    errors: dict[str, Message] = {}
    start = end = None
    if raw["from"]:
        day = parse_jalali_date(raw["from"])
        if day is None:
            errors["from"] = R_DATE
        else:
            start = tehran_day_start(day)
    if raw["to"]:
        day = parse_jalali_date(raw["to"])
        if day is None:
            errors["to"] = R_DATE
        else:
            end = tehran_day_start(day + dt.timedelta(days=1))
    if raw["state"] and raw["state"] not in STATES:
        errors["state"] = Message("وضعیت ناشناخته است.", "Unknown state.")
    if raw["province"] and raw["province"] not in PROVINCES:
        errors["province"] = Message("استان ناشناخته است.", "Unknown province.")
    before = None
    if raw["before"]:
        if raw["before"].isascii() and raw["before"].isdigit() and len(raw["before"]) < 19:
            before = int(raw["before"])
        else:
            errors["before"] = Message("صفحهٔ نادرست.", "Bad page.")
    wanted = InboxFilter(
        office=raw["office"],
        province=raw["province"],
        service=raw["service"],
        state=raw["state"],
        created_from=start,
        created_before=end,
        search=raw["q"],
        before=before,
    )
    return wanted, errors, raw


@router.get("/inbox")
def inbox(request: Request, session: CurrentSession) -> Response:
    staff = session.staff
    require(staff, staff.reviews)
    ctx = server_ctx(request)
    wanted, errors, raw = _filter(request)
    rows: list = []
    next_before = None
    if not errors:
        rows, next_before = inbox_page(
            ctx.engine, staff, wanted, size=console_state(request).settings.page_size
        )
    kept = {k: v for k, v in raw.items() if v and k != "before"}
    next_url = None
    if next_before is not None:
        next_url = PREFIX + "/inbox?" + urllib.parse.urlencode({**kept, "before": next_before})
    services = _services(request)
    template = (
        "inbox_rows.html" if request.headers.get("hx-request") and wanted.before else "inbox.html"
    )
    return render(
        request,
        template,
        status=422 if errors else 200,
        rows=rows,
        errors=errors,
        raw=raw,
        next_url=next_url,
        states=STATES,
        decisions=DECISIONS,
        provinces=PROVINCES,
        services=services,
        service_titles=dict(services),
        flash=request.query_params.get("done", ""),
    )


def _services(request: Request) -> list[tuple[str, object]]:
    """The services of the newest catalogue, for the filter (code, title)."""
    ctx = server_ctx(request)
    from server.catalogs import latest_version

    with read_now(ctx.engine) as conn:
        version = latest_version(conn)
    if version is None:
        return []
    try:
        catalog = ctx.catalogs.get_many(ctx.engine, [version])[version]
    except (CatalogError, KeyError):
        return []
    return [(s.code, s.title) for s in catalog.services]


@router.get("/requests/{request_id}")
def show_request(request: Request, session: CurrentSession, request_id: str) -> Response:
    staff = session.staff
    require(staff, staff.reviews)
    ctx = server_ctx(request)
    view = (
        request_view(ctx.engine, ctx.catalogs, staff, request_id)
        if is_canonical_uuid(request_id)
        else None
    )
    if view is None:
        raise ConsoleError(404, NOT_FOUND)
    audit.record_now(
        ctx.engine, actor(request, staff), "view_request", target=request_id, now=ctx.clock()
    )
    return render(
        request,
        "request.html",
        view=view,
        scans=request_scans(ctx.engine, staff, request_id) or [],
        decisions=DECISIONS,
        province=province_name(view.province),
        errors={},
        form={},
        flash=request.query_params.get("done", ""),
    )


@router.post("/requests/{request_id}/decide")
def decide_one(request: Request, session: CurrentSession, request_id: str) -> Response:
    staff = session.staff
    require(staff, staff.reviews)
    ctx = server_ctx(request)
    form = read_form(request)
    if not is_canonical_uuid(request_id):
        raise ConsoleError(404, NOT_FOUND)
    try:
        decision = checked_decision(
            form.get("state", ""), form.get("reason_fa", ""), form.get("reason_en", "")
        )
    except DecisionRefused as refused:
        view = request_view(ctx.engine, ctx.catalogs, staff, request_id)
        if view is None:
            raise ConsoleError(404, NOT_FOUND) from None
        return render(
            request,
            "request.html",
            status=422,
            view=view,
            scans=request_scans(ctx.engine, staff, request_id) or [],
            decisions=DECISIONS,
            province=province_name(view.province),
            errors=refused.fields,
            form=form,
            flash="",
        )
    decided, _missing = decide(
        ctx.engine, staff, actor(request, staff), [request_id], decision, now=ctx.clock()
    )
    if not decided:
        raise ConsoleError(404, NOT_FOUND)
    return redirect(f"{PREFIX}/requests/{request_id}?done={decision.state}", request)


@router.post("/inbox/decide")
def decide_many(request: Request, session: CurrentSession) -> Response:
    staff = session.staff
    require(staff, staff.reviews)
    ctx = server_ctx(request)
    form = read_form(request)
    ids = [v for k, v in read_form_pairs(request) if k == "id" and is_canonical_uuid(v)]
    if not ids:
        raise ConsoleError(422, Message("هیچ درخواستی انتخاب نشده است.", "No request is selected."))
    if len(ids) > MAX_BULK:
        raise ConsoleError(
            422,
            Message(f"حداکثر {MAX_BULK} درخواست با هم.", f"At most {MAX_BULK} requests at once."),
        )
    try:
        decision = checked_decision(
            form.get("state", ""), form.get("reason_fa", ""), form.get("reason_en", "")
        )
    except DecisionRefused as refused:
        raise ConsoleError(422, next(iter(refused.fields.values())), refused.fields) from None
    decided, missing = decide(
        ctx.engine, staff, actor(request, staff), ids, decision, now=ctx.clock()
    )
    if missing:
        audit.record_now(
            ctx.engine,
            actor(request, staff),
            "decide_refused",
            detail=",".join(missing)[:4000],
            now=ctx.clock(),
        )
    return redirect(f"{PREFIX}/inbox?done={len(decided)}", request)


@router.get("/audit")
def audit_log(request: Request, session: CurrentSession) -> Response:
    staff = session.staff
    require(staff, staff.is_admin)
    ctx = server_ctx(request)
    before_raw = request.query_params.get("before", "")
    before = (
        int(before_raw)
        if before_raw.isascii() and before_raw.isdigit() and len(before_raw) < 19
        else None
    )
    entries = audit.latest(ctx.engine, before=before, limit=100)
    return render(request, "audit.html", entries=entries)
