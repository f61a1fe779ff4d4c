"""The administrators' catalogue page: upload (or paste) a new version, see it checked by
the counter's own rules (``rules.catalog``) and its difference against the current one,
then publish it through the server's own path (``publish_catalog``)."""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import APIRouter, Request
from fastapi.responses import Response

from rules.catalog import Catalog, CatalogError
from rules.messages import Message
from server.admin_types import CatalogDocument
from server.body import decode_body
from server.catalogs import latest_version, publish_catalog
from server.console import audit
from server.console.catalog_diff import catalog_diff
from server.console.web import (
    PREFIX,
    CurrentSession,
    actor,
    read_form,
    redirect,
    render,
    require,
    server_ctx,
)
from server.db import read_now
from server.errors import ApiError

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _current(request: Request) -> Catalog | None:
    ctx = server_ctx(request)
    with read_now(ctx.engine) as conn:
        version = latest_version(conn)
    if version is None:
        return None
    return ctx.catalogs.get_many(ctx.engine, [version]).get(version)


def _checked(text: str, current: Catalog | None) -> tuple[Any, Catalog | None, Message | None]:
    """(the document, the catalogue it makes, or why not). The shape and bounds are the
    admin API's (``CatalogDocument``: msgspec, so deep nesting is an error, not a
    RecursionError); then the counter's rules. The version and date are the server's to
    set: the next number, and now."""
    data = text.encode("utf-8", "replace")
    try:
        decode_body(data, CatalogDocument, whole="document")
    except ApiError as error:
        if error.body.fields:
            path, reason = next(iter(error.body.fields.items()))
            return None, None, Message(f"{path}: {reason.fa}", f"{path}: {reason.en}")
        return None, None, Message("متن JSON معتبر نیست.", "The text is not valid JSON.")
    document = msgspec.json.decode(data)  # the counter's rules read it as it came
    stamped = dict(document, version=(current.version + 1) if current else 1)
    stamped.setdefault("published_at", "2000-01-01T00:00:00Z")
    try:
        return document, Catalog.from_document(stamped), None
    except CatalogError as exc:
        return document, None, exc.message


@router.get("/catalog")
def catalog_page(request: Request, session: CurrentSession) -> Response:
    require(session.staff, session.staff.is_admin)
    return render(
        request,
        "catalog.html",
        current=_current(request),
        checked=None,
        diff=[],
        problem=None,
        text="",
        published=request.query_params.get("published", ""),
    )


@router.post("/catalog/check")
def check(request: Request, session: CurrentSession) -> Response:
    require(session.staff, session.staff.is_admin)
    text = read_form(request).get("document", "")
    current = _current(request)
    _document, proposed, problem = _checked(text, current)
    diff = catalog_diff(current, proposed) if proposed is not None else []
    return render(
        request,
        "catalog.html",
        status=200 if proposed is not None else 422,
        current=current,
        checked=proposed,
        diff=diff,
        problem=problem,
        text=text,
        published="",
    )


@router.post("/catalog/publish")
def publish(request: Request, session: CurrentSession) -> Response:
    require(session.staff, session.staff.is_admin)
    ctx = server_ctx(request)
    form = read_form(request)
    text = form.get("document", "")
    current = _current(request)
    document, proposed, problem = _checked(text, current)
    if form.get("confirm") != "yes":
        proposed, problem = None, Message("انتشار تأیید نشد.", "The publication was not confirmed.")
    if proposed is None or document is None:
        return render(
            request,
            "catalog.html",
            status=422,
            current=current,
            checked=None,
            diff=[],
            problem=problem,
            text=text,
            published="",
        )
    try:
        version = publish_catalog(ctx.engine, document, now=ctx.clock())
    except ApiError as error:
        reason = next(iter((error.body.fields or {}).values()), None)
        problem = reason or Message(error.body.message_fa, error.body.message_en)
        return render(
            request,
            "catalog.html",
            status=422,
            current=current,
            checked=None,
            diff=[],
            problem=problem,
            text=text,
            published="",
        )
    audit.record_now(
        ctx.engine,
        actor(request, session.staff),
        "publish_catalog",
        target=str(version),
        now=ctx.clock(),
    )
    return redirect(f"{PREFIX}/catalog?published={version}", request)
