"""Text for the clerk in Persian and English, and the registry of validation messages.

Every message the core shows a person is a `Message(fa, en)`; the UI picks the language.
The constants below are the validation messages shared by the counter form and the central
server (which returns them in a rejected item's `reasons`), so both sides speak the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from persiantools import digits as _digits

Lang = Literal["fa", "en"]


@dataclass(frozen=True)
class Message:
    """One user-facing text in both languages."""

    fa: str
    en: str

    def text(self, lang: str) -> str:
        """The text in `lang` ("fa" or "en"); anything else is a programming error."""
        if lang == "fa":
            return self.fa
        if lang == "en":
            return self.en
        raise ValueError(f"unknown language {lang!r}: expected 'fa' or 'en'")

    def format(self, **values: object) -> Message:
        """A new Message with `{name}` placeholders filled in both languages.

        A value may itself be a `Message`: its `fa` goes into the Persian text and its `en`
        into the English one (a list of document names, a month name). Plain numbers and
        strings appear with Persian digits in the Persian text, because a clerk reading Persian
        reads Persian digits; integers of five digits or more are grouped by thousands.
        To put a string in both texts exactly as given, wrap it: `Message(s, s)`.
        """
        fa_values = {name: _for_lang(value, "fa") for name, value in values.items()}
        en_values = {name: _for_lang(value, "en") for name, value in values.items()}
        return Message(fa=self.fa.format(**fa_values), en=self.en.format(**en_values))

    def to_dict(self) -> dict[str, str]:
        """The wire form used by the protocol's `reasons`: `{"fa": ..., "en": ...}`."""
        return {"fa": self.fa, "en": self.en}

    def __str__(self) -> str:
        return self.en


def _for_lang(value: object, lang: Lang) -> str:
    if isinstance(value, Message):
        return value.text(lang)
    if isinstance(value, bool):  # a bool is an int; never meant as a number in a message
        return str(value)
    if isinstance(value, int):
        if abs(value) >= 10_000:
            grouped = f"{value:,}"
            return _digits.en_to_fa(grouped.replace(",", "٬")) if lang == "fa" else grouped
        return _digits.en_to_fa(str(value)) if lang == "fa" else str(value)
    text = str(value)
    return _digits.en_to_fa(text) if lang == "fa" else text


def join(items: list[Message]) -> Message:
    """Several messages as one comma-separated list, with each language's own comma."""
    return Message(fa="، ".join(m.fa for m in items), en=", ".join(m.en for m in items))


# --- Generic ------------------------------------------------------------------------------

REQUIRED = Message(
    fa="پر کردن این خانه لازم است",
    en="This field is required",
)
DIGITS_ONLY = Message(
    fa="در این خانه فقط رقم وارد کنید",
    en="Enter digits only",
)
INVALID_VALUE = Message(
    fa="مقدار این خانه معتبر نیست",
    en="This value is not valid",
)
REPEATED_DIGITS = Message(
    fa="همهٔ رقم‌ها یکسان است؛ این شماره معتبر نیست",
    en="All the digits are the same; this is not a valid number",
)

# --- National code (کد ملی) ------------------------------------------------------------------

NATIONAL_CODE_LENGTH = Message(
    fa="کد ملی باید ۱۰ رقم باشد",
    en="A national code has 10 digits",
)
NATIONAL_CODE_CHECKSUM = Message(
    fa="کد ملی نامعتبر است: رقم کنترل درست نیست",
    en="Invalid national code: the check digit does not match",
)

# --- Mobile -------------------------------------------------------------------------------

MOBILE_INVALID = Message(
    fa="شمارهٔ همراه باید ۱۱ رقم باشد و با ۰۹ شروع شود (مانند ۰۹۱۲۱۲۳۴۵۶۷)",
    en="A mobile number has 11 digits and starts with 09 (like 09121234567)",
)

# --- Postal code --------------------------------------------------------------------------

POSTAL_CODE_LENGTH = Message(
    fa="کد پستی باید ۱۰ رقم باشد",
    en="A postal code has 10 digits",
)
POSTAL_CODE_INVALID = Message(
    fa="کد پستی نامعتبر است: در پنج رقم اول رقم ۰ و ۲ نمی‌آید و رقم پنجم ۵ نیست",
    en="Invalid postal code: its first five digits never contain 0 or 2, "
    "and its fifth digit is never 5",
)

# --- Sheba (IBAN) and bank card -------------------------------------------------------------

SHEBA_FORMAT = Message(
    fa="شمارهٔ شبا باید با IR شروع شود و ۲۴ رقم داشته باشد",
    en="A Sheba number is IR followed by 24 digits",
)
SHEBA_CHECKSUM = Message(
    fa="شمارهٔ شبا نامعتبر است: رقم‌های کنترل با بقیهٔ شماره نمی‌خواند",
    en="Invalid Sheba number: the check digits do not match the rest of the number",
)
BANK_CARD_LENGTH = Message(
    fa="شمارهٔ کارت بانکی باید ۱۶ رقم باشد",
    en="A bank card number has 16 digits",
)
BANK_CARD_CHECKSUM = Message(
    fa="شمارهٔ کارت بانکی نامعتبر است؛ رقم‌ها را دوباره از روی کارت بخوانید",
    en="Invalid bank card number; read the digits off the card again",
)

