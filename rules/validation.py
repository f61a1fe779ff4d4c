"""Checkers for one field each: raw text in, canonical stored value out, or a FieldError.

Every checker normalises first (see rules.normalize), so Persian and Arabic digits, Arabic
letters and pasted direction marks are all accepted. The identifier rules are the published
ones (national code check digit, ISO 13616 mod-97 for Sheba, Luhn for cards); the counter
form and the central server run exactly these functions, so they never disagree.

An empty input raises `FieldError(REQUIRED)` in every checker except `check_text(required=False)`;
whether an empty field is allowed at all is the form's decision (rules.catalog).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable

import jdatetime

from rules import messages as m
from rules.messages import Message
from rules.normalize import (
    has_control_characters,
    normalize_identifier,
    normalize_letters,
    strip_invisible,
    to_ascii_digits,
)

# Years a counter ever needs: births of living people up to near-future appointments.
# Outside it a date is a typo (0403, 14030) rather than a date.
JALALI_YEAR_MIN = 1200
JALALI_YEAR_MAX = 1499
# Money is stored as a 64-bit integer; anything near that is a typo, not a fee.
MONEY_MAX = 10**15


class FieldError(ValueError):
    """One field's value is not acceptable; `.message` says why, for the clerk."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.en)
        self.message = message


def _digits_only(s: str) -> bool:
    return s.isascii() and s.isdigit()


def _all_same(s: str) -> bool:
    return len(set(s)) == 1


def _require(s: str) -> None:
    if not s:
        raise FieldError(m.REQUIRED)


# --- National code ------------------------------------------------------------------------


def national_code_is_valid(code: str) -> bool:
    """The check digit rule alone, on exactly ten ASCII digits."""
    if len(code) != 10 or not _digits_only(code):
        return False
    total = sum(int(code[i]) * (10 - i) for i in range(9)) % 11
    check = int(code[9])
    return check == total if total < 2 else check == 11 - total


def check_national_code(s: str) -> str:
    """A national code (کد ملی) as its ten canonical digits.

    Eight or nine digits are left-padded with zeros (leading zeros are often dropped by
    spreadsheets and by people); all-same digits are rejected though the check digit fits
    them; the check digit: s = Σ d[i]·(10−i) for i in 0..8 mod 11, valid iff d[9] = s when
    s < 2, else d[9] = 11 − s.
    """
    code = normalize_identifier(s)
    _require(code)
    if not _digits_only(code):
        raise FieldError(m.DIGITS_ONLY)
    if not 8 <= len(code) <= 10:
        raise FieldError(m.NATIONAL_CODE_LENGTH)
    code = code.zfill(10)
    if _all_same(code):
        raise FieldError(m.REPEATED_DIGITS)
    if not national_code_is_valid(code):
        raise FieldError(m.NATIONAL_CODE_CHECKSUM)
    return code


# --- Mobile -------------------------------------------------------------------------------


def normalize_mobile(s: str) -> str:
    """An Iranian mobile number as "09xxxxxxxxx".

    Accepted: +989121234567, 00989121234567, 989121234567, 09121234567, 9121234567, also with
    the common slip of a 0 after the country code (+98 0912...), spaces, dashes, parentheses.
    """
    number = normalize_identifier(s).replace("(", "").replace(")", "")
    _require(number)
    if number.startswith("+"):
        number = number[1:]
    if not _digits_only(number):
        raise FieldError(m.DIGITS_ONLY)
    if number.startswith("0098"):
        number = number[4:]
    elif number.startswith("98") and len(number) in (12, 13):
        number = number[2:]
    if not number.startswith("0"):
        number = "0" + number
    if len(number) != 11 or not number.startswith("09"):
        raise FieldError(m.MOBILE_INVALID)
    return number


# --- Postal code --------------------------------------------------------------------------


