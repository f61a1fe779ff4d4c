"""Demo data: an office, its manager and a clerk, and requests in every state.

Used by ``python3 dev.py run`` (first start), ``--screenshot`` and the tests.
Requests go through the real intake path; only their lifecycle (accepted,
completed, ...) is set directly, as the sync would.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from sqlalchemy import update

from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkDirectory, ClerkInfo
from desktop.clock import Clock, utc_now
from desktop.db.engine import Store
from desktop.db.models import OutboxEntry, Request, RequestStateChange
from desktop.intake import Intake
from desktop.office import SetupForm, set_up, this_device
from desktop.samples import sample_draft
from desktop.states import State

DEMO_OFFICE_CODE = "1001"
DEMO_OFFICE_NAME = "دفتر پیشخوان خدمات دولت ۱۰۰۱ — کرج"
DEMO_MANAGER = "modir"
DEMO_CLERK = "karmand"
DEMO_PASSWORD = "pishkhan-demo"

_LIFECYCLE = (
    (State.COMPLETED, None, None),
    (State.ACCEPTED, None, None),
    (
        State.NEEDS_CORRECTION,
        "تصویر کارت ملی خوانا نیست؛ دوباره اسکن شود.",
        "The national card scan is unreadable; scan it again.",
    ),
    (State.REJECTED, "متقاضی مشمول این خدمت نیست.", "The applicant is not eligible."),
)


def seed_demo(
    store: Store,
    *,
    requests: int = 120,
    seed: int = 7,
    settled: bool = True,
    clock: Clock = utc_now,
) -> ClerkInfo:
    """Fill a store with demo data; returns the demo clerk.

    ``settled``: give the older requests a server lifecycle (for an offline
    demo or screenshot). Without it every request waits in the queue, so a
    program enrolled with a local server shows them go queued → accepted.
    """
    clerks = ClerkDirectory(store, clock=clock)
    if not clerks.has_any():  # set up as a new office would be (desktop.office.set_up)
        manager = set_up(
            store,
            SetupForm(
                office_code=DEMO_OFFICE_CODE,
                office_name=DEMO_OFFICE_NAME,
                counter_no="1",
                manager_username=DEMO_MANAGER,
                manager_name="مدیر دفتر",
                password=DEMO_PASSWORD,
                device_name="باجه ۱",
            ),
            clock=clock,
            directory=clerks,
        ).manager
        clerks.add_clerk(manager, DEMO_CLERK, "سارا کریمی", DEMO_PASSWORD)
    catalogs = CatalogStore(store, clock=clock)
    catalogs.ensure_seeded()
    clerk = next(c for c in clerks.list() if c.username == DEMO_CLERK)
    rng = random.Random(seed)
    catalog = catalogs.current()
    services = catalog.active_services()
    start = clock() - dt.timedelta(days=6)
    step = dt.timedelta(days=6) / max(requests, 1)
    for i in range(requests):
        moment = start + step * i
        intake = Intake(store, catalogs, clock=_fixed(moment))
        saved = intake.save(clerk, sample_draft(rng.choice(services), rng))
        # The oldest two thirds have been through the central office already.
        if settled and i < requests * 2 // 3:
            state, reason_fa, reason_en = _LIFECYCLE[i % len(_LIFECYCLE)]
            _settle(store, saved.id, state, reason_fa, reason_en, moment, i)
    return clerk


def _fixed(moment: dt.datetime) -> Clock:
    def clock() -> dt.datetime:
        return moment

    return clock


def _settle(
    store: Store,
    request_id: str,
    state: State,
    reason_fa: str | None,
    reason_en: str | None,
    at: dt.datetime,
    n: int,
) -> None:
    later = at + dt.timedelta(minutes=5)
    with store.write() as s:
        s.execute(
            update(Request)
            .where(Request.id == request_id)
            .values(
                state=state,
                reason_fa=reason_fa,
                reason_en=reason_en,
                tracking_code=f"PK-{DEMO_OFFICE_CODE}-{n + 1:010d}",
                updated_at=later,
            )
        )
        s.execute(
            update(OutboxEntry)
            .where(OutboxEntry.request_id == request_id)
            .values(done_at=later, attempts=1, last_attempt_at=later)
        )
        s.add(
            RequestStateChange(
                request_id=request_id, state=State.ACCEPTED, source="server", at=later
            )
        )
        if state != State.ACCEPTED:
            s.add(
                RequestStateChange(
                    request_id=request_id,
                    state=state,
                    reason_fa=reason_fa,
                    reason_en=reason_en,
                    source="server",
                    at=later + dt.timedelta(hours=2),
                )
            )


def demo_data_dir(base: Path, *, requests: int = 120, settled: bool = True) -> Path:
    """A data folder with demo data in ``base`` (created if empty)."""
    store = Store.open(base)
    try:
        if this_device(store) is None:
            seed_demo(store, requests=requests, settled=settled)
    finally:
        store.close()
    return base
