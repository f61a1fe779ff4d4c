"""The town a national code's first three digits stand for (``rules.issuing_places``)."""

from __future__ import annotations

import pytest

from rules.issuing_places import issuing_place, known_prefixes


@pytest.mark.parametrize(
    ("code", "town"),
    [
        # Provincial centres, as the source table gives them (and public lists agree).
        ("0012345679", "تهران"),
        ("0084575948", "تهران"),
        ("0151234566", "تهران"),  # a Tehran district's office is Tehran
        ("0371234565", "قم"),
        ("0921234562", "مشهد"),
        ("0971234566", "مشهد"),  # "مشهد منطقه۲"
        ("1281234567", "اصفهان"),
        ("1361234563", "تبریز"),
        ("2281234568", "شیراز"),
        ("0499370899", "شهرری"),
        ("۱۳۶۱۲۳۴۵۶۳", "تبریز"),  # either digit set
        ("136-123456-3", "تبریز"),  # as pasted
    ],
)
def test_a_prefix_names_its_town(code: str, town: str) -> None:
    assert issuing_place(code) == town


@pytest.mark.parametrize(
    "code",
    [
        "6151234561",  # the source gives two towns (ابهر, خرمدره): no guess
        "6231234568",
        "4831234567",  # چالوس, and ازنا behind a stray no-break space
        "4711234561",  # issued abroad (امور خارجه): no town
        "9991234561",  # no such office
        "0012345678",  # a wrong check digit: a mistyped code names no town
        "001234567",  # nine digits: not a national code yet
        "",
        "00123456790",
    ],
)
def test_no_town_where_the_table_has_no_single_one(code: str) -> None:
    assert issuing_place(code) is None


def test_the_table_is_whole() -> None:
    # 596 prefixes in the source, less 13 with two towns and 2 issued abroad.
    assert known_prefixes() == 581
    assert issuing_place("4841234561") == "ازنا"
