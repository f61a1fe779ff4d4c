"""The OpenAPI document of the server, generated from the protocol's msgspec types.

FastAPI would describe only what it parses itself (the routes read their own bodies), so
the document is built here: every request and answer schema from the very types that check
the messages (``msgspec.json.schema_components``), every status each operation answers,
and OpenAPI links along the life of a PC (add an office → an enrolment code → enrol →
push → changes, heartbeat) so that a stateful test can follow them.
"""

from __future__ import annotations

from typing import Any

import msgspec

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
from sync.protocol import (
    DEFAULT_CHANGES_LIMIT,
    MAX_CHANGES_LIMIT,
    MAX_PAGE_BYTES,
    MIN_PAGE_BYTES,
    PROTOCOL_VERSION,
    UUID_PATTERN,
    ChangesPage,
    ChangesPage2,
    CompactPushResponse,
    EnrolRequest,
    EnrolResponse,
    ErrorBody,
    Health,
    Heartbeat,
    HeartbeatResponse,
    LeanPushBody,
    PushBody,
    PushResponse,
    StatusChange,
)

_TYPES: list[Any] = [
    Health,
    EnrolRequest,
    EnrolResponse,
    PushBody,
    LeanPushBody,
    PushResponse,
    CompactPushResponse,
    ChangesPage,
    ChangesPage2,
    Heartbeat,
    HeartbeatResponse,
    ErrorBody,
    OfficeBody,
    OfficeAnswer,
    EnrolmentCodeBody,
    EnrolmentCodeAnswer,
    RevokeAnswer,
    StatusBody,
    StatusChange,
    VersionAnswer,
    CatalogDocument,
    StuckOffices,
]

_ERRORS = {
    400: "Not JSON, corrupt or truncated gzip, or (enrolment) a code refused",
    401: "Token missing, unknown or revoked",
    403: "The body's device_id is not the token's device",
    404: "Not found",
    408: "The request body stopped arriving (the connection is closed)",
    409: "Conflict (an office that exists, a counter taken, a device of another office)",
    413: "Body too large, compressed or inflated, or too many items",
    415: "A Content-Encoding other than gzip",
    422: "A field of the wrong shape or out of bounds; fields names each",
    429: "Too many failed authentications from this address (Retry-After)",
    503: "The database is busy or unreachable (Retry-After); nothing was stored",
}
_BODY = (400, 408, 413, 415, 422)
_DEVICE = (401, 429, 503)
_ADMIN = (401, 429, 503)
_EXAMPLE_DEVICE = "00000000-0000-4000-8000-00000000a001"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _operation(
    op_id: str,
    summary: str,
    answer: str,
    statuses: tuple[int, ...],
    *,
    body: str | None = None,
    security: str | None = None,
    parameters: list[dict[str, Any]] | None = None,
    links: dict[str, Any] | None = None,
) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "OK", "content": _json(_ref(answer))}
    if links:
        ok["links"] = links
    responses: dict[str, Any] = {"200": ok}
    for status in sorted(set(statuses)):
        error: dict[str, Any] = {
            "description": _ERRORS[status],
            "content": _json(_ref("ErrorBody")),
        }
        if status in (429, 503):
            error["headers"] = {"Retry-After": {"schema": {"type": "integer", "minimum": 0}}}
        responses[str(status)] = error
    operation: dict[str, Any] = {"operationId": op_id, "summary": summary, "responses": responses}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": _json(_ref(body))}
    if security is not None:
        operation["security"] = [{security: []}]
    if parameters:
        operation["parameters"] = parameters
    return operation


def _uuid_in_path(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": UUID_PATTERN},
    }


