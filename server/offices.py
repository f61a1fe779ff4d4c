"""Offices, one-time enrolment codes, device enrolment, revocation and token checks.

A device token is 32 random bytes; only its sha256 is stored, so a stolen database gives no
usable token. Enrolment codes are kept the same way. Re-enrolling a device id with a new
code replaces its token (the old one stops working) and keeps its history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from server.db import read_now, write_tx
from server.errors import ApiError, invalid, not_found
from server.models import as_utc, devices, enrolment_codes, offices
from sync.protocol import EnrolRequest, EnrolResponse, ErrorCode, Message

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I/O/0/1 to misread
CODE_GROUPS = 3
CODE_GROUP_LENGTH = 4
OFFICE_CODE = re.compile(r"[A-Za-z0-9_-]{1,16}")
# Persian and Arabic-Indic digits, as a clerk may type them.
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


@dataclass(frozen=True)
class AuthDevice:
    """The device behind a valid token."""

    id: str
    office_id: int
    office_code: str
    counter_no: int


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_device_token() -> str:
    return secrets.token_urlsafe(32)


def normalize_enrolment_code(code: str) -> str:
    """Upper case, ASCII digits, no dashes or spaces: how codes are hashed."""
    return re.sub(r"[\s\-‐-―]", "", code.translate(_DIGITS)).upper()


def new_enrolment_code() -> str:
    groups = [
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH))
        for _ in range(CODE_GROUPS)
    ]
    return "-".join(groups)


def add_office(engine: Engine, code: str, name: str, *, now: dt.datetime) -> int:
    """Create an office; 409 if the code exists, 422 for a malformed code or empty name."""
    if not OFFICE_CODE.fullmatch(code):
        raise invalid(
            {
                "code": Message(
                    "کد دفتر باید ۱ تا ۱۶ حرف یا رقم لاتین باشد.",
                    "An office code is 1 to 16 Latin letters or digits.",
                )
            }
        )
    if not name.strip():
        raise invalid({"name": Message("نام دفتر لازم است.", "An office name is required.")})
    if len(name.strip()) > 200 or "\x00" in name:
        raise invalid(
            {
                "name": Message(
                    "نام دفتر حداکثر ۲۰۰ نویسه است، بدون نویسهٔ NUL.",
                    "An office name is at most 200 characters, with no NUL character.",
                )
            }
        )
    try:
        with write_tx(engine) as conn:
            result = conn.execute(
                insert(offices).values(code=code, name=name.strip(), created_at=now)
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])
    except IntegrityError:
        raise ApiError(
            409, "office_exists", f"دفتر {code} از قبل هست.", f"Office {code} already exists."
        ) from None


def _office_id(conn: Connection, code: str) -> int:
    office_id = conn.execute(select(offices.c.id).where(offices.c.code == code)).scalar()
    if office_id is None:
        raise not_found(f"دفتر {code} پیدا نشد.", f"Office {code} not found.")
    return int(office_id)


def create_enrolment_code(
    engine: Engine, office_code: str, *, ttl_hours: float, now: dt.datetime
) -> str:
    """A new one-time code for ``office_code``; the clear code is returned once, never kept."""
    if ttl_hours <= 0:
        raise invalid({"ttl_hours": Message("باید مثبت باشد.", "must be positive.")})
    with write_tx(engine) as conn:
        office_id = _office_id(conn, office_code)
        code = new_enrolment_code()
        conn.execute(
            insert(enrolment_codes).values(
                office_id=office_id,
                code_hash=sha256_hex(normalize_enrolment_code(code)),
                created_at=now,
                expires_at=now + dt.timedelta(hours=ttl_hours),
            )
        )
        return code


def _invalid_code() -> ApiError:
    return ApiError(
        400,
        ErrorCode.INVALID_CODE,
        "کد ثبت نامعتبر، منقضی یا قبلاً استفاده شده است.",
        "The enrolment code is unknown, expired or already used.",
        {"code": Message("کد ثبت پذیرفته نشد.", "The enrolment code was not accepted.")},
    )


def _counter_taken(counter_no: int) -> ApiError:
    return ApiError(
        409,
        ErrorCode.COUNTER_TAKEN,
        f"باجهٔ {counter_no} این دفتر به رایانهٔ دیگری داده شده است.",
        f"Counter {counter_no} of this office is already taken by another PC.",
        {"counter_no": Message("این شمارهٔ باجه آزاد نیست.", "This counter number is taken.")},
    )


def enrol(engine: Engine, request: EnrolRequest, *, now: dt.datetime) -> EnrolResponse:
    """Spend a one-time code on a device; returns the device token (shown only now)."""
    token = new_device_token()
    try:
        with write_tx(engine) as conn:
            found = conn.execute(
                select(
                    enrolment_codes.c.id,
                    enrolment_codes.c.expires_at,
                    enrolment_codes.c.used_at,
                    enrolment_codes.c.used_by_device_id,
                    offices.c.id.label("office_id"),
                    offices.c.code.label("office_code"),
                    offices.c.name.label("office_name"),
                )
                .join(offices, offices.c.id == enrolment_codes.c.office_id)
                .where(
                    enrolment_codes.c.code_hash
                    == sha256_hex(normalize_enrolment_code(request.code))
                )
            ).first()
            expires_at = as_utc(found.expires_at) if found is not None else None
            if found is None or expires_at is None or expires_at <= now:
                raise _invalid_code()
            # The answer to an enrolment can be lost on a rural link after the server
            # spent the code: the same PC may then try the same code again. It gets a
            # fresh token as long as the code is still valid, that PC's current enrolment
            # is the one this code made, and it has not been revoked since.
            used_at = as_utc(found.used_at)
            retry = used_at is not None and _same_enrolment_retry(
                conn, found.used_by_device_id, request.device_id, used_at
            )
            if used_at is not None and not retry:
                raise _invalid_code()
            if found.office_code != request.office_code:
                raise ApiError(
                    400,
                    ErrorCode.OFFICE_MISMATCH,
                    "این کد ثبت برای دفتر دیگری صادر شده است.",
                    "This enrolment code was issued for another office.",
                    {"office_code": Message("با کد ثبت نمی‌خواند.", "does not match the code.")},
                )
            # A device id belongs to the office it first enrolled in: a code of another
            # office must not move it (its PC would be cut off, and its sequence numbers
            # would show in the other office's answers). Nothing is touched or spent.
            enrolled_in = conn.execute(
                select(devices.c.office_id).where(devices.c.id == request.device_id)
            ).scalar()
            if enrolled_in is not None and enrolled_in != found.office_id:
                raise ApiError(
                    409,
                    ErrorCode.DEVICE_OF_ANOTHER_OFFICE,
                    "این رایانه در دفتر دیگری ثبت شده است؛ برای این دفتر شناسهٔ تازه لازم است.",
                    "This device id is enrolled in another office; enrol with a new device id.",
                    {
                        "device_id": Message(
                            "متعلق به دفتر دیگری است.", "belongs to another office."
                        )
                    },
                )
            holder = conn.execute(
                select(devices.c.id).where(
                    devices.c.office_id == found.office_id,
                    devices.c.counter_no == request.counter_no,
                    devices.c.revoked_at.is_(None),
                    devices.c.id != request.device_id,
                )
            ).first()
            if holder is not None:
                raise _counter_taken(request.counter_no)
            enrolled_at = as_utc(found.used_at) if retry else now
            if not retry:
                claimed = conn.execute(
                    update(enrolment_codes)
                    .where(
                        and_(enrolment_codes.c.id == found.id, enrolment_codes.c.used_at.is_(None))
                    )
                    .values(used_at=now, used_by_device_id=request.device_id)
                )
                if claimed.rowcount != 1:  # spent by a concurrent enrolment a moment ago
                    raise _invalid_code()
            values = {
                "office_id": found.office_id,
                "counter_no": request.counter_no,
                "name": request.device_name[:100],
                "token_hash": sha256_hex(token),
                "enrolled_at": enrolled_at,
                "revoked_at": None,
                "app_version": request.app_version[:40],
                "last_seen_at": now,
            }
            if enrolled_in is None:
                conn.execute(
                    insert(devices).values(
                        id=request.device_id,
                        queue_depth=0,
                        attention=0,
                        reported_last_seq=0,
                        seq_max=0,
                        seq_seen=0,
                        **values,
                    )
                )
            else:
                conn.execute(
                    update(devices).where(devices.c.id == request.device_id).values(**values)
                )
            return EnrolResponse(
                device_token=token,
                office_code=found.office_code,
                office_name=found.office_name,
                device_id=request.device_id,
                counter_no=request.counter_no,
            )
    except IntegrityError:
        # The partial unique index on (office, counter) lost a race with another enrolment.
        raise _counter_taken(request.counter_no) from None


def _same_enrolment_retry(
    conn: Connection, used_by: str | None, device_id: str, used_at: dt.datetime
) -> bool:
    if used_by != device_id:
        return False
    row = conn.execute(
        select(devices.c.enrolled_at, devices.c.revoked_at).where(devices.c.id == device_id)
    ).first()
    return (
        row is not None
        and row.revoked_at is None
        and row.enrolled_at is not None
        and as_utc(row.enrolled_at) == used_at
    )


def revoke_device(engine: Engine, device_id: str, *, now: dt.datetime) -> None:
    """Cut a device off: its token answers 401 from now on; its requests stay."""
    with write_tx(engine) as conn:
        result = conn.execute(
            update(devices)
            .where(devices.c.id == device_id, devices.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        if result.rowcount == 0:
            known = conn.execute(select(devices.c.id).where(devices.c.id == device_id)).first()
            if known is None:
                raise not_found(f"رایانهٔ {device_id} پیدا نشد.", f"Device {device_id} not found.")


def authenticate(engine: Engine, token: str) -> AuthDevice | None:
    """The active device holding ``token``, or None (unknown or revoked)."""
    with read_now(engine) as conn:
        row = conn.execute(
            select(devices.c.id, devices.c.office_id, devices.c.counter_no, offices.c.code)
            .join(offices, offices.c.id == devices.c.office_id)
            .where(devices.c.token_hash == sha256_hex(token), devices.c.revoked_at.is_(None))
        ).first()
    if row is None:
        return None
    return AuthDevice(
        id=row.id, office_id=row.office_id, office_code=row.code, counter_no=row.counter_no
    )
