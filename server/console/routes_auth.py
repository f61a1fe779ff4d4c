"""Login, logout, the language switch and the start page."""

from __future__ import annotations

import secrets
import urllib.parse

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server.console import audit
from server.console.accounts import LoginRefused, verify_login
from server.console.i18n import LANG_COOKIE, LANGS
from server.console.sessions import COOKIE, LOGIN_COOKIE, csrf_matches, end_session, start_session
from server.console.web import (
    PREFIX,
    CurrentSession,
    actor,
    address_of,
    console_state,
    read_form,
    redirect,
    render,
    same_origin,
    server_ctx,
)
from server.errors import ApiError
from server.throttle import Credential

router = APIRouter(prefix=PREFIX, include_in_schema=False)

# The console's own bucket of failures (a FailureThrottle of its own): the kind is a label.
LOGIN_KIND = Credential.ADMIN_TOKEN


def _safe_next(target: str | None) -> str:
    """Only a page of the console itself (no open redirect)."""
    if target and target.startswith(PREFIX + "/") and "//" not in target and "\\" not in target:
        return target
    return PREFIX + "/"


def _cookie_secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _login_page(request: Request, *, status: int = 200, error: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        status=status,
        login_csrf=token,
        error=error,
        next=_safe_next(request.query_params.get("next") or read_form_next(request)),
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path=PREFIX,
        secure=_cookie_secure(request),
    )
    return response


def read_form_next(request: Request) -> str | None:
    return read_form(request).get("next") if request.method == "POST" else None


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
def login(request: Request) -> Response:
    ctx = server_ctx(request)
    state = console_state(request)
    form = read_form(request)
    address = address_of(request)
    login_token = request.cookies.get(LOGIN_COOKIE, "")
    if not csrf_matches(login_token, form.get("csrf")) or not same_origin(request):
        return _login_page(request, status=403, error="csrf")
    try:
        state.throttle.check(address, LOGIN_KIND)
    except ApiError:
        return _login_page(request, status=429, error="throttled")
    username = form.get("username", "").strip().lower()[:64]
    now = ctx.clock()
    try:
        account_id = verify_login(
            ctx.engine, state.settings, username, form.get("password", "")[:1024], now=now
        )
    except LoginRefused as refused:
        state.throttle.failed(address, LOGIN_KIND)
        audit.record_now(
            ctx.engine,
            actor(request, username=username),
            "login_locked" if refused.locked else "login_failed",
            now=now,
        )
        return _login_page(request, status=401, error="locked" if refused.locked else "wrong")
    token = start_session(
        ctx.engine,
        account_id,
        address=address,
        previous=request.cookies.get(COOKIE),
        now=now,
    )
    audit.record_now(ctx.engine, audit.Actor(account_id, username, address), "login", now=now)
    response = redirect(_safe_next(form.get("next")))
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="strict", path=PREFIX, secure=_cookie_secure(request)
    )
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
def logout(request: Request, session: CurrentSession) -> Response:
    ctx = server_ctx(request)
    token = request.cookies.get(COOKIE)
    if token:
        end_session(ctx.engine, token)
    audit.record_now(ctx.engine, actor(request, session.staff), "logout", now=ctx.clock())
    response = redirect(PREFIX + "/login")
    response.delete_cookie(COOKIE, path=PREFIX)
    return response


@router.get("/lang/{lang}")
def switch_language(request: Request, lang: str) -> Response:
    target = _safe_next(request.query_params.get("next"))
    response = redirect(target)
    if lang in LANGS:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", path=PREFIX, max_age=365 * 24 * 3600)
    return response


@router.get("/")
def start(request: Request, session: CurrentSession) -> Response:
    staff = session.staff
    return redirect(PREFIX + ("/inbox" if staff.reviews else "/fleet"))


def login_redirect(request: Request) -> Response:
    target = request.url.path + ("?" + request.url.query if request.url.query else "")
    return redirect(PREFIX + "/login?" + urllib.parse.urlencode({"next": target}), request)
