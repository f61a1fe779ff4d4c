"""Iran's 31 provinces: the code the console stores for an office, and the names it shows."""

from __future__ import annotations

from rules.messages import Message

PROVINCES: dict[str, Message] = {
    "alborz": Message("البرز", "Alborz"),
    "ardabil": Message("اردبیل", "Ardabil"),
    "azarbaijan_east": Message("آذربایجان شرقی", "East Azerbaijan"),
    "azarbaijan_west": Message("آذربایجان غربی", "West Azerbaijan"),
    "bushehr": Message("بوشهر", "Bushehr"),
    "chaharmahal_bakhtiari": Message("چهارمحال و بختیاری", "Chaharmahal and Bakhtiari"),
    "fars": Message("فارس", "Fars"),
    "gilan": Message("گیلان", "Gilan"),
    "golestan": Message("گلستان", "Golestan"),
    "hamadan": Message("همدان", "Hamadan"),
    "hormozgan": Message("هرمزگان", "Hormozgan"),
    "ilam": Message("ایلام", "Ilam"),
    "isfahan": Message("اصفهان", "Isfahan"),
    "kerman": Message("کرمان", "Kerman"),
    "kermanshah": Message("کرمانشاه", "Kermanshah"),
    "khorasan_north": Message("خراسان شمالی", "North Khorasan"),
    "khorasan_razavi": Message("خراسان رضوی", "Razavi Khorasan"),
    "khorasan_south": Message("خراسان جنوبی", "South Khorasan"),
    "khuzestan": Message("خوزستان", "Khuzestan"),
    "kohgiluyeh_boyerahmad": Message("کهگیلویه و بویراحمد", "Kohgiluyeh and Boyer-Ahmad"),
    "kurdistan": Message("کردستان", "Kurdistan"),
    "lorestan": Message("لرستان", "Lorestan"),
    "markazi": Message("مرکزی", "Markazi"),
    "mazandaran": Message("مازندران", "Mazandaran"),
    "qazvin": Message("قزوین", "Qazvin"),
    "qom": Message("قم", "Qom"),
    "semnan": Message("سمنان", "Semnan"),
    "sistan_baluchestan": Message("سیستان و بلوچستان", "Sistan and Baluchestan"),
    "tehran": Message("تهران", "Tehran"),
    "yazd": Message("یزد", "Yazd"),
    "zanjan": Message("زنجان", "Zanjan"),
}
UNKNOWN = Message("بدون استان", "No province")


def province_name(code: str | None) -> Message:
    return PROVINCES.get(code or "", UNKNOWN)
