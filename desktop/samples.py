"""Realistic sample requests: for demo data, the command line's examples, tests and benchmarks.

Every value is valid by the published algorithms (national codes with their
check digit, Luhn card numbers, mod-97 Sheba), so a sample goes through the
real intake path exactly like a clerk's form.
"""

from __future__ import annotations

import random

from desktop.intake import RequestDraft
from rules.catalog import APPLICANT_FIELDS, Field, FieldType, Service

FIRST_NAMES = (
    "علی",
    "محمد",
    "زهرا",
    "فاطمه",
    "حسین",
    "مریم",
    "رضا",
    "سارا",
    "مهدی",
    "نرگس",
    "امیر",
    "الهام",
    "حمید",
    "لیلا",
    "یوسف",
    "کبری",
    "جواد",
    "سمیه",
    "مصطفی",
    "معصومه",
)
LAST_NAMES = (
    "احمدی",
    "محمدی",
    "حسینی",
    "رضایی",
    "کریمی",
    "موسوی",
    "جعفری",
    "قاسمی",
    "صادقی",
    "رحیمی",
    "نوری",
    "یزدانی",
    "کاظمی",
    "شریفی",
    "عباسی",
    "طاهری",
    "بهرامی",
    "زارعی",
)
STREETS = ("خیابان امام", "خیابان آزادی", "بلوار کشاورز", "کوچه لاله", "خیابان ولیعصر")


def national_code(rng: random.Random) -> str:
    while True:
        body = [rng.randrange(10) for _ in range(9)]
        if len(set(body)) == 1:
            continue
        s = sum(d * (10 - i) for i, d in enumerate(body)) % 11
        check = s if s < 2 else 11 - s
        return "".join(map(str, body)) + str(check)


def mobile(rng: random.Random) -> str:
    return (
        "09"
        + rng.choice(("12", "13", "19", "35", "36", "01", "02", "10"))
        + "".join(str(rng.randrange(10)) for _ in range(7))
    )


def postal_code(rng: random.Random) -> str:
    head = "".join(rng.choice("13456789") for _ in range(4)) + rng.choice("1346789")
    return head + "".join(str(rng.randrange(10)) for _ in range(5))


def bank_card(rng: random.Random) -> str:
    digits = [6, 0, 3, 7, 9, 9] + [rng.randrange(10) for _ in range(9)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def sheba(rng: random.Random) -> str:
    bban = "".join(str(rng.randrange(10)) for _ in range(22))
    check = 98 - int(bban + "1827" + "00") % 97  # "IR" → 18 27
    return f"IR{check:02d}{bban}"


def answer_for(field: Field, rng: random.Random) -> str:
    match field.type:
        case FieldType.TEXT:
            limit = field.max_length or 60
            return rng.choice(("نامشخص", "تهران", "کرج", "توضیحات متقاضی", "۱۲ الف"))[:limit]
        case FieldType.NATIONAL_CODE:
            return national_code(rng)
        case FieldType.MOBILE:
            return mobile(rng)
        case FieldType.POSTAL_CODE:
            return postal_code(rng)
        case FieldType.JALALI_DATE:
            return f"{rng.randint(1330, 1385)}/{rng.randint(1, 12):02d}/{rng.randint(1, 29):02d}"
        case FieldType.NUMBER:
            low = field.min_value if field.min_value is not None else 1
            high = field.max_value if field.max_value is not None else low + 100
            return str(rng.randint(low, min(high, low + 100)))
        case FieldType.CHOICE:
            return rng.choice(field.choices).value
        case FieldType.MONEY:
            return str(rng.randrange(1, 500) * 10_000)
        case FieldType.SHEBA:
            return sheba(rng)
        case FieldType.BANK_CARD:
            return bank_card(rng)
    raise AssertionError(field.type)


def sample_draft(service: Service, rng: random.Random) -> RequestDraft:
    """A complete, valid draft for ``service``: every field filled, every document ticked."""
    applicant = {
        "national_code": national_code(rng),
        "first_name": rng.choice(FIRST_NAMES),
        "last_name": rng.choice(LAST_NAMES),
        "mobile": mobile(rng),
        "address": f"{rng.choice(STREETS)}، پلاک {rng.randint(1, 200)}",
    }
    assert {f.key for f in APPLICANT_FIELDS} >= set(applicant)
    answers = {f.key: answer_for(f, rng) for f in service.fields}
    documents = [d.key for d in service.documents]
    card_ref = "".join(str(rng.randrange(10)) for _ in range(12))
    return RequestDraft(service.code, applicant, answers, documents, card_ref)
