"""The service catalogue (what the office offers, with its form and fees) and form validation.

The catalogue is a plain JSON document, so the central server can publish it in the change
feed and the counter can keep it as it came. Schema (version 1 of the document format):

    {"version": int >= 1, "published_at": ISO 8601 str,
     "services": [{
       "code": "smart_card", "active": bool (default true),
       "title": Label, "category": Label,
       "fees": {"government": rials, "office": rials, "vat_percent": 0..100},
       "fields": [{"key": str, "label": Label, "type": FieldType, "required": bool,
                   "help": Label (optional),
                   "choices": [{"value": str, "label": Label,
                                "fees": {"government": rials, "office": rials} (optional,
                                        added to the service fees when chosen)}]   (choice only),
                   "min": int, "max": int (number only, each optional),
                   "max_length": int (text only, default 200),
                   "past_only": bool (jalali_date only, default false),
                   "collected": bool (money only, default false: see below)}],
       "documents": [{"key": str, "label": Label, "required": bool,
                      "scan": "required" | "optional" | "none" (default "none"),
                      "scan_pages": int 1..30 (most pages a scan may have, default 1),
                      "scan_kind": "document" | "photo" (default "document")}]}]}

A document's ``scan`` says whether the counter must attach a scan of it (issue 12): a
required scan missing, more pages than ``scan_pages``, or a scan of a document that takes
none is an error at the field ``scans.<key>``. The three keys are written back only when
``scan`` is not "none", so catalogues without scans keep their exact form.

A money field marked ``"collected": true`` is money the office collects on behalf of
another body (a bill's amount for the water company): the citizen pays it at the card
terminal with the fees, so it is in the form's total, the receipt and the day close, but
apart from the fees (``Service.payment``), and never in the protocol's ``fees``.

with Label = {"fa": str, "en": str}, both non-empty. Keys and codes are lower-case ASCII
identifiers. Unknown keys are refused: a misspelt "requried" must not pass silently.

Validated answers are canonical strings (dates "1403/05/12", numbers and money as ASCII
integers, identifiers as their digits). An empty optional field is omitted from the result,
never stored as "": absent means "not answered", in the applicant block too.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from rules import messages as m
from rules import validation as v
from rules.errors import UserFacingError
from rules.messages import Message
from rules.normalize import strip_invisible

DEFAULT_TEXT_MAX_LENGTH = 200
_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")


class CatalogError(ValueError):
    """The catalogue document is malformed, or a service is not in it."""

    def __init__(self, reason: str, message: Message | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message or m.CATALOG_INVALID.format(reason=Message(reason, reason))


class ValidationFailed(UserFacingError):
    """A request form has problems; `.errors` holds every one of them, keyed by field path.

    User-facing: its summary message is for the clerk, and each field's message
    is shown at that field.

    Keys: "applicant.<key>", "applicant" (unknown applicant keys), "answers.<key>",
    "answers" (unknown answer keys), "documents" (required documents not checked).
    """

    def __init__(self, errors: dict[str, Message]) -> None:
        self.errors = errors
        super().__init__(m.FORM_HAS_ERRORS.format(count=len(errors)), detail=", ".join(errors))


class FieldType(StrEnum):
    TEXT = "text"
    NATIONAL_CODE = "national_code"
    MOBILE = "mobile"
    POSTAL_CODE = "postal_code"
    JALALI_DATE = "jalali_date"
    NUMBER = "number"
    CHOICE = "choice"
    MONEY = "money"
    SHEBA = "sheba"
    BANK_CARD = "bank_card"


@dataclass(frozen=True)
class Fees:
    """What the citizen pays for one request, in integer rials, the three parts kept apart."""

    government: int
    office: int
    vat: int

    @property
    def total(self) -> int:
        return self.government + self.office + self.vat

    def to_dict(self) -> dict[str, int]:
        """The protocol's `fees` object."""
        return {"government": self.government, "office": self.office, "vat": self.vat}


@dataclass(frozen=True)
class Payment:
    """What the citizen pays at the card terminal for one request: the fees, and money
    collected on behalf of other bodies (each collected field's key and amount)."""

    fees: Fees
    collected: tuple[tuple[str, int], ...] = ()

    @property
    def collected_total(self) -> int:
        return sum(amount for _, amount in self.collected)

    @property
    def total(self) -> int:
        return self.fees.total + self.collected_total


