"""Why a file handed in as a scan is refused, in Persian and English.

A refusal is user-facing: the documents area shows it as is and nothing is saved.
"""

from __future__ import annotations

from rules.errors import UserFacingError
from rules.messages import Message

NOT_AN_IMAGE = Message(
    fa="این پرونده تصویر یا PDF خوانا نیست؛ آن را دوباره اسکن کنید یا پرونده دیگری بدهید",
    en="This file is not a readable image or PDF; scan it again or choose another file",
)
UNSUPPORTED_FORMAT = Message(
    fa="قالب {format} پذیرفته نیست؛ فقط JPEG، PNG، TIFF یا PDF",
    en="The {format} format is not accepted; only JPEG, PNG, TIFF or PDF",
)
FILE_TOO_LARGE = Message(
    fa="پرونده {size} مگابایت است؛ بیشترین اندازه {limit} مگابایت است",
    en="The file is {size} MB; the largest accepted is {limit} MB",
)
TOO_MANY_PIXELS = Message(
    fa="تصویر بیش از اندازه بزرگ است ({megapixels} مگاپیکسل؛ بیشترین {limit})",
    en="The image is too large ({megapixels} megapixels; at most {limit})",
)
TOO_MANY_PAGES = Message(
    fa="پرونده {pages} صفحه دارد؛ بیشترین تعداد {limit} صفحه است",
    en="The file has {pages} pages; at most {limit} pages are accepted",
)
EMPTY_FILE = Message(
    fa="پرونده خالی است",
    en="The file is empty",
)
PDF_PROTECTED = Message(
    fa="این PDF رمز دارد؛ نسخه بدون رمز را بدهید",
    en="This PDF is password protected; hand in a copy without a password",
)
UNREADABLE_FILE = Message(
    fa="پرونده خوانده نشد ({reason})",
    en="The file could not be read ({reason})",
)


class ScanRefused(UserFacingError):
    """A file that cannot become a scan: the reason is for the clerk, nothing is kept."""
