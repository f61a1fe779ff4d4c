"""The exception taxonomy the whole program shares.

Three kinds, as in Electrum and qutebrowser: a *user-facing* error carries a
message for the clerk in Persian and English and is shown as is; *cancelled*
is silent; anything else is a bug, logged with its trace and shown in the
crash dialog. Environment problems (disk full, database locked, newer schema)
are user-facing: the clerk or the office IT can act on them, they are not bugs.
"""

from __future__ import annotations

from desktop.messages import Message


class UserFacingError(Exception):
    """An error whose message is meant for the clerk, in their language."""

    def __init__(self, message: Message, *, detail: str = "") -> None:
        super().__init__(message.en if not detail else f"{message.en} ({detail})")
        self.message = message
        self.detail = detail


class Cancelled(Exception):
    """The user cancelled; nothing to report."""


class DiskFullError(UserFacingError):
    def __init__(self, detail: str = "") -> None:
        super().__init__(
            Message(
                fa="دیسک این رایانه پر است؛ درخواست ذخیره نشد و چیزی نیمه‌کاره نوشته نشد. "
                "لطفاً فضای دیسک را آزاد کنید و دوباره ذخیره کنید.",
                en="The disk of this PC is full; the request was not saved and nothing was "
                "half-written. Free some disk space and save again.",
            ),
            detail=detail,
        )


class DatabaseBusyError(UserFacingError):
    def __init__(self, detail: str = "") -> None:
        super().__init__(
            Message(
                fa="پایگاه داده در دست برنامهٔ دیگری است؛ چند لحظه بعد دوباره تلاش کنید.",
                en="The database is busy in another program; try again in a moment.",
            ),
            detail=detail,
        )


class SchemaTooNewError(UserFacingError):
    def __init__(self, found: str) -> None:
        super().__init__(
            Message(
                fa=f"این پایگاه داده را نسخهٔ جدیدتری از پیشخوان ساخته است ({found}). "
                "برنامه را به‌روز کنید؛ پایگاه داده دست‌نخورده ماند.",
                en=f"This database was made by a newer Pishkhan ({found}). Update the program; "
                "the database was left untouched.",
            ),
            detail=found,
        )


class NotFoundError(UserFacingError):
    pass


class PermissionDeniedError(UserFacingError):
    pass