@dataclass(frozen=True)
class FeeSchedule:
    """A service's fees as published: VAT is charged on the office fee only."""

    government: int
    office: int
    vat_percent: int


@dataclass(frozen=True)
class Choice:
    value: str
    label: Message
    government_fee: int = 0  # added to the service's fees when this choice is made
    office_fee: int = 0


@dataclass(frozen=True)
class Field:
    """One input of a form; the UI builds its widget from `type` and the bounds."""

    key: str
    label: Message
    type: FieldType
    required: bool
    help: Message | None = None
    choices: tuple[Choice, ...] = ()
    min_value: int | None = None  # number only
    max_value: int | None = None  # number only
    max_length: int | None = None  # text only
    past_only: bool = False  # jalali_date only: not after `today`
    collected: bool = False  # money only: collected on behalf of another body, not a fee

    def check(self, raw: str, *, today: dt.date) -> str:
        """The canonical string for `raw`, "" for an empty optional field, or FieldError."""
        if not strip_invisible(raw).strip():
            if self.required:
                raise v.FieldError(m.REQUIRED)
            return ""
        return _CHECKS[self.type](self, raw, today)

    @functools.cached_property
    def _choice_values(self) -> frozenset[str]:
        """The values of the choices (a choice field's answer must be one of them)."""
        return frozenset(c.value for c in self.choices)

    def choice(self, value: str) -> Choice | None:
        """The choice with this value (to show its label), or None."""
        return next((c for c in self.choices if c.value == value), None)


# One checker per field type, looked up once per check (the server checks every field of
# every pushed item: a chain of `match` cases and per-call setup showed in its profile).
_CHECKS: dict[FieldType, Callable[[Field, str, dt.date], str]] = {
    FieldType.TEXT: lambda f, raw, today: v.check_text(
        raw, f.max_length or DEFAULT_TEXT_MAX_LENGTH, f.required
    ),
    FieldType.NATIONAL_CODE: lambda f, raw, today: v.check_national_code(raw),
    FieldType.MOBILE: lambda f, raw, today: v.normalize_mobile(raw),
    FieldType.POSTAL_CODE: lambda f, raw, today: v.check_postal_code(raw),
    FieldType.JALALI_DATE: lambda f, raw, today: v.parse_jalali_date(
        raw, not_after=today if f.past_only else None
    )[1],
    FieldType.NUMBER: lambda f, raw, today: str(v.check_number(raw, f.min_value, f.max_value)),
    FieldType.CHOICE: lambda f, raw, today: v.check_choice(raw, f._choice_values),
    FieldType.MONEY: lambda f, raw, today: str(v.check_money(raw)),
    FieldType.SHEBA: lambda f, raw, today: v.check_sheba(raw),
    FieldType.BANK_CARD: lambda f, raw, today: v.check_bank_card(raw),
}


class ScanNeed(StrEnum):
    """Whether a document's scan travels with the request."""

    REQUIRED = "required"
    OPTIONAL = "optional"
    NONE = "none"


SCAN_KINDS = ("document", "photo")  # desktop.scans.budgets.ScanKind's values
MAX_SCAN_PAGES = 30


@dataclass(frozen=True)
class DocumentRequirement:
    """A paper the clerk must see (and tick) before registering the request."""

    key: str
    label: Message
    required: bool
    scan: ScanNeed = ScanNeed.NONE
    scan_pages: int = 1
    scan_kind: str = "document"


@dataclass(frozen=True)
class Service:
    code: str
    active: bool
    title: Message
    category: Message
    fees: FeeSchedule
    fields: tuple[Field, ...] = ()
    documents: tuple[DocumentRequirement, ...] = ()

    def field(self, key: str) -> Field:
        for f in self.fields:
            if f.key == key:
                return f
        raise CatalogError(f"service {self.code!r} has no field {key!r}")

    def fees_for(self, answers: Mapping[str, str]) -> Fees:
        """Fees for a request with these (validated) answers.

        The service's fees plus those of each chosen option that carries fees; VAT is
        office fee × vat_percent / 100 rounded half up to a whole rial, in integers only.
        """
        government, office = self.fees.government, self.fees.office
        for f in self.fields:
            chosen = f.choice(answers.get(f.key, "")) if f.type is FieldType.CHOICE else None
            if chosen is not None:
                government += chosen.government_fee
                office += chosen.office_fee
        vat = (office * self.fees.vat_percent + 50) // 100
        return Fees(government=government, office=office, vat=vat)

    @functools.cached_property
    def collected_keys(self) -> tuple[str, ...]:
        """The money fields collected on behalf of another body, in form order."""
        return tuple(f.key for f in self.fields if f.collected)

    def payment(self, answers: Mapping[str, str], fees: Fees | None = None) -> Payment:
        """The fees and the collected money for these answers (validated ones, or the
        form's text as typed: an amount that is not a valid one yet counts as nothing)."""
        collected: list[tuple[str, int]] = []
        for key in self.collected_keys:
            raw = answers.get(key, "")
            try:
                amount = v.check_money(raw) if raw else 0
            except v.FieldError:
                amount = 0
            collected.append((key, amount))
        return Payment(fees or self.fees_for(answers), tuple(collected))


