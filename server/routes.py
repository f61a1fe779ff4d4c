"""HTTP routes of protocol v1: device calls (enrol, push, changes, heartbeat), health, admin.

Routes are plain ``def`` so the database work runs on uvicorn's thread pool, not the event
loop. Request shapes are pydantic models (they document the API in /openapi.json); the
protocol's own ``from_json`` then applies the same checks the client's types apply.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text

from server import feed, monitoring, offices
from server.catalogs import publish_catalog
from server.context import ServerContext
from server.errors import ApiError, invalid, unauthorized
from server.offices import AuthDevice
from server.push import push
from sync.protocol import (
    DEFAULT_CHANGES_LIMIT,
    MAX_CHANGES_LIMIT,
    PROTOCOL_VERSION,
    EnrolRequest,
    ErrorCode,
    Heartbeat,
    HeartbeatResponse,
    ProtocolError,
    Reason,
    RemoteState,
    is_canonical_uuid,
    utc_iso,
)

R_DEVICE = Reason("با رایانهٔ این توکن نمی‌خواند.", "is not the device of this token.")
R_UUID = Reason("باید UUID با حروف کوچک باشد.", "must be a lower-case UUID.")

_bearer = HTTPBearer(auto_error=False, description="Device token, or the admin token")


async def _ctx(request: Request) -> ServerContext:
    # async: a plain function would take a trip through the thread pool on every call.
    ctx: ServerContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ServerContext, Depends(_ctx)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _device(ctx: Ctx, credentials: Credentials) -> AuthDevice:
    if credentials is None or not credentials.credentials:
        raise unauthorized()
    device = offices.authenticate(ctx.engine, credentials.credentials)
    if device is None:
        raise unauthorized()
    return device


def _admin(ctx: Ctx, credentials: Credentials) -> None:
    expected = ctx.settings.admin_token
    given = credentials.credentials if credentials is not None else ""
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise unauthorized()


CurrentDevice = Annotated[AuthDevice, Depends(_device)]


def _from_protocol(error: ProtocolError) -> ApiError:
    return invalid({error.field: error.reason})


def _ok(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body)


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True)


class EnrolBody(_Strict):
    code: str = Field(examples=["ABCD-EFGH-JKLM"])
    device_id: str = Field(description="UUID made by the PC, lower case")
    office_code: str
    counter_no: int = Field(ge=1)
    device_name: str = ""
    app_version: str = ""


class PushBody(_Strict):
    device_id: str
    items: list[Any] = Field(
        description="RequestItem objects (docs/PROTOCOL.md); each is answered on its own"
    )


class HeartbeatBody(_Strict):
    queue_depth: int = Field(ge=0)
    oldest_waiting_seconds: int | None = Field(default=None, ge=0)
    app_version: str = ""
    last_seq: int = Field(default=0, ge=0)
    attention: int = Field(default=0, ge=0)


class OfficeBody(_Strict):
    code: str
    name: str


class EnrolmentCodeBody(_Strict):
    office_code: str
    ttl_hours: float | None = Field(default=None, gt=0, le=24 * 90)


class StatusBody(BaseModel):
    state: RemoteState
    reason_fa: str | None = None
    reason_en: str | None = None


device_router = APIRouter(prefix="/v1", tags=["device"])
admin_router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Depends(_admin)])


@device_router.get("/health", tags=["health"])
def health(ctx: Ctx) -> JSONResponse:
    """Alive and the database answers."""
    with ctx.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return _ok({"status": "ok", "protocol": PROTOCOL_VERSION, "server_time": utc_iso(ctx.clock())})


@device_router.post("/enrol")
def enrol(ctx: Ctx, body: EnrolBody) -> JSONResponse:
    try:
        request = EnrolRequest.from_json(body.model_dump())
    except ProtocolError as exc:
        raise _from_protocol(exc) from None
    return _ok(offices.enrol(ctx.engine, request, now=ctx.clock()).to_json())


@device_router.post("/push")
def push_batch(ctx: Ctx, device: CurrentDevice, body: PushBody) -> JSONResponse:
    if body.device_id != device.id:
        raise ApiError(
            403,
            ErrorCode.DEVICE_MISMATCH,
            "شناسهٔ رایانه در درخواست با رایانهٔ ثبت‌شده نمی‌خواند.",
            "The device_id in the body is not the device of this token.",
            {"device_id": R_DEVICE},
        )
    limit = ctx.settings.max_items_per_push
    if len(body.items) > limit:
        raise ApiError(
            413,
            ErrorCode.TOO_MANY_ITEMS,
            f"در هر ارسال حداکثر {limit} درخواست پذیرفته می‌شود.",
            f"At most {limit} items per push; split the batch.",
        )
    response = push(
        ctx.engine,
        ctx.catalogs,
        device,
        body.items,
        now=ctx.clock(),
        retry_after=ctx.settings.retry_after_seconds,
    )
    return _ok(response.to_json())


@device_router.get("/changes")
def changes(
    ctx: Ctx,
    device: CurrentDevice,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_CHANGES_LIMIT)] = DEFAULT_CHANGES_LIMIT,
) -> JSONResponse:
    page = feed.changes_page(ctx.engine, ctx.cursor_key, device.office_id, cursor, limit)
    return _ok(page.to_json())


@device_router.post("/heartbeat")
def heartbeat(ctx: Ctx, device: CurrentDevice, body: HeartbeatBody) -> JSONResponse:
    try:
        beat = Heartbeat.from_json(body.model_dump())
    except ProtocolError as exc:
        raise _from_protocol(exc) from None
    now = ctx.clock()
    monitoring.record_heartbeat(ctx.engine, device.id, beat, now=now)
    return _ok(HeartbeatResponse(server_time=utc_iso(now)).to_json())


@admin_router.post("/offices")
def add_office(ctx: Ctx, body: OfficeBody) -> JSONResponse:
    offices.add_office(ctx.engine, body.code, body.name, now=ctx.clock())
    return _ok({"code": body.code, "name": body.name})


@admin_router.post("/enrolment-codes")
def enrolment_code(ctx: Ctx, body: EnrolmentCodeBody) -> JSONResponse:
    ttl = body.ttl_hours or ctx.settings.enrolment_code_ttl_hours
    code = offices.create_enrolment_code(
        ctx.engine, body.office_code, ttl_hours=ttl, now=ctx.clock()
    )
    return _ok({"code": code, "office_code": body.office_code, "ttl_hours": ttl})


@admin_router.post("/devices/{device_id}/revoke")
def revoke_device(ctx: Ctx, device_id: str) -> JSONResponse:
    offices.revoke_device(ctx.engine, device_id, now=ctx.clock())
    return _ok({"device_id": device_id, "revoked": True})


@admin_router.post("/requests/{request_id}/status")
def set_status(ctx: Ctx, request_id: str, body: StatusBody) -> JSONResponse:
    if not is_canonical_uuid(request_id):
        raise invalid({"request_id": R_UUID})
    change = feed.set_status(
        ctx.engine,
        request_id,
        body.state,
        reason_fa=body.reason_fa,
        reason_en=body.reason_en,
        now=ctx.clock(),
    )
    return _ok(change.to_json())


@admin_router.post("/catalog")
def publish(
    ctx: Ctx, document: Annotated[dict[str, Any], Body(description="A catalogue document")]
) -> JSONResponse:
    version = publish_catalog(ctx.engine, document, now=ctx.clock())
    return _ok({"version": version})


@admin_router.get("/offices/stuck")
def stuck(ctx: Ctx, limit: Annotated[int, Query(ge=1, le=20_000)] = 100) -> JSONResponse:
    ranked = monitoring.stuck_offices(ctx.engine, now=ctx.clock(), limit=limit)
    return _ok({"offices": [office.to_json() for office in ranked]})
