"""HTTP routes of protocol v1: device calls (enrol, push, changes, heartbeat), health, admin.

Routes (and the authentication dependencies) are plain ``def``: they run on the thread
pool, never on the event loop. No route declares a body for FastAPI to parse: each first
authenticates, then opens its body itself (``server.body.read_message``: inflate, decode
and check with the protocol's msgspec types). Answers are encoded with msgspec too. The
OpenAPI document comes from the same types (``server.openapi``).
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import text

from server import feed, monitoring, offices, receipts
from server.admin_types import (
    CatalogDocument,
    EnrolmentCodeAnswer,
    EnrolmentCodeBody,
    OfficeAnswer,
    OfficeBody,
    RevokeAnswer,
    StatusBody,
    StuckOffices,
    VersionAnswer,
)
from server.body import decode_body, read_message, read_raw
from server.catalogs import publish_catalog
from server.context import ServerContext
from server.errors import R_REQUIRED, ApiError, invalid, not_found, unauthorized
from server.items import R_NOT_LEAN, BatchRefused, PushEnvelope, split_items
from server.offices import AuthDevice
from server.push import push
from server.throttle import Credential
from sync.protocol import (
    DEFAULT_CHANGES_LIMIT,
    LEAN_REVISION,
    MAX_CHANGES_LIMIT,
    MAX_PAGE_BYTES,
    MIN_PAGE_BYTES,
    PROTOCOL_VERSION,
    PUSH_KEY_HEADER,
    RECEIPTS_HEADER,
    ChangesPage2,
    EnrolRequest,
    ErrorCode,
    Health,
    Heartbeat,
    HeartbeatResponse,
    Message,
    ProtocolError,
    encode,
    is_canonical_uuid,
    utc_iso,
)

R_DEVICE = Message("با رایانهٔ این توکن نمی‌خواند.", "is not the device of this token.")
R_UUID = Message("باید UUID با حروف کوچک باشد.", "must be a lower-case hyphenated UUID.")
R_HEARTBEAT = Message("باید JSON یک ضربان باشد.", "must be the JSON of a heartbeat.")
# Small bodies: enrolment is the one call with no credential to check first.
MAX_ENROL_BYTES = 4 * 1024
MAX_SMALL_BODY_BYTES = 64 * 1024
# A heartbeat's JSON is some 150 characters; its longest form (every text at its bound).
MAX_HEARTBEAT_TEXT = 1000

_bearer = HTTPBearer(auto_error=False, description="Device token, or the admin token")


async def _ctx(request: Request) -> ServerContext:
    # async: a plain function would take a trip through the thread pool on every call.
    ctx: ServerContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ServerContext, Depends(_ctx)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _device(request: Request, ctx: Ctx, credentials: Credentials) -> AuthDevice:
    address = client_address(request)
    ctx.throttle.check(address, Credential.DEVICE_TOKEN)
    token = credentials.credentials if credentials is not None else ""
    device = offices.authenticate(ctx.engine, token) if 0 < len(token) <= 200 else None
    if device is None:
        if token:  # a missing token is a misconfigured PC, not a guess
            ctx.throttle.failed(address, Credential.DEVICE_TOKEN)
        raise unauthorized()
    return device


def _admin(request: Request, ctx: Ctx, credentials: Credentials) -> None:
    address = client_address(request)
    ctx.throttle.check(address, Credential.ADMIN_TOKEN)
    expected = ctx.settings.admin_token
    given = credentials.credentials if credentials is not None else ""
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        ctx.throttle.failed(address, Credential.ADMIN_TOKEN)
        raise unauthorized()


CurrentDevice = Annotated[AuthDevice, Depends(_device)]


def _ok(message: Any) -> Response:
    return Response(encode(message), media_type="application/json")


device_router = APIRouter(prefix="/v1", tags=["device"])
admin_router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Depends(_admin)])


@device_router.api_route("/health", methods=["GET", "HEAD"], tags=["health"])
def health(ctx: Ctx) -> Response:
    """Alive and the database answers."""
    with ctx.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return _ok(Health(status="ok", protocol=PROTOCOL_VERSION, server_time=utc_iso(ctx.clock())))


@device_router.post("/enrol")
def enrol(request: Request, ctx: Ctx) -> Response:
    address = client_address(request)
    ctx.throttle.check(address, Credential.ENROLMENT_CODE)
    body = read_message(request.scope, EnrolRequest, max_bytes=MAX_ENROL_BYTES)
    try:
        answer = offices.enrol(ctx.engine, body, now=ctx.clock())
    except ApiError as error:
        if error.body.error == ErrorCode.INVALID_CODE:
            ctx.throttle.failed(address, Credential.ENROLMENT_CODE)
        raise
    return _ok(answer)


@device_router.post("/push")
def push_batch(request: Request, ctx: Ctx, device: CurrentDevice) -> Response:
    body = read_message(request.scope, PushEnvelope, max_bytes=ctx.settings.max_inflated_bytes)
    if body.device_id != device.id:
        raise ApiError(
            403,
            ErrorCode.DEVICE_MISMATCH,
            "شناسهٔ رایانه در درخواست با رایانهٔ ثبت‌شده نمی‌خواند.",
            "The device_id in the body is not the device of this token.",
            {"device_id": R_DEVICE},
        )
    raw_items, digest = _push_items(body, lean=ctx.settings.protocol_revision >= LEAN_REVISION)
    limit = ctx.settings.max_items_per_push
    try:
        items = split_items(raw_items, limit)
    except ProtocolError as exc:
        raise invalid({"contents" if digest else "items": exc.reason}) from None
    if items is None:
        raise ApiError(
            413,
            ErrorCode.TOO_MANY_ITEMS,
            f"در هر ارسال حداکثر {limit} درخواست پذیرفته می‌شود.",
            f"At most {limit} items per push; split the batch.",
        )
    key = request.headers.get(PUSH_KEY_HEADER)
    if key is not None:
        _uuid(PUSH_KEY_HEADER, key)
    try:
        answer = push(
            ctx.engine,
            ctx.catalogs,
            device,
            items,
            now=ctx.clock(),
            retry_after=ctx.settings.retry_after_seconds,
            revision=body.revision,
            receipt_key=key,
            digest=digest,
        )
    except BatchRefused as exc:  # nothing stored: the PC sends the batch again, hashed
        raise invalid(exc.fields) from None
    # Tells a PC of revision 2 that it may ask for a receipt after a lost answer.
    return Response(answer, media_type="application/json", headers={RECEIPTS_HEADER: "1"})


def _push_items(body: PushEnvelope, *, lean: bool) -> tuple[msgspec.Raw, str | None]:
    """The raw items of a push, and the digest they must give (revision 3; None before).
    A server set to an older revision reads a revision-3 body as an older server does:
    ``items`` is missing, so the whole push is a 422, never an item rejected for its hash."""
    if not (lean and body.revision >= LEAN_REVISION):
        if not body.items:
            raise invalid({"items": R_REQUIRED})
        return body.items, None
    fields: dict[str, Message] = {}
    if body.items:
        fields["items"] = R_NOT_LEAN
    if not body.contents:
        fields["contents"] = R_REQUIRED
    if body.digest is None:
        fields["digest"] = R_REQUIRED
    if fields or body.digest is None:
        raise invalid(fields)
    return body.contents, body.digest


@device_router.api_route("/push/receipts/{key}", methods=["GET", "HEAD"])
def push_receipt(ctx: Ctx, device: CurrentDevice, key: str) -> Response:
    """The answer of this device's push named ``key`` (revision 2, issue 11): asked after a
    push whose answer was lost or cut. 404 when no such push of this device was stored
    (then the PC sends the batch again); another device's receipt is never served."""
    answer = receipts.fetch(ctx.engine, device.id, _uuid("key", key))
    if answer is None:
        raise not_found(
            "رسیدی با این کلید برای این رایانه نیست؛ دسته را دوباره بفرستید.",
            "No receipt with this key for this PC; send the batch again.",
        )
    return Response(answer, media_type="application/json", headers={RECEIPTS_HEADER: "1"})


