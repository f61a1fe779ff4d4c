"""The administrators' staff page: every account with its role and scope; a form for a new
one; turning accounts off and on; lifting a lockout. An account's own page
(``/console/staff/{id}``): its role, name, scope (services, provinces, offices) and state
in one form, and a new password in another; each refusal names its field."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from rules.messages import Message
from server.console import audit
from server.console.accounts import AccountError, create_account
from server.console.models import Role, ScopeKind
from server.console.provinces import PROVINCES
from server.console.staff import (
    AccountChange,
    StaffRow,
    check_change,
    known_services,
    reset_password,
    set_active,
    staff_account,
    staff_list,
    unlock,
    update_account,
)
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


def _codes(text: str) -> tuple[str, ...]:
    """Codes typed with commas (Latin or Persian) or spaces between them, each once."""
    parts = text.replace("،", ",").replace(" ", ",").split(",")
    return tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))


def _edit_page(
    request: Request,
    account: StaffRow,
    *,
    status: int = 200,
    problems: dict[str, Message] | None = None,
    change: AccountChange | None = None,
    done: str = "",
) -> Response:
    ctx = server_ctx(request)
    if change is None:  # as stored
        scopes = account.scopes
        change = AccountChange(
            display_name=account.display_name,
            role=account.role,
            active=account.active,
            services=tuple(v for k, v in scopes if k == ScopeKind.SERVICE),
            provinces=tuple(v for k, v in scopes if k == ScopeKind.PROVINCE),
            offices=tuple(v for k, v in scopes if k == ScopeKind.OFFICE),
        )
    return render(
        request,
        "staff_edit.html",
        status=status,
        account=account,
        change=change,
        roles=[r.value for r in Role],
        provinces=PROVINCES,
        problems=problems or {},
        done=done,
        now=ctx.clock(),
    )


def _target(request: Request, session: CurrentSession, account_id: str) -> StaffRow:
    require(session.staff, session.staff.is_admin)
    account = staff_account(server_ctx(request).engine, _account_id(account_id))
    if account is None:
        raise ConsoleError(404, NOT_FOUND)
    return account


@router.get("/staff/{account_id}")
def edit_staff_page(request: Request, session: CurrentSession, account_id: str) -> Response:
    account = _target(request, session, account_id)
    done = request.query_params.get("done", "")
    return _edit_page(request, account, done=done if done in ("saved", "password") else "")


@router.post("/staff/{account_id}")
def edit_staff(request: Request, session: CurrentSession, account_id: str) -> Response:
    account = _target(request, session, account_id)
    ctx = server_ctx(request)
    form = read_form(request)
    pairs = read_form_pairs(request)
    role = form.get("role", "")
    if role not in {r.value for r in Role}:
        problems = {"role": Message("نقش را انتخاب کنید.", "Choose a role.")}
        return _edit_page(request, account, status=422, problems=problems)
    change = AccountChange(
        display_name=form.get("display_name", "").strip(),
        role=Role(role),
        active=form.get("active") == "yes",
        services=_codes(form.get("services", "")),
        provinces=tuple(dict.fromkeys(v for k, v in pairs if k == "province")),
        offices=_codes(form.get("offices", "")),
    )
    services = known_services(ctx.engine, ctx.catalogs)
    problems = check_change(
        ctx.engine, change, services=services, editor=session.staff.id, target=account.id
    )
    if problems:
        return _edit_page(request, account, status=422, problems=problems, change=change)
    if not update_account(
        ctx.engine, account.id, change, actor(request, session.staff), now=ctx.clock()
    ):
        raise ConsoleError(404, NOT_FOUND)
    return redirect(f"{PREFIX}/staff/{account.id}?done=saved", request)


@router.post("/staff/{account_id}/password")
def reset_staff_password(request: Request, session: CurrentSession, account_id: str) -> Response:
    account = _target(request, session, account_id)
    ctx = server_ctx(request)
    form = read_form(request)
    password = form.get("password", "")
    if password != form.get("password_again", ""):
        problems = {"password": Message("دو گذرواژه یکی نیستند.", "The two passwords differ.")}
        return _edit_page(request, account, status=422, problems=problems)
    own = session.token_hash if account.id == session.staff.id else None
    try:
        found = reset_password(
            ctx.engine,
            console_state(request).settings,
            account.id,
            password,
            actor(request, session.staff),
            keep_session=own,
            now=ctx.clock(),
        )
    except AccountError as refused:
        return _edit_page(request, account, status=422, problems={"password": refused.message})
    if not found:
        raise ConsoleError(404, NOT_FOUND)
    return redirect(f"{PREFIX}/staff/{account.id}?done=password", request)