@dataclass(frozen=True)
class Catalog:
    version: int
    published_at: str
    services: tuple[Service, ...] = field(default=())

    @classmethod
    def from_document(cls, doc: object) -> Catalog:
        """The catalogue in `doc`, or CatalogError naming the first problem and where it is."""
        return _parse_catalog(doc)

    def to_document(self) -> dict[str, Any]:
        """The canonical JSON document: from_document(c.to_document()) == c."""
        return _catalog_to_document(self)

    def service(self, code: str) -> Service:
        for s in self.services:
            if s.code == code:
                return s
        raise CatalogError(
            f"unknown service {code!r}", m.UNKNOWN_SERVICE.format(code=Message(code, code))
        )

    def active_services(self) -> tuple[Service, ...]:
        return tuple(s for s in self.services if s.active)


# --- The applicant block: the same on every form, so not in the catalogue ------------------

APPLICANT_FIELDS: tuple[Field, ...] = (
    Field("national_code", Message("کد ملی", "National code"), FieldType.NATIONAL_CODE, True),
    Field("first_name", Message("نام", "First name"), FieldType.TEXT, True, max_length=50),
    Field("last_name", Message("نام خانوادگی", "Last name"), FieldType.TEXT, True, max_length=80),
    Field("mobile", Message("شمارهٔ همراه", "Mobile number"), FieldType.MOBILE, True),
    Field("address", Message("نشانی", "Address"), FieldType.TEXT, False, max_length=250),
)


@dataclass(frozen=True)
class ValidatedForm:
    """A request form that passed every check, in canonical form, ready to be stored."""

    service_code: str
    applicant: dict[str, str]  # empty optional fields omitted
    answers: dict[str, str]  # empty optional fields omitted
    documents: list[str]  # known document keys the clerk ticked, sorted
    fees: Fees
    payment: Payment  # the fees and any money collected for another body


def _check_block(
    prefix: str,
    fields: Iterable[Field],
    values: Mapping[str, object],
    today: dt.date,
    errors: dict[str, Message],
) -> dict[str, str]:
    checked: dict[str, str] = {}
    known = set()
    for f in fields:
        key = f.key
        known.add(key)
        raw = values.get(key)
        if raw is None:
            raw = ""
        elif not isinstance(raw, str):  # only a bad client sends a number or a list here
            errors[f"{prefix}.{key}"] = m.INVALID_VALUE
            continue
        try:
            value = f.check(raw, today=today)
        except v.FieldError as exc:
            errors[f"{prefix}.{key}"] = exc.message
            continue
        if value:
            checked[key] = value
    if not known.issuperset(values):
        keys = _key_list(str(k) for k in values if k not in known)
        errors[prefix] = m.UNKNOWN_FIELDS.format(keys=Message(keys, keys))
    return checked


def _key_list(keys: Iterable[str], most: int = 10) -> str:
    """Unknown keys for a message: a few, each cut short (a key may be megabytes long)."""
    ordered = sorted(keys)
    shown = [k if len(k) <= 64 else k[:61] + "..." for k in ordered[:most]]
    if len(ordered) > most:
        shown.append(f"... (+{len(ordered) - most})")
    return ", ".join(shown)