def check_postal_code(s: str) -> str:
    """A ten-digit Iranian postal code (کد پستی), dashes and spaces dropped (12345-67890).

    Rule implemented: exactly ten digits; the first five digits contain no 0 and no 2 (Iran
    Post leaves them out there because handwritten they are taken for 5 and 3); the fifth
    digit is not 5; ten identical digits are rejected. The last five digits are not restricted:
    published sources disagree about a 2 there, and rejecting a real code would keep a citizen
    from being served, which costs more than letting one typo through.
    """
    code = normalize_identifier(s)
    _require(code)
    if not _digits_only(code):
        raise FieldError(m.DIGITS_ONLY)
    if len(code) != 10:
        raise FieldError(m.POSTAL_CODE_LENGTH)
    if _all_same(code):
        raise FieldError(m.REPEATED_DIGITS)
    if set(code[:5]) & {"0", "2"} or code[4] == "5":
        raise FieldError(m.POSTAL_CODE_INVALID)
    return code


# --- Sheba and bank card ------------------------------------------------------------------


def iban_mod97(iban: str) -> int:
    """ISO 13616 remainder: first four characters moved to the end, letters as 10..35, mod 97.

    A valid IBAN gives 1. `iban` must be upper-case letters and ASCII digits.
    """
    rearranged = iban[4:] + iban[:4]
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(numeric) % 97


def check_sheba(s: str) -> str:
    """A Sheba number (Iranian IBAN) as "IR" + 24 digits.

    Lower case, spaces, dashes, Persian digits and a missing "IR" (when exactly 24 digits are
    given) are accepted; the ISO 13616 mod-97 check must give 1.
    """
    sheba = normalize_identifier(s).upper()
    _require(sheba)
    if _digits_only(sheba) and len(sheba) == 24:
        sheba = "IR" + sheba
    if not (sheba.startswith("IR") and len(sheba) == 26 and _digits_only(sheba[2:])):
        raise FieldError(m.SHEBA_FORMAT)
    if iban_mod97(sheba) != 1:
        raise FieldError(m.SHEBA_CHECKSUM)
    return sheba


def luhn_is_valid(number: str) -> bool:
    """The Luhn check on a string of ASCII digits."""
    total = 0
    for position, ch in enumerate(reversed(number)):
        digit = int(ch)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def check_bank_card(s: str) -> str:
    """A bank card number (شماره کارت) as 16 digits, Luhn-valid, not all the same digit."""
    card = normalize_identifier(s)
    _require(card)
    if not _digits_only(card):
        raise FieldError(m.DIGITS_ONLY)
    if len(card) != 16:
        raise FieldError(m.BANK_CARD_LENGTH)
    if _all_same(card):
        raise FieldError(m.REPEATED_DIGITS)
    if not luhn_is_valid(card):
        raise FieldError(m.BANK_CARD_CHECKSUM)
    return card


# --- Jalali dates -------------------------------------------------------------------------

_JALALI_DATE = re.compile(r"(\d{4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})", re.ASCII)
_JALALI_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)


def format_jalali(date: dt.date) -> str:
    """A Gregorian date as its Jalali "yyyy/mm/dd" with ASCII digits, e.g. "1403/05/12"."""
    j = jdatetime.date.fromgregorian(date=date)
    return f"{j.year:04d}/{j.month:02d}/{j.day:02d}"


@functools.lru_cache(maxsize=512)
def _days_in_jalali_month(year: int, month: int) -> int:
    if month == 12:
        return 30 if jdatetime.date(year, 1, 1).isleap() else 29
    return int(jdatetime.j_days_in_month[month - 1])


# A jdatetime date costs several microseconds to make (it looks up the locale); the
# server checks every date of every pushed item, and birth dates repeat a lot.
@functools.lru_cache(maxsize=8192)
def _jalali_to_gregorian(year: int, month: int, day: int) -> dt.date:
    return jdatetime.date(year, month, day).togregorian()


