"""The counter's environment errors: user-facing, because the clerk or the office IT can act
on them (disk full, database locked, newer schema); they are not bugs. The taxonomy's base
(``UserFacingError``, ``Cancelled``) is ``rules.errors``, shared with the server.
"""

from __future__ import annotations

from rules.errors import UserFacingError
from rules.messages import Message


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