@device_router.api_route("/changes", methods=["GET", "HEAD"])
def changes(
    ctx: Ctx,
    device: CurrentDevice,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_CHANGES_LIMIT)] = DEFAULT_CHANGES_LIMIT,
    revision: Annotated[int, Query(ge=1, le=255)] = 1,
    max_bytes: Annotated[int | None, Query(ge=MIN_PAGE_BYTES, le=MAX_PAGE_BYTES)] = None,
    heartbeat: Annotated[str | None, Query(max_length=MAX_HEARTBEAT_TEXT)] = None,
) -> Response:
    """Revision 2 (issue 11): the device's own acceptances are left out (its push answers
    carried them), ``max_bytes`` sizes the page, and a heartbeat may ride on the call."""
    beat = _heartbeat_param(heartbeat) if revision >= 2 and heartbeat is not None else None
    page = feed.changes_page(
        ctx.engine,
        ctx.cursor_key,
        device.office_id,
        cursor,
        limit,
        skip_device=device.id if revision >= 2 else None,
        max_bytes=max_bytes if revision >= 2 else None,
    )
    if revision < 2:
        return _ok(page)
    answer = _record_heartbeat(ctx, device, beat) if beat is not None else None
    return _ok(ChangesPage2(page.changes, page.cursor, page.more, page.reset, answer))