def validate_request(
    service: Service,
    applicant: Mapping[str, str],
    answers: Mapping[str, str],
    documents: Iterable[str],
    *,
    today: dt.date,
    scanned: Mapping[str, int] | None = None,
) -> ValidatedForm:
    """Check a whole request form at once; ValidationFailed lists every failing field.

    `today` is the office's local date (Gregorian), used by `past_only` dates. Whether the
    service is still active is not checked here: a request made offline under an older
    catalogue stays valid. `scanned` (document key -> pages attached) is checked against each
    document's scan need when given; the server, which gets scans apart, passes None.
    """
    errors: dict[str, Message] = {}
    if scanned is not None:
        errors.update(check_scans(service, scanned))
    checked_applicant = _check_block("applicant", APPLICANT_FIELDS, applicant, today, errors)
    checked_answers = _check_block("answers", service.fields, answers, today, errors)
    ticked = set()
    for d in documents:
        # Not a text: reported as an unknown document below, by its repr.
        ticked.add(d if isinstance(d, str) else repr(d))
    known = {d.key for d in service.documents}
    missing = [d.label for d in service.documents if d.required and d.key not in ticked]
    unknown = sorted(ticked - known)
    if unknown:
        # Refused like unknown answer keys: a misspelt key must not pass as "not checked".
        keys = _key_list(unknown)
        errors["documents"] = m.UNKNOWN_DOCUMENTS.format(keys=Message(keys, keys))
    elif missing:
        errors["documents"] = m.DOCUMENTS_MISSING.format(documents=m.join(missing))
    if errors:
        raise ValidationFailed(errors)
    fees = service.fees_for(checked_answers)
    return ValidatedForm(
        service_code=service.code,
        applicant=checked_applicant,
        answers=checked_answers,
        documents=sorted(d.key for d in service.documents if d.key in ticked),
        fees=fees,
        payment=service.payment(checked_answers, fees) if service.collected_keys else Payment(fees),
    )


def check_scans(service: Service, scanned: Mapping[str, int]) -> dict[str, Message]:
    """Field errors (``scans.<key>``) for scans missing, too long, or not expected."""
    errors: dict[str, Message] = {}
    by_key = {d.key: d for d in service.documents}
    for key, pages in scanned.items():
        need = by_key.get(key)
        if need is None or need.scan is ScanNeed.NONE:
            label = need.label if need is not None else Message(key[:64], key[:64])
            errors[f"scans.{key[:64]}"] = m.SCAN_NOT_EXPECTED.format(document=label)
        elif pages > need.scan_pages:
            errors[f"scans.{key}"] = m.SCAN_TOO_MANY_PAGES.format(
                document=need.label, pages=pages, most=need.scan_pages
            )
    for need in service.documents:
        if need.scan is ScanNeed.REQUIRED and scanned.get(need.key, 0) <= 0:
            errors[f"scans.{need.key}"] = m.SCAN_MISSING.format(document=need.label)
    return errors


# --- Files --------------------------------------------------------------------------------

_DEMO_RELATIVE = Path("resources") / "catalog" / "demo_catalog.json"


def demo_catalog_path() -> Path:
    """The demo catalogue shipped with the program: in the PyInstaller bundle when frozen
    (`sys._MEIPASS`, if the file is there), else in the source tree."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        candidate = Path(bundle) / _DEMO_RELATIVE
        if candidate.is_file():
            return candidate
    return Path(__file__).resolve().parents[1] / _DEMO_RELATIVE


def load_catalog_file(path: Path | str) -> Catalog:
    """The catalogue in a UTF-8 JSON file; CatalogError if it is not valid JSON or not a
    valid catalogue (OSError, such as a missing file, passes through)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogError(f"{Path(path).name}: not a UTF-8 JSON document ({exc})") from exc
    return Catalog.from_document(doc)


# --- Reading and writing the document -----------------------------------------------------


def _fail(path: str, problem: str) -> CatalogError:
    return CatalogError(f"{path}: {problem}")


def _obj(value: object, path: str, required: set[str], optional: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, "must be an object")
    missing = sorted(required - value.keys())
    if missing:
        raise _fail(path, f"missing {', '.join(missing)}")
    unknown = sorted(str(k) for k in value.keys() - required - optional)
    if unknown:
        raise _fail(path, f"unknown key(s) {', '.join(unknown)}")
    return value


def _int(value: object, path: str, low: int | None = 0, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, "must be an integer")
    if low is not None and value < low:
        raise _fail(path, f"must be at least {low}")
    if high is not None and value > high:
        raise _fail(path, f"must be at most {high}")
    return value


def _bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(path, "must be true or false")
    return value


def _key(value: object, path: str) -> str:
    if not isinstance(value, str) or not _KEY.fullmatch(value):
        raise _fail(path, f"must be a lower-case ASCII identifier like 'birth_date', not {value!r}")
    return value


