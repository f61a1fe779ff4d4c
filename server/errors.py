"""Errors the server answers with, in the protocol's one error shape (see PROTOCOL.md):
``{"error", "message_fa", "message_en", "fields"}``, and the handlers that make sure even
FastAPI's own errors and our bugs come out in that shape (and never as a bare 500 page)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sync.protocol import (
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    ErrorBody,
    ErrorCode,
    Message,
    encode,
)

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import Response

# FastAPI is imported only where an HTTP answer is made (the functions below that need it):
# the command line's admin commands raise ApiError too, and importing FastAPI (with
# Starlette and pydantic) cost them a third of their start (issue 14; bench/cli.py).

log = logging.getLogger("pishkhan.server")

RETRY_AFTER_UNAVAILABLE = 10  # seconds
R_REQUIRED = Message("این مقدار لازم است.", "is required.")


class ApiError(Exception):
    """An answer other than 200, raised anywhere below a route."""

    def __init__(
        self,
        status: int,
        code: ErrorCode | str,
        fa: str,
        en: str,
        fields: Mapping[str, Message] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {en}")
        self.status = status
        self.body = ErrorBody(
            error=str(code), message_fa=fa, message_en=en, fields=dict(fields) if fields else None
        )
        self.headers = dict(headers or {})

    def payload(self) -> bytes:
        return _encode_error(self.body)


def _encode_error(body: ErrorBody) -> bytes:
    try:
        return encode(body)
    except UnicodeEncodeError:  # a lone surrogate in a reason: never fail to answer
        return encode(ErrorBody(error=body.error, message_fa="", message_en="invalid text"))


def error_response(
    status: int, body: ErrorBody, headers: Mapping[str, str] | None = None
) -> Response:
    from fastapi.responses import Response

    all_headers = {PROTOCOL_HEADER: str(PROTOCOL_VERSION), **(headers or {})}
    return Response(
        _encode_error(body),
        status_code=status,
        headers=all_headers,
        media_type="application/json",
    )


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


def bad_request(fa: str, en: str, fields: Mapping[str, Message] | None = None) -> ApiError:
    return ApiError(400, ErrorCode.BAD_REQUEST, fa, en, fields)


def invalid(fields: Mapping[str, Message]) -> ApiError:
    return ApiError(
        422,
        ErrorCode.INVALID,
        "برخی مقادیر درخواست نادرست است.",
        "Some values in the request are not valid.",
        fields,
    )


def not_found(fa: str, en: str) -> ApiError:
    return ApiError(404, ErrorCode.NOT_FOUND, fa, en)


# FastAPI still checks query and path parameters (pydantic); its few error kinds in words.
_PARAMETER_REASONS: dict[str, Message] = {
    "missing": R_REQUIRED,
    "int_type": Message("باید عدد صحیح باشد.", "must be an integer."),
    "int_parsing": Message("باید عدد صحیح باشد.", "must be an integer."),
    "greater_than_equal": Message("مقدار کوچک‌تر از حد مجاز است.", "is below the minimum."),
    "less_than_equal": Message("مقدار بزرگ‌تر از حد مجاز است.", "is above the maximum."),
    "string_too_short": Message("متن کوتاه‌تر از حد مجاز است.", "is too short."),
    "string_too_long": Message("متن بلندتر از حد مجاز است.", "is too long."),
    "string_pattern_mismatch": Message("قالب مقدار درست نیست.", "does not have the right form."),
}
_GENERIC_REASON = Message("مقدار نادرست است.", "is not valid.")


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    # FastAPI prefixes where the value came from; the client thinks in field names.
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_error(exc: RequestValidationError) -> ApiError:
    fields: dict[str, Message] = {}
    for error in exc.errors():
        path = _field_path(tuple(error.get("loc", ())))
        fields.setdefault(path, _PARAMETER_REASONS.get(str(error.get("type")), _GENERIC_REASON))
    return invalid(fields)


def install_error_handlers(app: FastAPI) -> None:
    from fastapi.exceptions import RequestValidationError
    from sqlalchemy.exc import OperationalError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.body, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_request: Request, exc: RequestValidationError) -> Response:
        error = _validation_error(exc)
        return error_response(error.status, error.body)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        code = {401: ErrorCode.UNAUTHORIZED, 404: ErrorCode.NOT_FOUND}.get(
            exc.status_code, ErrorCode.BAD_REQUEST
        )
        body = ErrorBody(
            error=str(code),
            message_fa="درخواست پذیرفته نشد.",
            message_en=str(exc.detail)[:200],
        )
        return error_response(exc.status_code, body, exc.headers)

    @app.exception_handler(OperationalError)
    async def _database_unavailable(request: Request, exc: OperationalError) -> Response:
        # Locked too long, connection lost, server restarting: the client backs off and
        # retries; nothing of the call was committed. (Parameters are never in the text:
        # the engines are made with hide_parameters.)
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        body = ErrorBody(
            error=str(ErrorCode.UNAVAILABLE),
            message_fa="سرور موقتاً در دسترس نیست؛ کمی بعد دوباره تلاش می‌شود.",
            message_en="The server is temporarily unavailable; it will be retried shortly.",
        )
        return error_response(503, body, {"Retry-After": str(RETRY_AFTER_UNAVAILABLE)})

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        body = ErrorBody(
            error=str(ErrorCode.INTERNAL),
            message_fa="خطای داخلی سرور؛ بعداً دوباره تلاش کنید.",
            message_en="Internal server error; try again later.",
        )
        return error_response(500, body)
