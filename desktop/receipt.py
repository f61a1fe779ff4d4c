"""The citizen's receipt: what it says, in which language, and the audit of each print.

``receipt_for`` reads one saved request and builds a ``Receipt``: every text already in
the clerk's language (Persian digits and the Persian thousands separator ٬ in Persian),
the time in Tehran on the Jalali calendar, the fees by kind, the references, and the QR
payload. ``Receipt.blocks()`` lays the content out as a plain sequence of headings, rows,
rules, notes and the QR code, so the painter in ``ui.printing`` decides only how it looks,
never what it says. Nothing here touches the network: a receipt prints the same offline.

QR payload, version 1 (``qr_payload``)::

    PISHKHAN:1|<request id>|<reference>|<total>

ASCII only, ``|``-separated: the request's permanent UUID (the key the central server
uses), the office's provisional reference the citizen quotes at the counter, and the total
paid in integer rials with ASCII digits. A checker who scans it can find the request and see
at once whether the amount on the paper was altered. A later format changes the version
after the colon; readers must refuse versions they do not know.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import jdatetime
from sqlalchemy import func, select

from desktop import audit
from desktop.audit import Action
from desktop.catalog_store import CatalogStore, NoCatalog
from desktop.clerks import ClerkInfo
from desktop.clock import TEHRAN, Clock, utc_now
from desktop.db.engine import Store
from desktop.db.models import AuditEvent, Clerk, Device, Office, Request
from desktop.db.raw import driver_connection
from desktop.errors import NotFoundError
from desktop.scans.progress import pages_per_document, scanned_documents
from desktop.states import STATE_NAMES, State
from rules import bidi
from rules.catalog import FieldType
from rules.catalog import Service as CatalogService
from rules.messages import Message
from rules.normalize import to_persian_digits

QR_PREFIX = "PISHKHAN:1"

WEEKDAYS: tuple[Message, ...] = tuple(  # jdatetime's weekday(): Saturday is 0
    Message(fa, en)
    for fa, en in (
        ("شنبه", "Saturday"),
        ("یکشنبه", "Sunday"),
        ("دوشنبه", "Monday"),
        ("سه‌شنبه", "Tuesday"),
        ("چهارشنبه", "Wednesday"),
        ("پنجشنبه", "Thursday"),
        ("جمعه", "Friday"),
    )
)

_L = {  # the receipt's fixed words
    "title": Message("رسید ثبت درخواست", "Request receipt"),
    "scans": Message("مدارک اسکن‌شده", "Documents scanned"),
    "duplicate": Message("رونوشت (چاپ دوباره)", "Duplicate (reprint)"),
    "office_line": Message(
        "دفتر پیشخوان خدمات دولت · کد {code} · باجهٔ {counter}",
        "Government counter office · code {code} · counter {counter}",
    ),
    "date": Message("تاریخ", "Date"),
    "time": Message("ساعت", "Time"),
    "reference": Message("شمارهٔ ثبت موقت", "Reference (provisional)"),
    "tracking": Message("کد رهگیری رسمی", "Official tracking code"),
    "tracking_pending": Message("پس از ارسال صادر می‌شود", "issued once sent"),
    "state": Message("وضعیت", "Status"),
    "clerk": Message("کارمند", "Clerk"),
    "service": Message("خدمت", "Service"),
    "applicant": Message("متقاضی", "Applicant"),
    "national_code": Message("کد ملی", "National code"),
    "corrects": Message("اصلاحیهٔ درخواست", "Corrects request"),
    "superseded_by": Message("جایگزین‌شده با", "Superseded by"),
    "fees": Message("مبالغ (ریال)", "Amounts (rials)"),
    "government": Message("هزینهٔ دولتی", "Government fee"),
    "office": Message("کارمزد دفتر", "Office fee"),
    "vat": Message("مالیات بر ارزش افزوده", "VAT"),
    "fees_total": Message("جمع هزینه‌ها و کارمزد", "Fees subtotal"),
    "total": Message("جمع پرداختی", "Total paid"),
    "card_ref": Message("شمارهٔ پیگیری کارتخوان", "Card terminal reference"),
    "no_card_ref": Message("—", "—"),
    "printed_at": Message("زمان چاپ رونوشت", "Reprinted at"),
    "keep": Message(
        "این رسید را تا پایان کار نزد خود نگه دارید.",
        "Keep this receipt until your request is completed.",
    ),
    "follow_pending": Message(
        "کد رهگیری رسمی پس از رسیدن درخواست به سامانهٔ مرکزی صادر می‌شود؛ "
        "تا آن زمان با شمارهٔ ثبت موقت از همین دفتر پیگیری کنید.",
        "The official tracking code is issued once the request reaches the central "
        "system; until then, follow it up at this office with the reference.",
    ),
    "follow_known": Message(
        "برای پیگیری، کد رهگیری رسمی را همراه داشته باشید.",
        "Quote the official tracking code to follow up your request.",
    ),
    "thanks": Message("با سپاس از شکیبایی شما", "Thank you"),
}


# --- Blocks: the receipt's content in reading order, for any painter ------------------------


@dataclass(frozen=True)
class Heading:
    text: str
    size: str = "normal"  # "large" | "normal" | "small"
    bold: bool = True


@dataclass(frozen=True)
class Row:
    """A label and its value on one line (the value wraps below the label when long).

    ``ltr`` marks identifiers (references, masked codes, card numbers) whose characters must
    stay in left-to-right order inside a right-to-left receipt: ``*`` and ``-`` are neutral
    in the Unicode bidi algorithm and would otherwise reorder the digit groups around them.
    """

    label: str
    value: str
    ltr: bool = False
    strong: bool = False
    amount: bool = False  # money: kept in one column so the amounts line up for adding

    def __post_init__(self) -> None:
        # The one bidi helper every view uses: the isolate also holds when a printer
        # driver or a text export lays the line out as one right-to-left paragraph.
        if self.ltr:
            object.__setattr__(self, "value", bidi.ltr(self.value))


@dataclass(frozen=True)
class Rule:
    style: str = "solid"  # "solid" | "dashed"


@dataclass(frozen=True)
class Note:
    text: str


@dataclass(frozen=True)
class QrCode:
    payload: str
    caption: str  # printed under the code, so a person can read what it holds


Block = Heading | Row | Rule | Note | QrCode


# --- The receipt ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FeeLine:
    # "government" | "office" | "vat"; then, when money was collected for another body,
    # "fees_total" (the three's sum) and "collected:<field key>" per collected field
    kind: str
    label: str
    amount: int  # integer rials
    text: str  # as printed


@dataclass(frozen=True)
class Receipt:
    lang: str
    request_id: str
    office_name: str
    office_code: str  # as printed (Persian digits in Persian)
    counter: str
    clerk: str
    service_title: str
    applicant_name: str
    national_code: str  # masked, as printed: ۰۰۱****۶۷۹
    date: str  # Jalali, Tehran, with the weekday
    time: str  # HH:MM, Tehran
    fees: tuple[FeeLine, ...]
    total: int  # integer rials
    total_text: str
    card_ref: str
    reference: str  # as printed
    reference_raw: str  # as stored (ASCII digits), what the QR carries
    tracking_code: str | None
    state: str
    qr_payload: str
    footer: tuple[str, ...]
    answers: tuple[tuple[str, str, bool], ...] = ()  # label, value, ltr
    corrects: str | None = None  # reference of the request this one corrects
    superseded_by: str | None = None  # reference of the correction that replaced this one
    reprint: bool = False  # printed before: marked as a duplicate
    printed_at: str | None = None  # only on a duplicate: when it was printed
    scans: tuple[tuple[str, str], ...] = ()  # document scanned, its pages (as printed)

    def label(self, key: str) -> str:
        return _L[key].text(self.lang)

    def blocks(self) -> list[Block]:
        """The whole receipt, top to bottom."""
        t = self.label
        out: list[Block] = [
            Heading(self.office_name, "large"),
            Note(
                _L["office_line"]
                .format(
                    code=Message(self.office_code, self.office_code),
                    counter=Message(self.counter, self.counter),
                )
                .text(self.lang)
            ),
            Rule(),
            Heading(t("title")),
        ]
        if self.reprint:
            out.append(Heading(t("duplicate")))
        out += [
            Row(t("date"), self.date),
            Row(t("time"), self.time),
            Row(t("reference"), self.reference, ltr=True, strong=True),
            Row(
                t("tracking"),
                self.tracking_code or t("tracking_pending"),
                ltr=self.tracking_code is not None,
            ),
            Row(t("state"), self.state),
            Row(t("clerk"), self.clerk),
        ]
        if self.corrects:
            out.append(Row(t("corrects"), self.corrects, ltr=True))
        if self.superseded_by:
            out.append(Row(t("superseded_by"), self.superseded_by, ltr=True))
        out += [
            Rule("dashed"),
            Heading(self.service_title),
            Row(t("applicant"), self.applicant_name),
            Row(t("national_code"), self.national_code, ltr=True),
        ]
        out += [Row(label, value, ltr=ltr) for label, value, ltr in self.answers]
        if self.scans:
            out += [Rule("dashed"), Heading(t("scans"), "small")]
            out += [Row(label, pages) for label, pages in self.scans]
        out += [Rule("dashed"), Heading(t("fees"), "small")]
        out += [Row(f.label, f.text, amount=True) for f in self.fees]
        out += [
            Row(t("total"), self.total_text, strong=True, amount=True),
            Row(t("card_ref"), self.card_ref or t("no_card_ref"), ltr=bool(self.card_ref)),
            Rule(),
            QrCode(self.qr_payload, self.reference),
        ]
        if self.printed_at:
            out.append(Note(f"{t('printed_at')}: {self.printed_at}"))
        out += [Note(line) for line in self.footer]
        return out


def qr_payload(request_id: str, reference: str, total: int) -> str:
    """The QR code's content (format in the module docstring)."""
    for part in (request_id, reference):
        if "|" in part or not part.isascii():
            raise ValueError(f"not a QR payload field: {part!r}")
    return f"{QR_PREFIX}|{request_id}|{reference}|{int(total)}"


