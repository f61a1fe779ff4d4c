"""This installation's identity: the office it serves and this PC (device, counter number)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from desktop import audit
from desktop.audit import Action
from desktop.clock import Clock, utc_now
from desktop.db.engine import Store
from desktop.db.models import Device, Office
from rules.errors import UserFacingError
from rules.messages import Message
from rules.normalize import normalize_letters, to_ascii_digits


@dataclass(frozen=True)
class DeviceInfo:
    id: str
    office_code: str
    office_name: str
    counter_no: int
    name: str
    server_url: str | None
    enrolled: bool


class SetupError(UserFacingError):
    pass


def this_device(store: Store) -> DeviceInfo | None:
    with store.read() as s:
        row = s.execute(select(Device, Office).join(Office)).first()
        if row is None:
            return None
        device, office = row
        return DeviceInfo(
            device.id,
            office.code,
            office.name,
            device.counter_no,
            device.name,
            device.server_url,
            device.enrolled_at is not None,
        )


def initialise(
    store: Store,
    *,
    office_code: str,
    office_name: str,
    counter_no: int | str,
    device_name: str = "",
    clock: Clock = utc_now,
) -> DeviceInfo:
    """Record the office and this PC once. Requests are numbered per PC from here on."""
    code = to_ascii_digits(str(office_code)).strip()
    if not code.isdigit() or not 1 <= len(code) <= 8:
        raise SetupError(
            Message(
                fa="کد دفتر باید یک عدد تا ۸ رقمی باشد.",
                en="The office code is a number of up to 8 digits.",
            )
        )
    counter_text = to_ascii_digits(str(counter_no)).strip()
    if not counter_text.isdigit() or not 1 <= int(counter_text) <= 99:
        raise SetupError(
            Message(
                fa="شمارهٔ باجه عددی بین ۱ و ۹۹ است.", en="The counter number is between 1 and 99."
            )
        )
    name = normalize_letters(office_name)
    if not name:
        raise SetupError(Message(fa="نام دفتر را وارد کنید.", en="Enter the office name."))
    with store.write() as s:
        if s.scalar(select(Device.id)) is not None:
            raise SetupError(
                Message(fa="این رایانه قبلاً راه‌اندازی شده است.", en="This PC is already set up.")
            )
        s.add(Office(code=code, name=name))
        s.flush()  # no ORM relationship orders these two inserts: the office goes first
        device = Device(
            id=str(uuid.uuid4()),
            office_code=code,
            counter_no=int(counter_text),
            name=normalize_letters(device_name),
            next_seq=1,
            created_at=clock(),
        )
        s.add(device)
        s.flush()
        audit.record(
            s, Action.OFFICE_INITIALISED, at=clock(), office=code, counter=int(counter_text)
        )
    info = this_device(store)
    assert info is not None
    return info