def _label(value: object, path: str) -> Message:
    doc = _obj(value, path, {"fa", "en"}, set())
    for lang in ("fa", "en"):
        text = doc[lang]
        if not isinstance(text, str) or not text.strip():
            raise _fail(f"{path}.{lang}", "must be a non-empty text")
    return Message(fa=doc["fa"], en=doc["en"])


def _unique(keys: list[str], path: str) -> None:
    seen: set[str] = set()
    for k in keys:
        if k in seen:
            raise _fail(path, f"duplicate key {k!r}")
        seen.add(k)


def _list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(path, "must be a list")
    return value


_FIELD_KEYS = {"help", "choices", "min", "max", "max_length", "past_only", "collected"}
_ONLY_FOR = {
    "choices": FieldType.CHOICE,
    "min": FieldType.NUMBER,
    "max": FieldType.NUMBER,
    "max_length": FieldType.TEXT,
    "past_only": FieldType.JALALI_DATE,
    "collected": FieldType.MONEY,
}


def _parse_choice(value: object, path: str) -> Choice:
    doc = _obj(value, path, {"value", "label"}, {"fees"})
    choice_value = doc["value"]
    if (
        not isinstance(choice_value, str)
        or not choice_value
        or choice_value != choice_value.strip()
    ):
        raise _fail(f"{path}.value", "must be a non-empty text without surrounding spaces")
    government = office = 0
    if "fees" in doc:
        fees = _obj(doc["fees"], f"{path}.fees", set(), {"government", "office"})
        government = _int(fees.get("government", 0), f"{path}.fees.government")
        office = _int(fees.get("office", 0), f"{path}.fees.office")
    return Choice(choice_value, _label(doc["label"], f"{path}.label"), government, office)


def _parse_field(value: object, path: str) -> Field:
    doc = _obj(value, path, {"key", "label", "type"}, {"required"} | _FIELD_KEYS)
    try:
        ftype = FieldType(doc["type"])
    except (ValueError, TypeError):
        allowed = ", ".join(t.value for t in FieldType)
        raise _fail(f"{path}.type", f"unknown field type {doc['type']!r} ({allowed})") from None
    for name, only in _ONLY_FOR.items():
        if name in doc and ftype is not only:
            raise _fail(f"{path}.{name}", f"only a {only.value} field has {name}")
    choices: tuple[Choice, ...] = ()
    if ftype is FieldType.CHOICE:
        raw = _list(doc.get("choices"), f"{path}.choices")
        if not raw:
            raise _fail(f"{path}.choices", "a choice field needs at least one choice")
        choices = tuple(_parse_choice(c, f"{path}.choices[{i}]") for i, c in enumerate(raw))
        _unique([c.value for c in choices], f"{path}.choices")
    low = _int(doc["min"], f"{path}.min", None) if "min" in doc else None
    high = _int(doc["max"], f"{path}.max", None) if "max" in doc else None
    if low is not None and high is not None and low > high:
        raise _fail(path, "min is greater than max")
    max_length = None
    if ftype is FieldType.TEXT:
        max_length = _int(doc.get("max_length", DEFAULT_TEXT_MAX_LENGTH), f"{path}.max_length", 1)
    return Field(
        key=_key(doc["key"], f"{path}.key"),
        label=_label(doc["label"], f"{path}.label"),
        type=ftype,
        required=_bool(doc.get("required", False), f"{path}.required"),
        help=_label(doc["help"], f"{path}.help") if "help" in doc else None,
        choices=choices,
        min_value=low,
        max_value=high,
        max_length=max_length,
        past_only=_bool(doc.get("past_only", False), f"{path}.past_only"),
        collected=_bool(doc.get("collected", False), f"{path}.collected"),
    )


def _scan_need(value: object, path: str) -> ScanNeed:
    return ScanNeed(_one_of(value, tuple(n.value for n in ScanNeed), path))


