"""A request's scans for reviewers: ``/console/requests/{id}/scans/{position}``, the bytes
of one received part, for whoever may see the request (404 otherwise, as its page)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server import blobs
from server.console import audit
from server.console.scans import DOWNLOAD, media_type, scan_blob
from server.console.web import (
    NOT_FOUND,
    PREFIX,
    ConsoleError,
    CurrentSession,
    actor,
    require,
    server_ctx,
)
from server.errors import ApiError
from sync.protocol import is_canonical_uuid

router = APIRouter(prefix=PREFIX, include_in_schema=False)

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


@router.get("/requests/{request_id}/scans/{position}")
def show_scan(
    request: Request, session: CurrentSession, request_id: str, position: str
) -> Response:
    staff = session.staff
    require(staff, staff.reviews)
    ctx = server_ctx(request)
    if not is_canonical_uuid(request_id) or not (position.isascii() and position.isdigit()):
        raise ConsoleError(404, NOT_FOUND)
    if len(position) > 4:
        raise ConsoleError(404, NOT_FOUND)
    part = scan_blob(ctx.engine, staff, request_id, int(position))
    if part is None:
        raise ConsoleError(404, NOT_FOUND)
    try:
        data = blobs.read(
            ctx.engine,
            request.app.state.blobs.storage,
            office_id=part.office_id,
            sha256=part.sha256,
        )
    except (ApiError, FileNotFoundError):
        raise ConsoleError(404, NOT_FOUND) from None
    audit.record_now(
        ctx.engine,
        actor(request, staff),
        "view_scan",
        target=request_id,
        detail=f"{part.document} #{position}",
        now=ctx.clock(),
    )
    kind = media_type(data)
    name = f"{part.document}-{position}.{EXTENSIONS.get(kind, 'bin')}"
    shown = "attachment" if kind == DOWNLOAD else "inline"
    return Response(
        data,
        media_type=kind,
        headers={
            "Content-Disposition": f'{shown}; filename="{name}"',
            "X-Content-Type-Options": "nosniff",  # the type is ours, not the browser's guess
            "Cache-Control": "no-store",  # a citizen's document
            # Shown in the request page's own frame, nobody else's; an image runs nothing
            # (a PDF keeps what the browser's own viewer needs).
            "Content-Security-Policy": (
                "frame-ancestors 'self'"
                if kind == "application/pdf"
                # the browser's own image page styles itself inline; no script, ever
                else "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
            ),
            "X-Frame-Options": "SAMEORIGIN",
            "Referrer-Policy": "same-origin",
        },
    )
