"""Field checkers: identifiers by their published algorithms, dates, numbers, text, messages.

Known-good identifiers are confirmed by small independent implementations written here
(differently from rules.validation), and generators built on them feed property tests.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rules import messages as m
from rules.messages import Message
from rules.normalize import to_persian_digits
from rules.validation import (
    FieldError,
    check_bank_card,
    check_choice,
    check_money,
    check_national_code,
    check_number,
    check_postal_code,
    check_sheba,
    check_text,
    format_jalali,
    normalize_mobile,
    parse_jalali_date,
)

CORE = settings(database=None, deadline=None)


# --- Independent reference implementations -----------------------------------------------


def ref_national_code_ok(code: str) -> bool:
    weights = [10, 9, 8, 7, 6, 5, 4, 3, 2]
    remainder = sum(w * int(d) for w, d in zip(weights, code[:9], strict=True)) % 11
    expected = remainder if remainder < 2 else 11 - remainder
    return int(code[9]) == expected


def ref_national_code_check_digit(first_nine: str) -> str:
    for check in "0123456789":
        if ref_national_code_ok(first_nine + check):
            return check
    raise AssertionError("every nine digits have exactly one check digit")


def ref_luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number]
    odd = digits[-1::-2]
    even = [sum(divmod(2 * d, 10)) for d in digits[-2::-2]]
    return (sum(odd) + sum(even)) % 10 == 0


def ref_luhn_complete(first_fifteen: str) -> str:
    return next(first_fifteen + c for c in "0123456789" if ref_luhn_ok(first_fifteen + c))


def ref_sheba_from_bban(bban: str) -> str:
    # ISO 13616: check digits = 98 - (BBAN + "IR" as 1827 + "00") mod 97, computed piecewise.
    remainder = 0
    for ch in bban + "182700":
        remainder = (remainder * 10 + int(ch)) % 97
    return f"IR{98 - remainder:02d}{bban}"


def error_of(call: object, *args: object, **kwargs: object) -> Message:
    with pytest.raises(FieldError) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    return info.value.message


# --- National code ------------------------------------------------------------------------

GOOD_NATIONAL_CODES = ["0499370899", "0013542419", "0084575948", "4608968882", "2110990147"]


@pytest.mark.parametrize("code", GOOD_NATIONAL_CODES)
def test_known_good_national_codes(code: str) -> None:
    assert ref_national_code_ok(code), "the example itself must be right"
    assert check_national_code(code) == code


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("۰۴۹۹۳۷۰۸۹۹", "0499370899"),
        ("٠٤٩٩٣٧٠٨٩٩", "0499370899"),
        ("\u200f۰۴۹۹۳۷۰۸۹۹\u200e", "0499370899"),
        ("049-937089-9", "0499370899"),
        (" 0499 370 899 ", "0499370899"),
        ("499370899", "0499370899"),  # nine digits: one leading zero was dropped
        ("13542419", "0013542419"),  # eight digits: two
        ("۱۳۵۴۲۴۱۹", "0013542419"),
    ],
)
def test_national_code_normalised_and_padded(typed: str, code: str) -> None:
    assert check_national_code(typed) == code


@pytest.mark.parametrize("digit", "0123456789")
def test_all_same_digits_rejected(digit: str) -> None:
    # 1111111111 and several others even satisfy the check digit; they are still not codes.
    assert error_of(check_national_code, digit * 10) == m.REPEATED_DIGITS


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0499370898", m.NATIONAL_CODE_CHECKSUM),
        ("1234567890", m.NATIONAL_CODE_CHECKSUM),
        ("3542419", m.NATIONAL_CODE_LENGTH),  # seven digits: too few to pad
        ("04993708990", m.NATIONAL_CODE_LENGTH),  # eleven
        ("04993708a9", m.DIGITS_ONLY),
        ("", m.REQUIRED),
        ("\u200e \u200f", m.REQUIRED),
        ("00000000", m.REPEATED_DIGITS),  # pads to ten zeros
    ],
)
def test_bad_national_codes(typed: str, message: Message) -> None:
    assert error_of(check_national_code, typed) == message


@CORE
@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_generated_national_codes(first_nine: str) -> None:
    code = first_nine + ref_national_code_check_digit(first_nine)
    assume(len(set(code)) > 1)
    assert check_national_code(code) == code
    assert check_national_code(to_persian_digits(code)) == code
    for wrong in set("0123456789") - {code[9]}:
        with pytest.raises(FieldError):
            check_national_code(code[:9] + wrong)


# --- Mobile -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "+989121234567",
        "00989121234567",
        "989121234567",
        "09121234567",
        "9121234567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
        "+98 912 123 4567",
        "0912-123-4567",
        "(0912) 123 4567",
        "+98 0912 123 4567",  # the 0 people add after the country code
        "\u200e+989121234567",
    ],
)
def test_mobile_forms(typed: str) -> None:
    assert normalize_mobile(typed) == "09121234567"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("02112345678", m.MOBILE_INVALID),  # a Tehran landline
        ("0912123456", m.MOBILE_INVALID),  # ten digits
        ("091212345678", m.MOBILE_INVALID),  # twelve
        ("+14155550123", m.MOBILE_INVALID),
        ("0912abc4567", m.DIGITS_ONLY),
        ("", m.REQUIRED),
    ],
)
def test_bad_mobiles(typed: str, message: Message) -> None:
    assert error_of(normalize_mobile, typed) == message


# --- Postal code --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("1345678912", "1345678912"),
        ("13456-78901", "1345678901"),
        ("۱۳۴۵۶-۷۸۹۰۱", "1345678901"),
        ("13456 78901", "1345678901"),
        ("9876412345", "9876412345"),  # 0 and 2 are allowed in the last five digits
    ],
)
def test_good_postal_codes(typed: str, code: str) -> None:
    assert check_postal_code(typed) == code


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1034567891", m.POSTAL_CODE_INVALID),  # 0 in the first five
        ("1324567891", m.POSTAL_CODE_INVALID),  # 2 in the first five
        ("1346578912", m.POSTAL_CODE_INVALID),  # fifth digit 5
        ("3333333333", m.REPEATED_DIGITS),
        ("134567891", m.POSTAL_CODE_LENGTH),
        ("13456789123", m.POSTAL_CODE_LENGTH),
        ("13456a8912", m.DIGITS_ONLY),
    ],
)
def test_bad_postal_codes(typed: str, message: Message) -> None:
    assert error_of(check_postal_code, typed) == message


# --- Sheba --------------------------------------------------------------------------------

GOOD_SHEBAS = [
    "IR062960000000100324200001",
    "IR820540102680020817909002",
    "IR550570022080013447370101",
]


@pytest.mark.parametrize("sheba", GOOD_SHEBAS)
def test_known_good_shebas(sheba: str) -> None:
    assert ref_sheba_from_bban(sheba[4:]) == sheba, "the example itself must be right"
    assert check_sheba(sheba) == sheba


@pytest.mark.parametrize(
    "typed",
    [
        "ir062960000000100324200001",
        "IR06 2960 0000 0010 0324 2000 01",
        "IR۰۶۲۹۶۰۰۰۰۰۰۰۱۰۰۳۲۴۲۰۰۰۰۱",
        "062960000000100324200001",  # 24 digits without IR
        "۰۶-۲۹۶۰-۰۰۰۰-۰۰۱۰-۰۳۲۴-۲۰۰۰-۰۱",
        "\u202aIR062960000000100324200001\u202c",
    ],
)
def test_sheba_forms(typed: str) -> None:
    assert check_sheba(typed) == "IR062960000000100324200001"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("IR062960000000100324200002", m.SHEBA_CHECKSUM),  # last digit changed
        ("IR072960000000100324200001", m.SHEBA_CHECKSUM),  # check digits changed
        ("IR062960000000100342200001", m.SHEBA_CHECKSUM),  # two digits swapped
        ("DE89370400440532013000", m.SHEBA_FORMAT),  # a valid German IBAN
        ("IR06296000000010032420000", m.SHEBA_FORMAT),  # 23 digits
        ("2960000000100324200001", m.SHEBA_FORMAT),
        ("", m.REQUIRED),
    ],
)
def test_bad_shebas(typed: str, message: Message) -> None:
    assert error_of(check_sheba, typed) == message


@CORE
@given(
    st.text(alphabet="0123456789", min_size=22, max_size=22),
    st.integers(min_value=2, max_value=25),
    st.integers(min_value=1, max_value=9),
)
def test_any_one_digit_change_breaks_a_sheba(bban: str, position: int, delta: int) -> None:
    sheba = ref_sheba_from_bban(bban)
    assert check_sheba(sheba) == sheba
    changed_digit = str((int(sheba[position]) + delta) % 10)
    broken = sheba[:position] + changed_digit + sheba[position + 1 :]
    assert error_of(check_sheba, broken) == m.SHEBA_CHECKSUM


# --- Bank card ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "card"),
    [
        ("4111111111111111", "4111111111111111"),
        ("6037 9975 9999 9993", "6037997599999993"),
        ("۶۰۳۷-۹۹۷۵-۹۹۹۹-۹۹۹۳", "6037997599999993"),
    ],
)
def test_good_cards(typed: str, card: str) -> None:
    assert ref_luhn_ok(card), "the example itself must be right"
    assert check_bank_card(typed) == card


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("6037997599999990", m.BANK_CARD_CHECKSUM),
        ("4111111111111112", m.BANK_CARD_CHECKSUM),
        ("411111111111111", m.BANK_CARD_LENGTH),
        ("41111111111111111", m.BANK_CARD_LENGTH),
        ("0000000000000000", m.REPEATED_DIGITS),  # Luhn-valid, still not a card
        ("6037x97599999996", m.DIGITS_ONLY),
    ],
)
def test_bad_cards(typed: str, message: Message) -> None:
    assert error_of(check_bank_card, typed) == message


@CORE
@given(
    st.text(alphabet="0123456789", min_size=15, max_size=15),
    st.integers(min_value=0, max_value=15),
    st.integers(min_value=1, max_value=9),
)
def test_luhn_catches_every_single_digit_error(prefix: str, position: int, delta: int) -> None:
    card = ref_luhn_complete(prefix)
    assume(len(set(card)) > 1)
    assert check_bank_card(card) == card
    broken = card[:position] + str((int(card[position]) + delta) % 10) + card[position + 1 :]
    assume(len(set(broken)) > 1)
    assert error_of(check_bank_card, broken) == m.BANK_CARD_CHECKSUM


# --- Jalali dates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "1403/05/12",
        "1403-5-12",
        "1403.5.12",
        "1403 / 05 / 12",
        "14030512",
        "۱۴۰۳/۰۵/۱۲",
        "١٤٠٣/٠٥/١٢",
        "\u200f۱۴۰۳/۰۵/۱۲\u200f",
    ],
)
def test_jalali_forms(typed: str) -> None:
    # 1 Farvardin 1403 = 20 March 2024; four 31-day months and 11 days later: 2 August.
    assert parse_jalali_date(typed) == (dt.date(2024, 8, 2), "1403/05/12")


def test_esfand_30_only_in_leap_years() -> None:
    assert parse_jalali_date("1403/12/30") == (dt.date(2025, 3, 20), "1403/12/30")
    assert parse_jalali_date("1399/12/30") == (dt.date(2021, 3, 20), "1399/12/30")
    message = error_of(parse_jalali_date, "1404/12/30")
    assert message == m.DATE_NO_SUCH_DAY.format(month=m.JALALI_MONTHS[11], year="1404", days=29)
    assert message.fa == "اسفند سال ۱۴۰۴ فقط ۲۹ روز دارد"
    assert message.en == "Esfand 1404 has only 29 days"
    assert error_of(parse_jalali_date, "1403/12/31").en == "Esfand 1403 has only 30 days"


@pytest.mark.parametrize(
    ("typed", "message_en"),
    [
        ("1403/07/31", "Mehr 1403 has only 30 days"),
        ("1403/05/00", "Mordad 1403 has only 31 days"),
        ("1403/13/01", m.DATE_MONTH_RANGE.en),
        ("1403/00/01", m.DATE_MONTH_RANGE.en),
        ("0403/05/12", "The year must be between 1200 and 1499"),
        ("12/05/1403", m.DATE_FORMAT.en),
        ("1403/05", m.DATE_FORMAT.en),
        ("فردا", m.DATE_FORMAT.en),
        ("", m.REQUIRED.en),
    ],
)
def test_bad_jalali_dates(typed: str, message_en: str) -> None:
    assert error_of(parse_jalali_date, typed).en == message_en


def test_date_limits_are_inclusive() -> None:
    today = dt.date(2026, 11, 28)  # 1405/09/07
    assert parse_jalali_date("1405/09/07", not_after=today)[1] == "1405/09/07"
    message = error_of(parse_jalali_date, "1405/09/08", not_after=today)
    assert message.en == "The date must not be after 1405/09/07"
    assert message.fa == "تاریخ نباید بعد از ۱۴۰۵/۰۹/۰۷ باشد"
    assert parse_jalali_date("1405/09/07", not_before=today)[0] == today
    assert error_of(parse_jalali_date, "1405/09/06", not_before=today).en == (
        "The date must not be before 1405/09/07"
    )


@CORE
@given(st.dates(min_value=dt.date(1822, 1, 1), max_value=dt.date(2119, 1, 1)))
def test_format_and_parse_round_trip(date: dt.date) -> None:
    text = format_jalali(date)
    assert parse_jalali_date(text) == (date, text)
    assert parse_jalali_date(to_persian_digits(text)) == (date, text)


# --- Numbers, money, text, choices ----------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("12345", 12345),
        ("۱۲۳۴۵", 12345),
        ("١٢٣٤٥", 12345),
        ("۱۲٬۳۴۵", 12345),
        ("12,345", 12345),
        ("1,234,567", 1234567),
        (" 42 ", 42),
        ("-7", -7),
        ("0", 0),
    ],
)
def test_numbers(typed: str, value: int) -> None:
    assert check_number(typed, -10, 10_000_000) == value


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12,34", m.NOT_AN_INTEGER),  # a misplaced separator is a typo, not 1234
        ("1.5", m.NOT_AN_INTEGER),
        ("۱٫۵", m.NOT_AN_INTEGER),
        ("12a", m.NOT_AN_INTEGER),
        ("-", m.NOT_AN_INTEGER),
        ("", m.REQUIRED),
    ],
)
def test_bad_numbers(typed: str, message: Message) -> None:
    assert error_of(check_number, typed) == message


def test_number_bounds_name_the_limit_in_both_languages() -> None:
    assert check_number("30000", 1, 30000) == 30000
    too_large = error_of(check_number, "30001", 1, 30000)
    assert (too_large.fa, too_large.en) == (
        "عدد نباید بیشتر از ۳۰٬۰۰۰ باشد",
        "The number must be at most 30,000",
    )
    assert error_of(check_number, "0", 1, 30000).en == "The number must be at least 1"


def test_money() -> None:
    assert check_money("۱٬۲۵۰٬۰۰۰") == 1_250_000
    assert check_money("1,250,000") == 1_250_000
    assert check_money("0") == 0
    assert error_of(check_money, "-1") == m.MONEY_NEGATIVE
    assert error_of(check_money, "12.5") == m.MONEY_INVALID
    assert error_of(check_money, "۱۰۰ تومان") == m.MONEY_INVALID
    assert error_of(check_money, "1" + "0" * 15) == m.MONEY_TOO_LARGE


@CORE
@given(st.integers(min_value=0, max_value=10**15 - 1))
def test_money_written_any_way_reads_back(amount: int) -> None:
    assert check_money(str(amount)) == amount
    assert check_money(to_persian_digits(f"{amount:,}".replace(",", "٬"))) == amount


def test_text() -> None:
    assert check_text("  علي  كاظمي ", 50, True) == "علی کاظمی"
    assert check_text("پلاک ۱۲", 50, True) == "پلاک ۱۲"
    assert check_text("   ", 50, False) == ""
    assert error_of(check_text, " ", 50, True) == m.REQUIRED
    message = error_of(check_text, "ا" * 51, 50, True)
    assert message.en == "Too long: 51 characters, at most 50"
    assert message.fa == "متن بیش از اندازه بلند است: ۵۱ نویسه؛ حداکثر ۵۰ نویسه مجاز است"


def test_choice() -> None:
    assert check_choice(" renewal ", ["renewal", "replacement"]) == "renewal"
    assert error_of(check_choice, "other", ["renewal"]) == m.CHOICE_NOT_ALLOWED
    assert error_of(check_choice, "", ["renewal"]) == m.REQUIRED


# --- Messages -----------------------------------------------------------------------------


def test_message_text_and_format() -> None:
    message = Message(fa="{n} مورد: {doc}", en="{n} items: {doc}")
    filled = message.format(n=3, doc=Message(fa="شناسنامه", en="birth certificate"))
    assert filled == Message(fa="۳ مورد: شناسنامه", en="3 items: birth certificate")
    assert filled.text("fa") == "۳ مورد: شناسنامه"
    assert filled.text("en") == "3 items: birth certificate"
    assert message.format(n="x1", doc=Message("x1", "x1")).fa == "x۱ مورد: x1"
    with pytest.raises(ValueError):
        message.text("de")
    assert filled.to_dict() == {"fa": "۳ مورد: شناسنامه", "en": "3 items: birth certificate"}


def test_field_error_carries_its_message() -> None:
    error = FieldError(m.NATIONAL_CODE_CHECKSUM)
    assert isinstance(error, ValueError)
    assert error.message is m.NATIONAL_CODE_CHECKSUM
    assert str(error) == m.NATIONAL_CODE_CHECKSUM.en