def digits(value: object, lang: str) -> str:
    """A number or code as text, with Persian digits in Persian."""
    text = str(value)
    return to_persian_digits(text) if lang == "fa" else text


def money(amount: int, lang: str) -> str:
    """Integer rials grouped by thousands: ۱٬۶۵۰٬۰۰۰ in Persian, 1,650,000 in English."""
    grouped = f"{amount:,}"
    if lang == "fa":
        # U+066C ARABIC THOUSANDS SEPARATOR: the Persian one; a Latin comma reads as a
        # decimal point to some readers and Excel-minded clerks.
        return to_persian_digits(grouped.replace(",", "٬"))
    return grouped


def mask_national_code(code: str) -> str:
    """The first three and last three digits, the middle four hidden: 0012345679 → 001****679.

    A receipt leaves the office in the citizen's hand: it is photographed, forwarded, left
    on counters and in rubbish bins. A full national code next to a full name is what a
    fraudster needs to pass as someone (SIM cards, loans, subsidy accounts). Six digits are
    still enough for the citizen and the clerk to see whose receipt it is, and a typo in the
    middle digits would already have been caught by the code's check digit at the counter.
    """
    if len(code) < 7:
        return "*" * len(code)
    return f"{code[:3]}{'*' * (len(code) - 6)}{code[-3:]}"


