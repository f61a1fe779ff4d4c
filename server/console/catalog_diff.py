"""A readable difference between two service catalogues, for the administrator who is
about to publish one: services added, withdrawn or brought back, and for each service kept,
its title, fees, form fields and documents that changed."""

from __future__ import annotations

from dataclasses import dataclass

from rules.catalog import Catalog, Service
from rules.messages import Message
from rules.normalize import to_persian_digits


@dataclass(frozen=True)
class Change:
    kind: str  # "added", "removed", "changed"
    service: Message  # the service's title
    what: Message


def _fa(number: int) -> str:
    return to_persian_digits(f"{number:,}".replace(",", "٬"))


def _service_changes(old: Service, new: Service) -> list[Change]:
    out: list[Change] = []
    title = new.title

    def changed(fa: str, en: str, kind: str = "changed") -> None:
        out.append(Change(kind, title, Message(fa, en)))

    if old.active != new.active:
        if new.active:
            changed("دوباره فعال شد", "active again", "added")
        else:
            changed(
                "غیرفعال شد (دیگر در فرم باجه نیست)", "withdrawn from the counter form", "removed"
            )
    if old.title != new.title:
        changed(
            f"عنوان: «{old.title.fa}» ← «{new.title.fa}»",
            f"title: {old.title.en!r} → {new.title.en!r}",
        )
    parts = (
        ("government", "هزینهٔ دولتی", "government fee", " ریال", " rials"),
        ("office", "هزینهٔ دفتر", "office fee", " ریال", " rials"),
        ("vat_percent", "مالیات بر ارزش افزوده", "VAT", "٪", "%"),
    )
    for name, fa, en, unit_fa, unit_en in parts:
        before, after = getattr(old.fees, name), getattr(new.fees, name)
        if before != after:
            changed(
                f"{fa}: {_fa(before)} ← {_fa(after)}{unit_fa}",
                f"{en}: {before:,} → {after:,}{unit_en}",
            )
    old_fields = {f.key: f for f in old.fields}
    new_fields = {f.key: f for f in new.fields}
    for key in new_fields.keys() - old_fields.keys():
        f = new_fields[key]
        required = ("لازم", "required") if f.required else ("اختیاری", "optional")
        changed(
            f"خانهٔ تازه: {f.label.fa} ({required[0]})",
            f"new field: {f.label.en} ({required[1]})",
            "added",
        )
    for key in old_fields.keys() - new_fields.keys():
        f = old_fields[key]
        changed(f"خانه حذف شد: {f.label.fa}", f"field removed: {f.label.en}", "removed")
    for key in sorted(old_fields.keys() & new_fields.keys()):
        a, b = old_fields[key], new_fields[key]
        if a.label != b.label:
            changed(
                f"برچسب خانه: «{a.label.fa}» ← «{b.label.fa}»",
                f"field label: {a.label.en!r} → {b.label.en!r}",
            )
        if a.type != b.type:
            changed(
                f"نوع خانهٔ {b.label.fa}: {a.type} ← {b.type}",
                f"type of {b.label.en}: {a.type} → {b.type}",
            )
        if a.required != b.required:
            changed(
                f"خانهٔ {b.label.fa} " + ("لازم شد" if b.required else "اختیاری شد"),
                f"{b.label.en} is now " + ("required" if b.required else "optional"),
            )
        if a != b and (a.label, a.type, a.required) == (b.label, b.type, b.required):
            changed(
                f"قواعد خانهٔ {b.label.fa} تغییر کرد (گزینه‌ها یا حدود)",
                f"rules of {b.label.en} changed (choices or bounds)",
            )
    old_docs = {d.key: d for d in old.documents}
    new_docs = {d.key: d for d in new.documents}
    for key in new_docs.keys() - old_docs.keys():
        changed(
            f"مدرک تازه: {new_docs[key].label.fa}",
            f"new document: {new_docs[key].label.en}",
            "added",
        )
    for key in old_docs.keys() - new_docs.keys():
        changed(
            f"مدرک حذف شد: {old_docs[key].label.fa}",
            f"document removed: {old_docs[key].label.en}",
            "removed",
        )
    return out


def catalog_diff(current: Catalog | None, proposed: Catalog) -> list[Change]:
    """What publishing ``proposed`` changes against ``current`` (None: everything is new)."""
    old = {s.code: s for s in current.services} if current is not None else {}
    out: list[Change] = []
    for service in proposed.services:
        before = old.get(service.code)
        if before is None:
            out.append(Change("added", service.title, Message("خدمت تازه", "new service")))
        else:
            out.extend(_service_changes(before, service))
    new_codes = {s.code for s in proposed.services}
    for code, service in old.items():
        if code not in new_codes:
            out.append(
                Change(
                    "removed",
                    service.title,
                    Message("از فهرست برداشته شد", "dropped from the catalogue"),
                )
            )
    return out
