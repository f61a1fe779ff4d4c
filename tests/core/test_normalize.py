"""Normalisation of typed and pasted input: digits, Arabic letters, invisible marks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.normalize import (
    BIDI_AND_ZERO_WIDTH,
    normalize_identifier,
    normalize_letters,
    normalize_text,
    strip_invisible,
    to_ascii_digits,
    to_persian_digits,
)

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
ZWNJ = "\u200c"

# No example database on disk (cheap to re-explore every run); no deadline on a shared machine.
CORE = settings(database=None, deadline=None)


def test_persian_and_arabic_digits_become_ascii() -> None:
    assert to_ascii_digits(PERSIAN_DIGITS) == "0123456789"
    assert to_ascii_digits(ARABIC_DIGITS) == "0123456789"
    assert to_ascii_digits("کد ۱۲3٤") == "کد 1234"


def test_ascii_and_arabic_digits_become_persian() -> None:
    assert to_persian_digits("0123456789") == PERSIAN_DIGITS
    assert to_persian_digits(ARABIC_DIGITS) == PERSIAN_DIGITS
    assert to_persian_digits("1403/05/12") == "۱۴۰۳/۰۵/۱۲"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("علي", "علی"),  # Arabic yeh
        ("مصطفى", "مصطفی"),  # alef maksura
        ("كاظم", "کاظم"),  # Arabic kaf
        ("فاطمة", "فاطمة"),  # teh marbuta is a letter of its own
        ("محـــمد", "محمد"),  # tatweel
        ("حسن\u00a0رضایی", "حسن رضایی"),  # no-break space
        ("  حسن   رضایی  ", "حسن رضایی"),
        ("خیابان\tآزادی", "خیابان آزادی"),
        ("می" + ZWNJ + "خواهم", "می" + ZWNJ + "خواهم"),  # ZWNJ is spelling: kept
        ("پلاک ۱۲ و 14", "پلاک ۱۲ و 14"),  # digits exactly as typed
        ("خط اول  \r\n  خط دوم", "خط اول\nخط دوم"),
    ],
)
def test_free_text_letters(typed: str, stored: str) -> None:
    assert normalize_letters(typed) == stored
    assert normalize_text(typed) == stored


@pytest.mark.parametrize(
    ("pasted", "identifier"),
    [
        ("۰۰۱۳۵۴۲۴۱۹", "0013542419"),
        ("٠٠١٣٥٤٢٤١٩", "0013542419"),
        ("001-354241-9", "0013542419"),
        ("001.354.241.9", "0013542419"),
        ("0013 5424 19", "0013542419"),
        ("\u200e0013542419\u200f", "0013542419"),  # LRM ... RLM from a web page
        ("\u202b0013542419\u202c", "0013542419"),  # RLE ... PDF
        ("\u20660013542419\u2069", "0013542419"),  # LRI ... PDI
        ("\ufeff0013\u200b542419", "0013542419"),  # BOM, zero-width space
        ("0013\u2013542419", "0013542419"),  # en dash
        ("IR06 2960 0000 0010 0324 2000 01", "IR062960000000100324200001"),
    ],
)
def test_identifier_normalisation(pasted: str, identifier: str) -> None:
    assert normalize_identifier(pasted) == identifier


def test_strip_invisible_keeps_visible_text() -> None:
    assert strip_invisible("\u200fعلی\u200e 12") == "علی 12"


@CORE
@given(st.text())
def test_digit_conversions_round_trip(s: str) -> None:
    assert to_ascii_digits(to_persian_digits(s)) == to_ascii_digits(s)
    assert to_persian_digits(to_ascii_digits(s)) == to_persian_digits(s)
    assert not set(to_ascii_digits(s)) & set(PERSIAN_DIGITS + ARABIC_DIGITS)


@CORE
@given(st.text(alphabet="0123456789"))
def test_ascii_digit_strings_survive_persian_and_back(digits: str) -> None:
    assert to_ascii_digits(to_persian_digits(digits)) == digits


@CORE
@given(st.text(alphabet=st.sampled_from("0123456789۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩ -." + BIDI_AND_ZERO_WIDTH)))
def test_identifier_is_plain_ascii_digits(s: str) -> None:
    out = normalize_identifier(s)
    assert out == "" or (out.isascii() and out.isdigit())
    assert normalize_identifier(out) == out
    # Only noise is removed: the digits keep their number and order.
    assert out == "".join(ch for ch in to_ascii_digits(s) if ch.isdigit())


@CORE
@given(st.text())
def test_letter_normalisation_is_idempotent_and_keeps_zwnj(s: str) -> None:
    once = normalize_letters(s)
    assert normalize_letters(once) == once
    assert not set(once) & set("يىكـ\u00a0")
    assert once.count(ZWNJ) == s.count(ZWNJ)
    assert "  " not in once