def parse_jalali_date(
    s: str,
    *,
    not_after: dt.date | None = None,
    not_before: dt.date | None = None,
) -> tuple[dt.date, str]:
    """A Jalali date typed by the clerk as (Gregorian date, canonical "1403/05/12").

    Accepted: "1403/05/12", "1403-5-12", "1403.5.12", "14030512", either digit set.
    Leap years (30 Esfand) follow jdatetime. `not_after`/`not_before` are Gregorian limits,
    inclusive.
    """
    text = strip_invisible(to_ascii_digits(s)).strip()
    _require(text)
    match = _JALALI_DATE.fullmatch(text) or _JALALI_COMPACT.fullmatch(text)
    if match is None:
        raise FieldError(m.DATE_FORMAT)
    year, month, day = (int(part) for part in match.groups())
    if not JALALI_YEAR_MIN <= year <= JALALI_YEAR_MAX:
        low, high = str(JALALI_YEAR_MIN), str(JALALI_YEAR_MAX)
        raise FieldError(m.DATE_YEAR_RANGE.format(low=low, high=high))
    if not 1 <= month <= 12:
        raise FieldError(m.DATE_MONTH_RANGE)
    days = _days_in_jalali_month(year, month)
    if not 1 <= day <= days:
        raise FieldError(
            m.DATE_NO_SUCH_DAY.format(month=m.JALALI_MONTHS[month - 1], year=str(year), days=days)
        )
    date = _jalali_to_gregorian(year, month, day)
    if not_after is not None and date > not_after:
        raise FieldError(m.DATE_TOO_LATE.format(limit=format_jalali(not_after)))
    if not_before is not None and date < not_before:
        raise FieldError(m.DATE_TOO_EARLY.format(limit=format_jalali(not_before)))
    return date, f"{year:04d}/{month:02d}/{day:02d}"


# --- Numbers, money, text, choices ----------------------------------------------------------

# Thousands separators clerks type: Arabic thousands separator, comma, Arabic comma, apostrophe.
_SEPARATORS = "٬,،'"
_GROUPED = re.compile(r"\d{1,3}(?:[" + _SEPARATORS + r"]\d{3})+", re.ASCII)
_MINUS = "-\u2212\u2010\u2011\u2012\u2013"


def _parse_integer(s: str, invalid: Message) -> int:
    """An integer typed with either digit set and optional, correctly placed separators.

    Separators must group by three ("1,250,000"), so a slip such as "12,50" is refused rather
    than read as 1250.
    """
    text = strip_invisible(to_ascii_digits(s))
    text = re.sub(r"\s+", "", text)
    _require(text)
    negative = text[0] in _MINUS
    body = text[1:] if negative else text
    if _GROUPED.fullmatch(body):
        body = re.sub("[" + _SEPARATORS + "]", "", body)
    if not body or not _digits_only(body):
        raise FieldError(invalid)
    value = int(body)
    return -value if negative else value


def check_number(s: str, min_value: int | None = None, max_value: int | None = None) -> int:
    """An integer within [min_value, max_value] (inclusive; None = unbounded)."""
    value = _parse_integer(s, m.NOT_AN_INTEGER)
    if min_value is not None and value < min_value:
        raise FieldError(m.NUMBER_TOO_SMALL.format(low=min_value))
    if max_value is not None and value > max_value:
        raise FieldError(m.NUMBER_TOO_LARGE.format(high=max_value))
    return value


def check_money(s: str) -> int:
    """An amount in rials: a non-negative integer below MONEY_MAX, separators allowed."""
    value = _parse_integer(s, m.MONEY_INVALID)
    if value < 0:
        raise FieldError(m.MONEY_NEGATIVE)
    if value >= MONEY_MAX:
        raise FieldError(m.MONEY_TOO_LARGE)
    return value


def check_text(s: str, max_length: int, required: bool) -> str:
    """Free text with normalised letters (digits kept as typed); "" when empty and optional.

    The length is counted after normalisation, in characters, as the clerk sees them.
    """
    text = normalize_letters(s)
    if not text:
        if required:
            raise FieldError(m.REQUIRED)
        return ""
    if not text.isprintable() and has_control_characters(text):
        raise FieldError(m.CONTROL_CHARACTERS)
    if len(text) > max_length:
        raise FieldError(m.TEXT_TOO_LONG.format(length=len(text), max_length=max_length))
    return text


def check_choice(value: str, allowed: Iterable[str]) -> str:
    """One of the allowed choice values, compared after trimming spaces."""
    choice = value.strip()
    _require(choice)
    if choice not in (allowed if isinstance(allowed, (set, frozenset)) else set(allowed)):
        raise FieldError(m.CHOICE_NOT_ALLOWED)
    return choice
