"""The centre's web console (issue 15): server-rendered pages for reviewers (the inbox, a
request, decisions), fleet operators (offices and PCs) and administrators (enrolment,
revocation, catalogues), at ``/console``.

``mount_console(app)`` adds its routes, static files and error pages to the server's app.
Staff log in with a password (``python -m server create-staff``); their sessions are
separate from device tokens in both directions. See docs/CONSOLE.md.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from rules.catalog import demo_catalog_path
from server.console.settings import ConsoleSettings
from server.console.web import (
    NOT_FOUND,
    PREFIX,
    ConsoleError,
    ConsoleState,
    LoginRequired,
    render,
)
from server.throttle import FailureThrottle

STATIC = Path(__file__).resolve().parent / "static"
FONTS = ("Vazirmatn-Regular.ttf", "Vazirmatn-Bold.ttf", "OFL.txt")


def font_dir() -> Path:
    """The counter's own copy of Vazirmatn (resources/fonts), beside the demo catalogue."""
    return demo_catalog_path().parents[1] / "fonts"


def mount_console(app: FastAPI, settings: ConsoleSettings | None = None) -> None:
    from server.console import (
        routes_auth,
        routes_catalog,
        routes_fleet,
        routes_review,
        routes_scans,
        routes_staff,
    )

    settings = settings or ConsoleSettings.from_env()
    app.state.console = ConsoleState(
        settings=settings,
        throttle=FailureThrottle(
            burst=settings.login_failures_burst, per_minute=settings.login_failures_per_minute
        ),
    )
    app.include_router(routes_auth.router)
    app.include_router(routes_review.router)
    app.include_router(routes_scans.router)
    app.include_router(routes_fleet.router)
    app.include_router(routes_catalog.router)
    app.include_router(routes_staff.router)
    app.mount(PREFIX + "/static", StaticFiles(directory=STATIC), name="console-static")
    fonts = font_dir()

    @app.get(PREFIX + "/fonts/{name}", include_in_schema=False)
    def font(name: str) -> Response:
        if name not in FONTS or not (fonts / name).is_file():
            raise ConsoleError(404, NOT_FOUND)
        return FileResponse(fonts / name, headers={"Cache-Control": "max-age=86400"})

    @app.exception_handler(ConsoleError)
    async def _console_error(request: Request, exc: ConsoleError) -> Response:
        return render(request, "error.html", status=exc.status, error=exc)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _exc: LoginRequired) -> Response:
        return routes_auth.login_redirect(request)