def mask_card_number(card: str) -> str:
    """Bank card numbers as Iranian card terminals print them: 6037-99**-****-1234."""
    if len(card) != 16:
        return "*" * len(card)
    shown = card[:6] + "*" * 6 + card[-4:]
    return "-".join(shown[i : i + 4] for i in range(0, 16, 4))


def group_sheba(sheba: str) -> str:
    """IR062960000000100324200001 → IR06 2960 0000 0010 0324 2000 01."""
    return " ".join(sheba[i : i + 4] for i in range(0, len(sheba), 4))


def jalali_date(moment: dt.datetime, lang: str) -> str:
    local = moment.astimezone(TEHRAN)
    j = jdatetime.date.fromgregorian(date=local.date())
    text = f"{j.year:04d}/{j.month:02d}/{j.day:02d}"
    return f"{WEEKDAYS[j.weekday()].text(lang)} {digits(text, lang)}"


def local_time(moment: dt.datetime, lang: str) -> str:
    return digits(moment.astimezone(TEHRAN).strftime("%H:%M"), lang)


def _answer_lines(
    service: CatalogService | None, answers: dict[str, str], lang: str
) -> tuple[tuple[str, str, bool], ...]:
    """The answers with the labels of the catalogue version the request was made under.

    Without that version (a damaged store) the keys are printed: a receipt must still print.
    """
    lines: list[tuple[str, str, bool]] = []
    fields = {f.key: f for f in service.fields} if service else {}
    order = [f.key for f in service.fields if f.key in answers] if service else []
    order += sorted(k for k in answers if k not in fields)
    for key in order:
        value = answers[key]
        f = fields.get(key)
        if f is None:
            lines.append((key, digits(value, lang), False))
            continue
        label = f.label.text(lang)
        match f.type:
            case FieldType.CHOICE:
                chosen = f.choice(value)
                lines.append((label, chosen.label.text(lang) if chosen else value, False))
            case FieldType.MONEY:
                lines.append((label, money(int(value), lang), False))
            case FieldType.NATIONAL_CODE:
                lines.append((label, digits(mask_national_code(value), lang), True))
            case FieldType.BANK_CARD:
                lines.append((label, digits(mask_card_number(value), lang), True))
            case FieldType.SHEBA:
                # In full: the citizen must be able to check the account the money goes to;
                # in groups of four, as banks print it, so it can be read out and compared.
                lines.append((label, digits(group_sheba(value), lang), True))
            case FieldType.POSTAL_CODE | FieldType.MOBILE | FieldType.NUMBER:
                lines.append((label, digits(value, lang), True))
            case _:
                lines.append((label, digits(value, lang), False))
    return tuple(lines)


