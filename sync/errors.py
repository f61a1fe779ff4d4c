"""The failures of a sync call, as the engine acts on them (see ``sync.client``).

Each carries a message fit for the clerk's screen in Persian and English; ``status`` is the
HTTP status when there was an answer. ``sync.client`` re-exports them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.protocol import Message


class SyncError(Exception):
    """A failed call. ``message_fa``/``message_en`` are fit for the clerk's screen."""

    code: str = "sync_error"
    message_fa: str = "ارتباط با سرور مرکزی ناموفق بود."
    message_en: str = "The exchange with the central server failed."

    def __init__(
        self,
        detail: str = "",
        *,
        status: int | None = None,
        code: str | None = None,
        message_fa: str | None = None,
        message_en: str | None = None,
    ) -> None:
        super().__init__(detail or self.message_en)
        self.detail = detail
        self.status = status
        if code:
            self.code = code
        if message_fa:
            self.message_fa = message_fa
        if message_en:
            self.message_en = message_en


class NetworkError(SyncError):
    """No usable answer: connection refused, reset, cut short, timed out, TLS failure."""

    code = "network"
    message_fa = "سرور مرکزی در دسترس نیست؛ درخواست‌ها در صف می‌مانند و خودکار فرستاده می‌شوند."
    message_en = (
        "The central server cannot be reached; requests stay queued and are sent automatically."
    )

    def __init__(self, detail: str = "", *, timeout: bool = False, **kw: Any) -> None:
        super().__init__(detail, **kw)
        self.timeout = timeout


class ServerBusy(SyncError):
    """5xx, 429, or an answer that is not the protocol's: try later (``retry_after`` if given)."""

    code = "server_busy"
    message_fa = "سرور مرکزی فعلاً پاسخ نمی‌دهد؛ کمی بعد دوباره تلاش می‌شود."
    message_en = "The central server is not answering right now; it will be tried again shortly."

    def __init__(self, detail: str = "", *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(detail, **kw)
        self.retry_after = retry_after


class InvalidResponse(ServerBusy):
    """A 2xx answer whose body is not what the protocol promises (a captive portal, a bug)."""

    code = "invalid_response"
    message_fa = "پاسخ سرور مرکزی قابل فهم نبود؛ کمی بعد دوباره تلاش می‌شود."
    message_en = "The central server's answer could not be understood; it will be tried again."


class Unauthorized(SyncError):
    """401 (token unknown or revoked) or 403: this PC must be enrolled again."""

    code = "unauthorized"
    message_fa = "دسترسی این رایانه به سرور مرکزی لغو شده است؛ آن را دوباره ثبت کنید."
    message_en = "This PC's access to the central server was revoked; enrol it again."


class NotEnrolled(Unauthorized):
    """No device token on this PC: nothing was sent."""

    code = "not_enrolled"
    message_fa = "این رایانه هنوز در سرور مرکزی ثبت نشده است."
    message_en = "This PC is not enrolled with the central server yet."


class PayloadTooLarge(SyncError):
    """413: the body (or the number of items) is past the server's limit."""

    code = "too_large"
    message_fa = "حجم ارسال بیش از حد مجاز سرور بود."
    message_en = "The upload was larger than the server accepts."


class BadRequest(SyncError):
    """Any other 4xx. ``fields`` maps a field path (``items.3.seq``) to a readable reason."""

    code = "bad_request"
    message_fa = "سرور مرکزی این درخواست را نپذیرفت."
    message_en = "The central server refused this request."

    def __init__(
        self, detail: str = "", *, fields: Mapping[str, Message] | None = None, **kw: Any
    ) -> None:
        super().__init__(detail, **kw)
        self.fields: dict[str, Message] = dict(fields or {})

    def item_indexes(self) -> set[int]:
        """Which pushed items (by position) the reasons name, from paths like ``items.3.x``."""
        found: set[int] = set()
        for path in self.fields:
            parts = path.split(".")
            if len(parts) >= 2 and parts[0] == "items" and parts[1].isdigit():
                found.add(int(parts[1]))
        return found

    @property
    def about_content(self) -> bool:
        """400/422 (or a body we could not encode): something in what was sent is wrong.

        Other 4xx (404, 405, 409, 415) say the address or the program is wrong, not an item.
        """
        return self.status in (0, 400, 422)
