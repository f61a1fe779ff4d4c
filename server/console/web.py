"""The console's HTTP plumbing: its state on the app, the staff session of a request,
forms, CSRF, rendering, and errors as pages.

Every route is a plain ``def`` (the thread pool: database work, argon2 and template
rendering never run on the event loop). A request body was already collected, bounded,
by the server's ``BodyLimits``; forms are read from it here (URL-encoded only).
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, NoReturn

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rules.messages import Message
from server.body import read_raw
from server.console.accounts import Staff
from server.console.audit import Actor
from server.console.i18n import LANG_COOKIE, LANGS, Locale
from server.console.sessions import COOKIE, Session, csrf_matches, current_session
from server.console.settings import ConsoleSettings
from server.context import ServerContext
from server.throttle import FailureThrottle

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_FORM_BYTES = 4 * 1024 * 1024  # a catalogue document pasted into the form fits
PREFIX = "/console"


@dataclass
class ConsoleState:
    settings: ConsoleSettings
    throttle: FailureThrottle
    templates: jinja2.Environment = field(
        default_factory=lambda: jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
    )


class ConsoleError(Exception):
    """An answer other than 200 for a console page, shown as a page in the user's language."""

    def __init__(self, status: int, message: Message, fields: dict[str, Message] | None = None):
        super().__init__(message.en)
        self.status = status
        self.message = message
        self.fields = fields or {}


class LoginRequired(Exception):
    """No live session: go to the login page (or, for htmx, tell it to)."""


def fail(status: int, fa: str, en: str) -> NoReturn:
    raise ConsoleError(status, Message(fa, en))


NOT_FOUND = Message("پیدا نشد (یا در محدودهٔ شما نیست).", "Not found (or not within your scope).")
FORBIDDEN = Message("این بخش برای نقش شما نیست.", "This part is not for your role.")


def console_state(request: Request) -> ConsoleState:
    state: ConsoleState = request.app.state.console
    return state


def server_ctx(request: Request) -> ServerContext:
    ctx: ServerContext = request.app.state.ctx
    return ctx


def locale_of(request: Request) -> Locale:
    lang = request.cookies.get(LANG_COOKIE, "fa")
    return Locale(lang if lang in LANGS else "fa")


def address_of(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _session(request: Request) -> Session:
    ctx = server_ctx(request)
    session = current_session(
        ctx.engine, console_state(request).settings, request.cookies.get(COOKIE), now=ctx.clock()
    )
    if session is None:
        raise LoginRequired()
    if request.method == "POST":
        form = read_form(request)
        given = form.get("csrf") or request.headers.get("x-csrf-token")
        if not csrf_matches(session.csrf_token, given) or not same_origin(request):
            raise ConsoleError(
                403,
                Message(
                    "درخواست پذیرفته نشد (نشانهٔ امنیتی نادرست)؛ صفحه را دوباره باز کنید.",
                    "The request was refused (bad security token); reload the page.",
                ),
            )
    request.state.session = session
    return session


CurrentSession = Annotated[Session, Depends(_session)]


def same_origin(request: Request) -> bool:
    """An Origin header, when the browser sends one, names this server."""
    origin = request.headers.get("origin")
    if not origin:
        return True
    host = request.headers.get("host", "")
    return urllib.parse.urlsplit(origin).netloc == host


def require(staff: Staff, allowed: bool) -> None:
    if not allowed:
        raise ConsoleError(403, FORBIDDEN)


def actor(request: Request, staff: Staff | None = None, username: str = "") -> Actor:
    if staff is not None:
        return Actor(staff.id, staff.username, address_of(request))
    return Actor(None, username, address_of(request))


def clean(text: str, limit: int = 200) -> str:
    """A value from a URL fit for a query: no NUL (PostgreSQL refuses it in text), no lone
    surrogate (not UTF-8), at most ``limit`` characters."""
    return text[:limit].replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def read_form(request: Request) -> dict[str, str]:
    """The URL-encoded form of a POST (cached on the request); a repeated name: the last."""
    cached: dict[str, str] | None = getattr(request.state, "form", None)
    if cached is not None:
        return cached
    pairs = read_form_pairs(request)
    form = dict(pairs)
    request.state.form = form
    return form


def read_form_pairs(request: Request) -> list[tuple[str, str]]:
    cached: list[tuple[str, str]] | None = getattr(request.state, "form_pairs", None)
    if cached is not None:
        return cached
    data = read_raw(request.scope, max_bytes=MAX_FORM_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        fail(400, "فرم با نویسه‌های نادرست رسید.", "The form arrived with invalid characters.")
    pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, max_num_fields=2000)
    cleaned = [(clean(k, 100), clean(v, MAX_FORM_BYTES)) for k, v in pairs]
    request.state.form_pairs = cleaned
    return cleaned


def render(
    request: Request,
    template: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **values: Any,
) -> HTMLResponse:
    state = console_state(request)
    loc = locale_of(request)
    session: Session | None = getattr(request.state, "session", None)
    html = state.templates.get_template(template).render(
        loc=loc,
        t=loc.t,
        num=loc.num,
        when=loc.when,
        staff=session.staff if session else None,
        csrf=session.csrf_token if session else "",
        path=request.url.path,
        query=request.url.query,
        **values,
    )
    response = HTMLResponse(html, status_code=status, headers=headers)
    # The console's pages are nobody's frame and hold citizens' data: no caching.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'"
    )
    response.headers["Referrer-Policy"] = "same-origin"
    if request.url.scheme == "https":  # TLS here or at a trusted proxy (FORWARDED_ALLOW_IPS)
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


def redirect(url: str, request: Request | None = None) -> Response:
    if request is not None and request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def now_of(request: Request) -> dt.datetime:
    return server_ctx(request).clock()
