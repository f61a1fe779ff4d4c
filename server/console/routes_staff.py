"""The administrators' staff page: every account with its role and scope; a form for a new
one; turning accounts off and on; lifting a lockout."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from rules.messages import Message
from server.console import audit
from server.console.accounts import AccountError, create_account
from server.console.models import Role
from server.console.provinces import PROVINCES
from server.console.staff import set_active, staff_list, unlock
from server.console.web import (
    NOT_FOUND,
    PREFIX,
    ConsoleError,
    CurrentSession,
    actor,
    console_state,
    read_form,
    read_form_pairs,
    redirect,
    render,
    require,
    server_ctx,
)

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _page(request: Request, *, status: int = 200, problem: Message | None = None) -> Response:
    ctx = server_ctx(request)
    return render(
        request,
        "staff.html",
        status=status,
        accounts=staff_list(ctx.engine),
        roles=[r.value for r in Role],
        provinces=PROVINCES,
        problem=problem,
        form=read_form(request) if request.method == "POST" else {},
        now=ctx.clock(),
    )


@router.get("/staff")
def staff_page(request: Request, session: CurrentSession) -> Response:
    require(session.staff, session.staff.is_admin)
    return _page(request)


@router.post("/staff")
def add_staff(request: Request, session: CurrentSession) -> Response:
    require(session.staff, session.staff.is_admin)
    ctx = server_ctx(request)
    form = read_form(request)
    pairs = read_form_pairs(request)
    role = form.get("role", "")
    if role not in {r.value for r in Role}:
        return _page(request, status=422, problem=Message("نقش را انتخاب کنید.", "Choose a role."))
    if form.get("password", "") != form.get("password_again", ""):
        return _page(
            request,
            status=422,
            problem=Message("دو گذرواژه یکی نیستند.", "The two passwords differ."),
        )
    provinces = tuple(v for k, v in pairs if k == "province" and v in PROVINCES)
    services = tuple(v.strip() for v in form.get("services", "").split(",") if v.strip())
    offices = tuple(v.strip() for v in form.get("offices", "").split(",") if v.strip())
    username = form.get("username", "").strip().lower()
    try:
        create_account(
            ctx.engine,
            console_state(request).settings,
            username=username,
            password=form.get("password", ""),
            role=Role(role),
            display_name=form.get("display_name", ""),
            services=services,
            provinces=provinces,
            offices=offices,
            now=ctx.clock(),
        )
    except AccountError as refused:
        return _page(request, status=422, problem=refused.message)
    audit.record_now(
        ctx.engine,
        actor(request, session.staff),
        "create_staff",
        target=username,
        detail=role,
        now=ctx.clock(),
    )
    return redirect(PREFIX + "/staff", request)


def _account_id(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit() and len(raw) < 10):
        raise ConsoleError(404, NOT_FOUND)
    return int(raw)


@router.post("/staff/{account_id}/active")
def toggle_staff(request: Request, session: CurrentSession, account_id: str) -> Response:
    require(session.staff, session.staff.is_admin)
    ctx = server_ctx(request)
    target = _account_id(account_id)
    if target == session.staff.id:
        raise ConsoleError(
            422,
            Message("حساب خودتان را نمی‌توانید ببندید.", "You cannot turn off your own account."),
        )
    active = read_form(request).get("active") == "yes"
    if not set_active(ctx.engine, target, active, actor(request, session.staff), now=ctx.clock()):
        raise ConsoleError(404, NOT_FOUND)
    return redirect(PREFIX + "/staff", request)


@router.post("/staff/{account_id}/unlock")
def unlock_staff(request: Request, session: CurrentSession, account_id: str) -> Response:
    require(session.staff, session.staff.is_admin)
    ctx = server_ctx(request)
    if not unlock(
        ctx.engine, _account_id(account_id), actor(request, session.staff), now=ctx.clock()
    ):
        raise ConsoleError(404, NOT_FOUND)
    return redirect(PREFIX + "/staff", request)
