"""The counter's environment errors: user-facing, because the clerk or the office IT can act
on them (disk full, database locked, newer schema); they are not bugs. The taxonomy's base
(``UserFacingError``, ``Cancelled``) is ``rules.errors``, shared with the server.
"""

from __future__ import annotations

from rules.errors import UserFacingError
from rules.messages import Message


class DiskFullError(UserFacingError):
    """No room left: SQLite said SQLITE_FULL, or an I/O error with no free space left."""

    def __init__(self, detail: str = "", *, opening: bool = False) -> None:
        super().__init__(_OPEN_FULL if opening else _SAVE_FULL, detail=detail)


_SAVE_FULL = Message(
    fa="دیسک این رایانه پر است؛ درخواست ذخیره نشد و چیزی نیمه‌کاره نوشته نشد. "
    "لطفاً فضای دیسک را آزاد کنید و دوباره ذخیره کنید.",
    en="The disk of this PC is full; the request was not saved and nothing was "
    "half-written. Free some disk space and save again.",
)
# Opening needs a little room too (WAL's shared-memory file): with none the store cannot
# even be read, so say that rather than "not saved" to a command that only reads.
_OPEN_FULL = Message(
    fa="دیسک این رایانه پر است و پیشخوان نمی‌تواند پایگاه داده‌اش را باز کند؛ "
    "داده‌های ذخیره‌شده دست‌نخورده‌اند. لطفاً فضای دیسک را آزاد کنید و دوباره تلاش کنید.",
    en="The disk of this PC is full, so Pishkhan cannot open its database; the saved data "
    "is untouched. Free some disk space and try again.",
)


class DiskIOError(UserFacingError):
    """SQLITE_IOERR with room on the disk: the disk (or its driver) failed a read or write."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            Message(
                fa="خواندن یا نوشتن روی دیسک این رایانه ناموفق بود (دیسک پر نیست)؛ "
                "چیزی نیمه‌کاره نوشته نشد. دیسک را بررسی کنید یا با پشتیبانی تماس بگیرید.",
                en="Reading or writing this PC's disk failed (the disk is not full); nothing "
                "was half-written. Have the disk checked, or call support.",
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