def _heartbeat_param(text_value: str) -> Heartbeat:
    """The heartbeat riding on a changes call: the JSON of the same type, its fields named
    ``heartbeat.<field>`` when refused (422)."""
    try:
        return decode_body(text_value.encode("utf-8"), Heartbeat, whole="heartbeat")
    except ApiError as error:
        if error.status != 422 or not error.body.fields:
            raise invalid({"heartbeat": R_HEARTBEAT}) from None
        raise invalid(
            {
                key if key.startswith("heartbeat") else f"heartbeat.{key}": reason
                for key, reason in error.body.fields.items()
            }
        ) from None


def _record_heartbeat(ctx: ServerContext, device: AuthDevice, beat: Heartbeat) -> HeartbeatResponse:
    now = ctx.clock()
    monitoring.record_heartbeat(ctx.engine, device.id, beat, now=now)
    settings = ctx.settings
    return HeartbeatResponse(
        server_time=utc_iso(now),
        minimum_version=settings.minimum_version,
        minimum_version_after=settings.minimum_version_after,
    )


@device_router.post("/heartbeat")
def heartbeat(request: Request, ctx: Ctx, device: CurrentDevice) -> Response:
    """Kept for clients of revision 1 (revision 2 sends it on the changes call)."""
    beat = read_message(request.scope, Heartbeat, max_bytes=MAX_SMALL_BODY_BYTES)
    return _ok(_record_heartbeat(ctx, device, beat))


@admin_router.post("/offices")
def add_office(request: Request, ctx: Ctx) -> Response:
    body = read_message(request.scope, OfficeBody, max_bytes=MAX_SMALL_BODY_BYTES)
    offices.add_office(ctx.engine, body.code, body.name, now=ctx.clock())
    return _ok(OfficeAnswer(code=body.code, name=body.name.strip()))


@admin_router.post("/enrolment-codes")
def enrolment_code(request: Request, ctx: Ctx) -> Response:
    body = read_message(request.scope, EnrolmentCodeBody, max_bytes=MAX_SMALL_BODY_BYTES)
    ttl = float(body.ttl_hours or ctx.settings.enrolment_code_ttl_hours)
    code = offices.create_enrolment_code(
        ctx.engine, body.office_code, ttl_hours=ttl, now=ctx.clock()
    )
    return _ok(EnrolmentCodeAnswer(code=code, office_code=body.office_code, ttl_hours=ttl))


def _uuid(name: str, value: str) -> str:
    if not is_canonical_uuid(value):
        raise invalid({name: R_UUID})
    return value


@admin_router.post("/devices/{device_id}/revoke")
def revoke_device(ctx: Ctx, device_id: str) -> Response:
    offices.revoke_device(ctx.engine, _uuid("device_id", device_id), now=ctx.clock())
    return _ok(RevokeAnswer(device_id=device_id, revoked=True))


@admin_router.post("/requests/{request_id}/status")
def set_status(request: Request, ctx: Ctx, request_id: str) -> Response:
    _uuid("request_id", request_id)
    body = read_message(request.scope, StatusBody, max_bytes=MAX_SMALL_BODY_BYTES)
    change = feed.set_status(
        ctx.engine,
        request_id,
        body.state,
        reason_fa=body.reason_fa,
        reason_en=body.reason_en,
        now=ctx.clock(),
    )
    return _ok(change)


@admin_router.post("/catalog")
def publish(request: Request, ctx: Ctx) -> Response:
    data = read_raw(request.scope, max_bytes=ctx.settings.max_inflated_bytes)
    try:
        decode_body(data, CatalogDocument)  # the shape and bounds
    except ApiError as error:
        if error.status != 422 or not error.body.fields:
            raise
        # One field, as before: "catalog", its reason naming the path inside the document.
        path, reason = next(iter(error.body.fields.items()))
        raise invalid(
            {"catalog": Message(f"{path}: {reason.fa}", f"{path}: {reason.en}")}
        ) from None
    document = msgspec.json.decode(data)  # the catalogue's own rules read it as it came
    version = publish_catalog(ctx.engine, document, now=ctx.clock())
    return _ok(VersionAnswer(version=version))


@admin_router.api_route("/offices/stuck", methods=["GET", "HEAD"])
def stuck(ctx: Ctx, limit: Annotated[int, Query(ge=1, le=20_000)] = 100) -> Response:
    ranked = monitoring.stuck_offices(ctx.engine, now=ctx.clock(), limit=limit)
    return _ok(msgspec.convert({"offices": [o.to_json() for o in ranked]}, StuckOffices))
