"""HTTP routes of resumable document uploads (docs/PROTOCOL.md, "Documents"), modelled on tus.

    POST  /v1/blobs            {"sha256": hex, "length": n} -> {"sha256", "length", "offset"}
    HEAD  /v1/blobs/{sha256}   Upload-Offset, Upload-Length headers
    PATCH /v1/blobs/{sha256}   Upload-Offset: n, Upload-Checksum: sha256 <base64>, the chunk
                               -> 204, Upload-Offset: n + len; 409 with Upload-Offset if n
                               is not the server's offset
    GET   /v1/blobs/{sha256}   the whole blob (this device's office only)
    GET   /v1/admin/offices/{code}/blobs/{sha256}   the back office reads any office's
    GET   /v1/admin/requests/{id}/documents   a request's scans and which have arrived
                               ("awaiting_documents" until every one is whole)

Plain ``def`` routes (the thread pool); each authenticates before touching its body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import msgspec
from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.responses import Response
from sqlalchemy import select

from server import blobs
from server.blobs_links import RequestDocuments, documents_of
from server.blobs_storage import BlobStorage, FolderStorage
from server.body import read_message, read_raw
from server.errors import invalid, not_found
from server.models import Office, requests
from server.routes import Ctx, CurrentDevice, _admin
from server.settings import ServerSettings
from sync.protocol import HEX64_PATTERN, Message, encode, is_canonical_uuid

R_SHA = Message("باید ۶۴ رقم شانزده‌شانزدهی کوچک باشد.", "must be 64 lower-case hex digits.")
R_REQUEST_ID = Message("باید شناسهٔ UUID درخواست باشد.", "must be the request's UUID.")
R_OFFSET = Message("باید عددی نامنفی باشد.", "must be a non-negative integer.")


class BlobCreate(msgspec.Struct, forbid_unknown_fields=True):
    sha256: Annotated[str, msgspec.Meta(pattern=HEX64_PATTERN)]
    length: Annotated[int, msgspec.Meta(ge=1, le=1 << 40)]


class BlobOffset(msgspec.Struct):
    sha256: str
    length: int
    offset: int


@dataclass(frozen=True)
class BlobService:
    storage: BlobStorage
    policy: blobs.BlobPolicy


def install_blobs(app: FastAPI, settings: ServerSettings) -> None:
    """Register the routes; blobs live in ``<data_dir>/blobs`` (one call in create_app)."""
    app.state.blobs = BlobService(FolderStorage(settings.data_dir / "blobs"), blobs.BlobPolicy())
    app.include_router(router)
    app.include_router(admin_router)


def _service(request: Request) -> BlobService:
    service: BlobService = request.app.state.blobs
    return service


def _sha(value: str) -> str:
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise invalid({"sha256": R_SHA})
    return value


def _offset_headers(state: blobs.UploadState) -> dict[str, str]:
    return {
        "Upload-Offset": str(state.offset),
        "Upload-Length": str(state.length),
        "Cache-Control": "no-store",
    }


router = APIRouter(prefix="/v1/blobs", tags=["documents"])
admin_router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Depends(_admin)])


@router.post("")
def create_upload(request: Request, ctx: Ctx, device: CurrentDevice) -> Response:
    body = read_message(request.scope, BlobCreate, max_bytes=4096)
    state = blobs.create(
        ctx.engine,
        _service(request).policy,
        office_id=device.office_id,
        device_id=device.id,
        sha256=body.sha256,
        length=body.length,
        now=ctx.clock(),
    )
    return Response(
        encode(BlobOffset(state.sha256, state.length, state.offset)),
        status_code=201 if state.offset == 0 else 200,
        media_type="application/json",
        headers=_offset_headers(state),
    )


@router.head("/{sha256}")
def upload_offset(ctx: Ctx, device: CurrentDevice, sha256: str) -> Response:
    state = blobs.state(ctx.engine, office_id=device.office_id, sha256=_sha(sha256))
    return Response(status_code=200, headers=_offset_headers(state))


@router.patch("/{sha256}")
def append_chunk(
    request: Request,
    ctx: Ctx,
    device: CurrentDevice,
    sha256: str,
    upload_offset: Annotated[str, Header(alias="Upload-Offset")] = "",
    upload_checksum: Annotated[str, Header(alias="Upload-Checksum")] = "",
) -> Response:
    _sha(sha256)
    if not upload_offset.isdigit() or len(upload_offset) > 15:
        raise invalid({"Upload-Offset": R_OFFSET})
    checksum = blobs.parse_checksum(upload_checksum)
    service = _service(request)
    data = read_raw(request.scope, max_bytes=service.policy.max_chunk_bytes)
    state = blobs.append(
        ctx.engine,
        service.storage,
        office_id=device.office_id,
        sha256=sha256,
        offset=int(upload_offset),
        data=data,
        checksum=checksum,
        now=ctx.clock(),
    )
    return Response(status_code=204, headers=_offset_headers(state))


@router.get("/{sha256}")
def read_blob(request: Request, ctx: Ctx, device: CurrentDevice, sha256: str) -> Response:
    data = blobs.read(
        ctx.engine, _service(request).storage, office_id=device.office_id, sha256=_sha(sha256)
    )
    return Response(data, media_type="application/octet-stream")


@admin_router.get("/offices/{office_code}/blobs/{sha256}")
def admin_read_blob(request: Request, ctx: Ctx, office_code: str, sha256: str) -> Response:
    with ctx.engine.connect() as conn:
        office_id = conn.execute(select(Office.id).where(Office.code == office_code)).scalar()
    if office_id is None:
        raise not_found("این دفتر نیست.", "No such office.")
    data = blobs.read(
        ctx.engine, _service(request).storage, office_id=office_id, sha256=_sha(sha256)
    )
    return Response(data, media_type="application/octet-stream")


@admin_router.get("/requests/{request_id}/documents")
def admin_request_documents(ctx: Ctx, request_id: str) -> Response:
    if not is_canonical_uuid(request_id):
        raise invalid({"request_id": R_REQUEST_ID})
    with ctx.engine.connect() as conn:
        known = conn.execute(select(requests.c.id).where(requests.c.id == request_id)).first()
        found = documents_of(conn, [request_id]) if known else {}
    if known is None:
        raise not_found("این درخواست نیست.", "No such request.")
    body = found.get(request_id) or RequestDocuments(())
    return Response(
        encode({"request_id": request_id, **body.to_json()}), media_type="application/json"
    )