def openapi_document(version: str, *, max_items: int) -> dict[str, Any]:
    """The whole document (OpenAPI 3.1), as /openapi.json serves it."""
    _, schemas = msgspec.json.schema_components(_TYPES, ref_template="#/components/schemas/{name}")
    schemas["PushBody"]["properties"]["items"]["maxItems"] = max_items
    schemas["LeanPushBody"]["properties"]["contents"]["maxItems"] = max_items
    # Revision 3 (a server that says Pishkhan-Revision: 3) takes the items without hashes.
    schemas["PushRequest"] = {"anyOf": [_ref("PushBody"), _ref("LeanPushBody")]}
    device_links = {
        "push": {
            "operationId": "push",
            "requestBody": {"device_id": "$response.body#/device_id", "items": []},
            "description": "The enrolled PC pushes (with the token it was given).",
        },
        "changes": {"operationId": "changes", "description": "The PC pulls its feed."},
        "heartbeat": {"operationId": "heartbeat", "description": "The PC reports its queue."},
    }
    paths: dict[str, Any] = {
        "/v1/health": {
            "get": _operation("health", "Alive, and the database answers", "Health", (503,))
        },
        "/v1/enrol": {
            "post": _operation(
                "enrol",
                "Spend a one-time code on a PC; answers its device token",
                "EnrolResponse",
                (*_BODY, 409, 429, 503),
                body="EnrolRequest",
                links=device_links,
            )
        },
        "/v1/push": {
            "post": _operation(
                "push",
                f"A batch of requests (at most {max_items}), each answered on its own",
                "PushResponse",
                (*_BODY, *_DEVICE, 403),
                body="PushRequest",
                security="deviceToken",
                parameters=[
                    {
                        "name": "Pishkhan-Push-Key",
                        "in": "header",
                        "required": False,
                        "description": "Revision 2: the batch key its receipt is kept under",
                        "schema": {"type": "string", "pattern": UUID_PATTERN},
                    }
                ],
                links={"changes": {"operationId": "changes"}},
            )
        },
        "/v1/push/receipts/{key}": {
            "get": _operation(
                "push_receipt",
                "This PC's push answer kept under its batch key (revision 2); 404: resend",
                "CompactPushResponse",
                (*_DEVICE, 404, 422),
                security="deviceToken",
                parameters=[_uuid_in_path("key")],
            )
        },
        "/v1/changes": {
            "get": _operation(
                "changes",
                "The office's change feed after a cursor (revision 2: ChangesPage2)",
                "ChangesPage2",
                (*_DEVICE, 422),
                security="deviceToken",
                parameters=[
                    {
                        "name": "cursor",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "maxLength": 200},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_CHANGES_LIMIT,
                            "default": DEFAULT_CHANGES_LIMIT,
                        },
                    },
                    {
                        "name": "revision",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 255, "default": 1},
                    },
                    {
                        "name": "max_bytes",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "integer",
                            "minimum": MIN_PAGE_BYTES,
                            "maximum": MAX_PAGE_BYTES,
                        },
                    },
                    {
                        "name": "heartbeat",
                        "in": "query",
                        "required": False,
                        "description": "Revision 2: the JSON of a Heartbeat",
                        "schema": {"type": "string", "maxLength": 1000},
                    },
                ],
                links={
                    "next": {
                        "operationId": "changes",
                        "parameters": {"cursor": "$response.body#/cursor"},
                        "description": "The next page (store the cursor even when empty).",
                    }
                },
            )
        },
        "/v1/heartbeat": {
            "post": _operation(
                "heartbeat",
                "The PC's queue depth and oldest waiting request",
                "HeartbeatResponse",
                (*_BODY, *_DEVICE),
                body="Heartbeat",
                security="deviceToken",
            )
        },
        "/v1/admin/offices": {
            "post": _operation(
                "add_office",
                "Add an office",
                "OfficeAnswer",
                (*_BODY, *_ADMIN, 409),
                body="OfficeBody",
                security="adminToken",
                links={
                    "enrolment_code": {
                        "operationId": "enrolment_code",
                        "requestBody": {"office_code": "$response.body#/code"},
                    }
                },
            )
        },
        "/v1/admin/enrolment-codes": {
            "post": _operation(
                "enrolment_code",
                "A new one-time enrolment code for an office",
                "EnrolmentCodeAnswer",
                (*_BODY, *_ADMIN, 404),
                body="EnrolmentCodeBody",
                security="adminToken",
                links={
                    "enrol": {
                        "operationId": "enrol",
                        "requestBody": {
                            "code": "$response.body#/code",
                            "office_code": "$response.body#/office_code",
                            "device_id": _EXAMPLE_DEVICE,
                            "counter_no": 1,
                            "device_name": "PC-1",
                            "app_version": "0.1.0",
                        },
                    }
                },
            )
        },
        "/v1/admin/devices/{device_id}/revoke": {
            "post": _operation(
                "revoke_device",
                "Cut a PC off (its token answers 401 from now on)",
                "RevokeAnswer",
                (*_ADMIN, 404, 422),
                security="adminToken",
                parameters=[_uuid_in_path("device_id")],
            )
        },
        "/v1/admin/requests/{request_id}/status": {
            "post": _operation(
                "set_status",
                "The back office's decision on a request",
                "StatusChange",
                (*_BODY, *_ADMIN, 404),
                body="StatusBody",
                security="adminToken",
                parameters=[_uuid_in_path("request_id")],
            )
        },
        "/v1/admin/catalog": {
            "post": _operation(
                "publish_catalog",
                "Publish a catalogue document as the next version",
                "VersionAnswer",
                (*_BODY, *_ADMIN),
                body="CatalogDocument",
                security="adminToken",
            )
        },
        "/v1/admin/offices/stuck": {
            "get": _operation(
                "stuck_offices",
                "Offices whose PCs have waited longest to send",
                "StuckOffices",
                (*_ADMIN, 422),
                security="adminToken",
                parameters=[
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 20_000},
                    }
                ],
            )
        },
    }
    # Revision 2 (the body's "revision": 2) is answered compactly; revision 1 in full.
    paths["/v1/push"]["post"]["responses"]["200"]["content"] = _json(
        {"oneOf": [_ref("PushResponse"), _ref("CompactPushResponse")]}
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Pishkhan central server",
            "version": version,
            "description": (
                f"Reference server of the Pishkhan sync protocol v{PROTOCOL_VERSION} "
                "(docs/PROTOCOL.md). Bodies may be gzip (Content-Encoding: gzip); every "
                "answer carries X-Pishkhan-Protocol. HEAD is answered wherever GET is."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "deviceToken": {"type": "http", "scheme": "bearer"},
                "adminToken": {"type": "http", "scheme": "bearer"},
            },
        },
    }