# --- Jalali dates -------------------------------------------------------------------------

DATE_FORMAT = Message(
    fa="تاریخ را به شکل سال/ماه/روز وارد کنید، مانند ۱۴۰۳/۰۵/۱۲",
    en="Enter the date as year/month/day, like 1403/05/12",
)
DATE_YEAR_RANGE = Message(
    fa="سال باید بین {low} و {high} باشد",
    en="The year must be between {low} and {high}",
)
DATE_MONTH_RANGE = Message(
    fa="ماه باید عددی از ۱ تا ۱۲ باشد",
    en="The month must be a number from 1 to 12",
)
DATE_NO_SUCH_DAY = Message(
    fa="{month} سال {year} فقط {days} روز دارد",
    en="{month} {year} has only {days} days",
)
DATE_TOO_LATE = Message(
    fa="تاریخ نباید بعد از {limit} باشد",
    en="The date must not be after {limit}",
)
DATE_TOO_EARLY = Message(
    fa="تاریخ نباید پیش از {limit} باشد",
    en="The date must not be before {limit}",
)

JALALI_MONTHS: tuple[Message, ...] = tuple(
    Message(fa=fa, en=en)
    for fa, en in (
        ("فروردین", "Farvardin"),
        ("اردیبهشت", "Ordibehesht"),
        ("خرداد", "Khordad"),
        ("تیر", "Tir"),
        ("مرداد", "Mordad"),
        ("شهریور", "Shahrivar"),
        ("مهر", "Mehr"),
        ("آبان", "Aban"),
        ("آذر", "Azar"),
        ("دی", "Dey"),
        ("بهمن", "Bahman"),
        ("اسفند", "Esfand"),
    )
)

# --- Numbers, money, text, choices ----------------------------------------------------------

NOT_AN_INTEGER = Message(
    fa="یک عدد صحیح وارد کنید (بدون ممیز و حروف)",
    en="Enter a whole number (no decimal point, no letters)",
)
NUMBER_TOO_SMALL = Message(
    fa="عدد نباید کمتر از {low} باشد",
    en="The number must be at least {low}",
)
NUMBER_TOO_LARGE = Message(
    fa="عدد نباید بیشتر از {high} باشد",
    en="The number must be at most {high}",
)
MONEY_INVALID = Message(
    fa="مبلغ را به ریال و فقط با رقم وارد کنید",
    en="Enter the amount in rials, in digits only",
)
MONEY_NEGATIVE = Message(
    fa="مبلغ نمی‌تواند منفی باشد",
    en="The amount cannot be negative",
)
MONEY_TOO_LARGE = Message(
    fa="مبلغ بیش از اندازه بزرگ است؛ آن را دوباره بررسی کنید",
    en="The amount is implausibly large; check it again",
)
TEXT_TOO_LONG = Message(
    fa="متن بیش از اندازه بلند است: {length} نویسه؛ حداکثر {max_length} نویسه مجاز است",
    en="Too long: {length} characters, at most {max_length}",
)
CHOICE_NOT_ALLOWED = Message(
    fa="یکی از گزینه‌های فهرست را انتخاب کنید",
    en="Choose one of the listed options",
)
CONTROL_CHARACTERS = Message(
    fa="این متن نویسهٔ کنترلی نامرئی (مانند NUL یا شکست خط) دارد؛ آن را دوباره تایپ کنید",
    en="This text holds an invisible control character (such as NUL or a line break); "
    "type it again",
)

# --- The whole form -----------------------------------------------------------------------

DOCUMENTS_MISSING = Message(
    fa="این مدارک الزامی علامت نخورده‌اند: {documents}",
    en="These required documents are not checked: {documents}",
)
SCAN_MISSING = Message(
    fa="اسکن «{document}» لازم است؛ آن را به درخواست بیفزایید",
    en="A scan of “{document}” is required; add it to the request",
)
SCAN_TOO_MANY_PAGES = Message(
    fa="اسکن «{document}» {pages} صفحه دارد؛ بیشترین {most} صفحه است",
    en="The scan of “{document}” has {pages} pages; at most {most}",
)
SCAN_NOT_EXPECTED = Message(
    fa="برای «{document}» اسکنی گرفته نمی‌شود",
    en="No scan is taken for “{document}”",
)
UNKNOWN_DOCUMENTS = Message(
    fa="مدارکی علامت خورده‌اند که در این خدمت تعریف نشده‌اند: {keys}",
    en="Documents this service does not define are checked: {keys}",
)
UNKNOWN_FIELDS = Message(
    fa="فرم خانه‌هایی دارد که در این خدمت تعریف نشده‌اند: {keys}",
    en="The form has fields this service does not define: {keys}",
)
FORM_HAS_ERRORS = Message(
    fa="{count} مورد در فرم نیاز به اصلاح دارد",
    en="Entries in the form to correct: {count}",
)
UNKNOWN_SERVICE = Message(
    fa="خدمت «{code}» در فهرست خدمات نیست",
    en="Service '{code}' is not in the service catalogue",
)
CATALOG_INVALID = Message(
    fa="فهرست خدمات معتبر نیست: {reason}",
    en="The service catalogue is not valid: {reason}",
)
