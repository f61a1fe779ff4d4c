"""Errors the server answers with, in the protocol's one error shape (see PROTOCOL.md):
``{"error", "message_fa", "message_en", "fields"}``, and the handlers that make sure even
FastAPI's own errors and our bugs come out in that shape (and never as a bare 500 page)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, ErrorBody, ErrorCode, Reason

log = logging.getLogger("pishkhan.server")

RETRY_AFTER_UNAVAILABLE = 10  # seconds


class ApiError(Exception):
    """An answer other than 200, raised anywhere below a route."""

    def __init__(
        self,
        status: int,
        code: ErrorCode | str,
        fa: str,
        en: str,
        fields: Mapping[str, Reason] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {en}")
        self.status = status
        self.body = ErrorBody(
            error=str(code), message_fa=fa, message_en=en, fields=dict(fields) if fields else None
        )
        self.headers = dict(headers or {})


def error_response(
    status: int, body: ErrorBody, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    all_headers = {PROTOCOL_HEADER: str(PROTOCOL_VERSION), **(headers or {})}
    return JSONResponse(body.to_json(), status_code=status, headers=all_headers)


def unauthorized() -> ApiError:
    return ApiError(
        401,
        ErrorCode.UNAUTHORIZED,
        "این رایانه شناخته نشد یا دسترسی آن لغو شده است؛ آن را دوباره ثبت کنید.",
        "This PC is not known or its access was revoked; enrol it again.",
        headers={"WWW-Authenticate": "Bearer"},
    )


def too_large(what_fa: str, what_en: str) -> ApiError:
    return ApiError(
        413,
        ErrorCode.TOO_LARGE,
        f"حجم درخواست بیش از حد مجاز است ({what_fa}).",
        f"The request body is too large ({what_en}).",
    )


def bad_request(fa: str, en: str, fields: Mapping[str, Reason] | None = None) -> ApiError:
    return ApiError(400, ErrorCode.BAD_REQUEST, fa, en, fields)


def invalid(fields: Mapping[str, Reason]) -> ApiError:
    return ApiError(
        422,
        ErrorCode.INVALID,
        "برخی مقادیر درخواست نادرست است.",
        "Some values in the request are not valid.",
        fields,
    )


def not_found(fa: str, en: str) -> ApiError:
    return ApiError(404, ErrorCode.NOT_FOUND, fa, en)


_PYDANTIC_REASONS: dict[str, Reason] = {
    "missing": Reason("این مقدار لازم است.", "is required."),
    "string_type": Reason("باید متن باشد.", "must be a string."),
    "int_type": Reason("باید عدد صحیح باشد.", "must be an integer."),
    "int_parsing": Reason("باید عدد صحیح باشد.", "must be an integer."),
    "bool_type": Reason("باید درست/نادرست باشد.", "must be a boolean."),
    "dict_type": Reason("باید یک شیء JSON باشد.", "must be a JSON object."),
    "model_type": Reason("باید یک شیء JSON باشد.", "must be a JSON object."),
    "model_attributes_type": Reason("باید یک شیء JSON باشد.", "must be a JSON object."),
    "list_type": Reason("باید فهرست باشد.", "must be a list."),
    "greater_than_equal": Reason("مقدار کوچک‌تر از حد مجاز است.", "is below the minimum."),
    "less_than_equal": Reason("مقدار بزرگ‌تر از حد مجاز است.", "is above the maximum."),
    "string_too_short": Reason("متن کوتاه‌تر از حد مجاز است.", "is too short."),
    "string_too_long": Reason("متن بلندتر از حد مجاز است.", "is too long."),
    "enum": Reason("مقدار مجاز نیست.", "is not one of the allowed values."),
    "literal_error": Reason("مقدار مجاز نیست.", "is not one of the allowed values."),
    "extra_forbidden": Reason("این کلید شناخته نیست.", "is not a known key."),
}
_GENERIC_REASON = Reason("مقدار نادرست است.", "is not valid.")


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    # FastAPI prefixes where the value came from; the client thinks in body fields.
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_error(exc: RequestValidationError) -> ApiError:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return bad_request("بدنهٔ درخواست JSON معتبر نیست.", "The request body is not valid JSON.")
    fields: dict[str, Reason] = {}
    for error in errors:
        path = _field_path(tuple(error.get("loc", ())))
        fields.setdefault(path, _PYDANTIC_REASONS.get(str(error.get("type")), _GENERIC_REASON))
    return invalid(fields)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.body, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        error = _validation_error(exc)
        return error_response(error.status, error.body)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: ErrorCode.UNAUTHORIZED, 404: ErrorCode.NOT_FOUND}.get(
            exc.status_code, ErrorCode.BAD_REQUEST
        )
        body = ErrorBody(
            error=str(code),
            message_fa="درخواست پذیرفته نشد.",
            message_en=str(exc.detail),
        )
        return error_response(exc.status_code, body, exc.headers)

    @app.exception_handler(OperationalError)
    async def _database_unavailable(request: Request, exc: OperationalError) -> JSONResponse:
        # Locked too long, connection lost, server restarting: the client backs off and
        # retries; nothing of the call was committed.
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        body = ErrorBody(
            error=str(ErrorCode.UNAVAILABLE),
            message_fa="سرور موقتاً در دسترس نیست؛ کمی بعد دوباره تلاش می‌شود.",
            message_en="The server is temporarily unavailable; it will be retried shortly.",
        )
        return error_response(503, body, {"Retry-After": str(RETRY_AFTER_UNAVAILABLE)})

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        body = ErrorBody(
            error=str(ErrorCode.INTERNAL),
            message_fa="خطای داخلی سرور؛ بعداً دوباره تلاش کنید.",
            message_en="Internal server error; try again later.",
        )
        return error_response(500, body)