def _one_of(value: object, allowed: tuple[str, ...], path: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise _fail(path, f"must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _document_to_document(d: DocumentRequirement) -> dict[str, Any]:
    doc: dict[str, Any] = {"key": d.key, "label": d.label.to_dict(), "required": d.required}
    if d.scan is not ScanNeed.NONE:
        doc.update(scan=d.scan.value, scan_pages=d.scan_pages, scan_kind=d.scan_kind)
    return doc


def _parse_service(value: object, path: str) -> Service:
    doc = _obj(
        value, path, {"code", "title", "category", "fees"}, {"active", "fields", "documents"}
    )
    fees = _obj(doc["fees"], f"{path}.fees", {"government", "office", "vat_percent"}, set())
    fields = tuple(
        _parse_field(f, f"{path}.fields[{i}]")
        for i, f in enumerate(_list(doc.get("fields", []), f"{path}.fields"))
    )
    _unique([f.key for f in fields], f"{path}.fields")
    documents = []
    for i, d in enumerate(_list(doc.get("documents", []), f"{path}.documents")):
        dpath = f"{path}.documents[{i}]"
        ddoc = _obj(d, dpath, {"key", "label"}, {"required", "scan", "scan_pages", "scan_kind"})
        documents.append(
            DocumentRequirement(
                key=_key(ddoc["key"], f"{dpath}.key"),
                label=_label(ddoc["label"], f"{dpath}.label"),
                required=_bool(ddoc.get("required", False), f"{dpath}.required"),
                scan=_scan_need(ddoc.get("scan", "none"), f"{dpath}.scan"),
                scan_pages=_int(
                    ddoc.get("scan_pages", 1), f"{dpath}.scan_pages", 1, MAX_SCAN_PAGES
                ),
                scan_kind=_one_of(
                    ddoc.get("scan_kind", "document"), SCAN_KINDS, f"{dpath}.scan_kind"
                ),
            )
        )
    _unique([d.key for d in documents], f"{path}.documents")
    return Service(
        code=_key(doc["code"], f"{path}.code"),
        active=_bool(doc.get("active", True), f"{path}.active"),
        title=_label(doc["title"], f"{path}.title"),
        category=_label(doc["category"], f"{path}.category"),
        fees=FeeSchedule(
            government=_int(fees["government"], f"{path}.fees.government"),
            office=_int(fees["office"], f"{path}.fees.office"),
            vat_percent=_int(fees["vat_percent"], f"{path}.fees.vat_percent", 0, 100),
        ),
        fields=fields,
        documents=tuple(documents),
    )


def _parse_catalog(doc: object) -> Catalog:
    top = _obj(doc, "catalogue", {"version", "published_at", "services"}, set())
    published_at = top["published_at"]
    try:
        if not isinstance(published_at, str):
            raise ValueError(published_at)
        dt.datetime.fromisoformat(published_at)
    except ValueError:
        raise _fail("published_at", "must be an ISO 8601 time like 2026-11-01T00:00:00Z") from None
    raw_services = _list(top["services"], "services")
    if not raw_services:
        raise _fail("services", "a catalogue needs at least one service")
    services = tuple(_parse_service(s, f"services[{i}]") for i, s in enumerate(raw_services))
    _unique([s.code for s in services], "services")
    return Catalog(_int(top["version"], "version", 1), published_at, services)


def _field_to_document(f: Field) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "key": f.key,
        "label": f.label.to_dict(),
        "type": f.type.value,
        "required": f.required,
    }
    if f.help is not None:
        doc["help"] = f.help.to_dict()
    if f.type is FieldType.CHOICE:
        doc["choices"] = []
        for c in f.choices:
            choice: dict[str, Any] = {"value": c.value, "label": c.label.to_dict()}
            if c.government_fee or c.office_fee:
                choice["fees"] = {"government": c.government_fee, "office": c.office_fee}
            doc["choices"].append(choice)
    if f.min_value is not None:
        doc["min"] = f.min_value
    if f.max_value is not None:
        doc["max"] = f.max_value
    if f.type is FieldType.TEXT:
        doc["max_length"] = f.max_length or DEFAULT_TEXT_MAX_LENGTH
    if f.type is FieldType.JALALI_DATE:
        doc["past_only"] = f.past_only
    if f.collected:  # only when set: documents without it keep their exact form
        doc["collected"] = True
    return doc


def _catalog_to_document(catalog: Catalog) -> dict[str, Any]:
    return {
        "version": catalog.version,
        "published_at": catalog.published_at,
        "services": [
            {
                "code": s.code,
                "active": s.active,
                "title": s.title.to_dict(),
                "category": s.category.to_dict(),
                "fees": {
                    "government": s.fees.government,
                    "office": s.fees.office,
                    "vat_percent": s.fees.vat_percent,
                },
                "fields": [_field_to_document(f) for f in s.fields],
                "documents": [_document_to_document(d) for d in s.documents],
            }
            for s in catalog.services
        ],
    }
