"""The admin API's messages (the back office's calls, admin token), with their bounds.

Like the device calls' types in ``sync.protocol``, these say exactly what the server takes
and give the OpenAPI document its schemas; only the server reads them, so they live here.
A catalogue document's own rules (a choice field has choices, keys are unique, ...) are
``rules.catalog``'s: a document of the right shape can still be refused with 422.
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from sync.protocol import (
    INT32_MAX,
    MONEY_MAX,
    AnswerText,
    Count,
    Label,
    Name,
    OfficeCode,
    RemoteState,
    Timestamp,
    Uuid,
    Version,
)

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
Key = Annotated[str, Meta(pattern=KEY_PATTERN, description="lower-case ASCII identifier")]
Rials = Annotated[int, Meta(ge=0, le=MONEY_MAX)]
# A label's text: something besides spaces, no NUL.
LabelText = Annotated[str, Meta(min_length=1, max_length=500, pattern=r"^[^\x00]*\S[^\x00]*$")]
TTL_HOURS_MAX = 24 * 90


class OfficeBody(Struct, frozen=True, forbid_unknown_fields=True):
    code: OfficeCode
    name: Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[^\x00]*\S[^\x00]*$")]


class OfficeAnswer(Struct, frozen=True):
    code: OfficeCode
    name: Name


class EnrolmentCodeBody(Struct, frozen=True, forbid_unknown_fields=True):
    office_code: OfficeCode
    ttl_hours: Annotated[float, Meta(gt=0, le=TTL_HOURS_MAX)] | None = None


class EnrolmentCodeAnswer(Struct, frozen=True):
    code: AnswerText
    office_code: OfficeCode
    ttl_hours: float


class RevokeAnswer(Struct, frozen=True):
    device_id: Uuid
    revoked: bool


class StatusBody(Struct, frozen=True, forbid_unknown_fields=True):
    state: RemoteState
    reason_fa: Label | None = None
    reason_en: Label | None = None


class VersionAnswer(Struct, frozen=True):
    version: Version


class CatalogLabel(Struct, frozen=True, forbid_unknown_fields=True):
    fa: LabelText
    en: LabelText


class ChoiceFees(Struct, frozen=True, forbid_unknown_fields=True):
    government: Rials = 0
    office: Rials = 0


class Choice(Struct, frozen=True, forbid_unknown_fields=True):
    value: Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^\S(.*\S)?$")]
    label: CatalogLabel
    fees: ChoiceFees | None = None


class CatalogField(Struct, frozen=True, forbid_unknown_fields=True):
    key: Key
    label: CatalogLabel
    type: Annotated[
        str,
        Meta(
            pattern=r"^(text|national_code|mobile|postal_code|jalali_date|number|choice|money"
            r"|sheba|bank_card)$"
        ),
    ]
    required: bool = False
    help: CatalogLabel | None = None
    choices: Annotated[list[Choice], Meta(min_length=1, max_length=200)] | None = None
    min: Annotated[int, Meta(ge=-MONEY_MAX, le=MONEY_MAX)] | None = None
    max: Annotated[int, Meta(ge=-MONEY_MAX, le=MONEY_MAX)] | None = None
    max_length: Annotated[int, Meta(ge=1, le=4000)] | None = None
    past_only: bool | None = None
    collected: bool | None = None  # money only: collected for another body (rules.catalog)


class ServiceFees(Struct, frozen=True, forbid_unknown_fields=True):
    government: Rials
    office: Rials
    vat_percent: Annotated[int, Meta(ge=0, le=100)]


class CatalogDocumentRequirement(Struct, frozen=True, forbid_unknown_fields=True):
    key: Key
    label: CatalogLabel
    required: bool = False


class CatalogService(Struct, frozen=True, forbid_unknown_fields=True):
    code: Key
    title: CatalogLabel
    category: CatalogLabel
    fees: ServiceFees
    active: bool = True
    fields: Annotated[list[CatalogField], Meta(max_length=100)] = []
    documents: Annotated[list[CatalogDocumentRequirement], Meta(max_length=100)] = []


class CatalogDocument(Struct, frozen=True, forbid_unknown_fields=True):
    """A catalogue as published (``rules.catalog``); the server renumbers ``version`` and
    sets ``published_at``."""

    version: Annotated[int, Meta(ge=1, le=INT32_MAX)]
    published_at: Timestamp
    services: Annotated[list[CatalogService], Meta(min_length=1, max_length=500)]


class StuckOffice(Struct, frozen=True):
    office_code: OfficeCode
    office_name: AnswerText
    devices: Count
    queue_depth: int
    attention: int
    oldest_waiting_seconds: int | None
    last_heartbeat: Timestamp | None
    never_heard: Count
    app_versions: list[AnswerText]
    lowest_app_version: AnswerText | None = None  # issue 16: who is behind
    update_states: list[AnswerText] = []  # issue 16: what the PCs' updaters last said


class StuckOffices(Struct, frozen=True):
    offices: list[StuckOffice]