def receipt_for(
    store: Store,
    request_id: str,
    *,
    lang: str,
    catalogs: CatalogStore | None = None,
    clock: Clock = utc_now,
) -> Receipt:
    """The receipt of one saved request, in ``lang`` ("fa" or "en").

    One short read transaction (request, office, counter, clerk, earlier prints); runs on
    the worker thread in the UI. NotFoundError if the request does not exist.
    """
    if lang not in ("fa", "en"):
        raise ValueError(f"unknown language {lang!r}")
    with store.read() as s:
        req = s.scalar(select(Request).where(Request.id == request_id))
        if req is None:
            raise NotFoundError(
                Message(fa="این درخواست پیدا نشد.", en="This request was not found.")
            )
        office = s.get(Office, req.office_code)
        counter = s.scalar(select(Device.counter_no).where(Device.id == req.device_id))
        clerk = s.get(Clerk, req.clerk_id)
        corrects = (
            s.scalar(select(Request.reference).where(Request.id == req.supersedes_id))
            if req.supersedes_id
            else None
        )
        superseded_by = s.scalar(select(Request.reference).where(Request.supersedes_id == req.id))
        scan_pages = pages_per_document(driver_connection(s), req.id)
        # A direct lookup through ix_audit_events_request_id (migration 0002).
        prints = (
            s.scalar(
                select(func.count(AuditEvent.id)).where(
                    AuditEvent.action == str(Action.RECEIPT_PRINTED),
                    AuditEvent.request_id == req.id,
                )
            )
            or 0
        )

    service: CatalogService | None
    try:
        service = (
            (catalogs or CatalogStore(store)).get(req.catalog_version).service(req.service_code)
        )
    except (NoCatalog, ValueError):
        service = None

    if counter is None:  # a request copied from another PC: its reference names the counter
        parts = req.reference.split("-")
        counter = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else 0
    answers = json.loads(req.answers_json)
    fee_lines = tuple(
        FeeLine(kind, _L[kind].text(lang), amount, money(amount, lang))
        for kind, amount in (
            ("government", req.government_fee),
            ("office", req.office_fee),
            ("vat", req.vat),
        )
    )
    fees_total = req.government_fee + req.office_fee + req.vat
    # Money collected for another body (a bill) is paid at the same terminal: on the
    # receipt apart from the fees and in the total paid, so the paper matches the slip.
    collected = (
        [(key, amount) for key, amount in service.payment(answers).collected if key in answers]
        if service is not None
        else []
    )
    if collected:
        assert service is not None
        fee_lines += (
            FeeLine("fees_total", _L["fees_total"].text(lang), fees_total, money(fees_total, lang)),
        )
        fee_lines += tuple(
            FeeLine(
                f"collected:{key}",
                service.field(key).label.text(lang),
                amount,
                money(amount, lang),
            )
            for key, amount in collected
        )
    total = fees_total + sum(amount for _, amount in collected)
    tracking_pending = not req.tracking_code
    footer = [
        _L["keep"].text(lang),
        _L["follow_pending" if tracking_pending else "follow_known"].text(lang),
        _L["thanks"].text(lang),
    ]
    reprint = prints > 0
    now = clock()
    return Receipt(
        lang=lang,
        request_id=req.id,
        office_name=office.name if office else digits(req.office_code, lang),
        office_code=digits(req.office_code, lang),
        counter=digits(counter, lang),
        clerk=clerk.display_name if clerk else req.clerk_username,
        service_title=req.service_title_fa if lang == "fa" else req.service_title_en,
        applicant_name=f"{req.first_name} {req.last_name}",
        national_code=digits(mask_national_code(req.national_code), lang),
        date=jalali_date(req.created_at, lang),
        time=local_time(req.created_at, lang),
        fees=fee_lines,
        total=total,
        total_text=money(total, lang),
        card_ref=digits(req.card_ref, lang),
        reference=digits(req.reference, lang),
        reference_raw=req.reference,
        # Kept as issued (Latin letters, ASCII digits): the citizen types it into the
        # government's web sites exactly as printed.
        tracking_code=req.tracking_code or None,
        state=STATE_NAMES[State(req.state)].text(lang),
        qr_payload=qr_payload(req.id, req.reference, total),
        footer=tuple(footer),
        answers=_answer_lines(service, answers, lang),
        corrects=digits(corrects, lang) if corrects else None,
        superseded_by=digits(superseded_by, lang) if superseded_by else None,
        reprint=reprint,
        printed_at=f"{jalali_date(now, lang)} {local_time(now, lang)}" if reprint else None,
        scans=tuple(
            (d.label.text(lang), d.pages_text(lang)) for d in scanned_documents(scan_pages, service)
        ),
    )


def record_print(
    store: Store,
    clerk: ClerkInfo,
    request_id: str,
    reprint: bool,
    *,
    layout: str | None = None,
    clock: Clock = utc_now,
) -> None:
    """Audit one print of a receipt (the first, or a duplicate)."""
    detail: dict[str, object] = {"reprint": bool(reprint)}
    if layout:
        detail["layout"] = layout
    with store.write() as s:
        audit.record(
            s,
            Action.RECEIPT_PRINTED,
            at=clock(),
            clerk_id=clerk.id,
            request_id=request_id,
            **detail,
        )


__all__ = [
    "QR_PREFIX",
    "Block",
    "FeeLine",
    "Heading",
    "Note",
    "QrCode",
    "Receipt",
    "Row",
    "Rule",
    "digits",
    "group_sheba",
    "jalali_date",
    "local_time",
    "mask_card_number",
    "mask_national_code",
    "money",
    "qr_payload",
    "receipt_for",
    "record_print",
]
