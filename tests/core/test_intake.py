"""Intake: saving, the gap-free sequence, outbox in the same transaction, corrections, audit."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.audit import Action
from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkInfo
from desktop.db.engine import Store
from desktop.errors import NotFoundError
from desktop.intake import Intake, RequestDraft
from desktop.queue import QueueFilter, QueueQueries
from desktop.samples import sample_draft
from desktop.states import State
from desktop.wire import request_item
from rules.catalog import ValidationFailed
from rules.errors import UserFacingError
from sync.protocol import content_hash, encode

ROOT = Path(__file__).resolve().parents[2]


def _db(store: Store) -> sqlite3.Connection:
    return sqlite3.connect(store.path)


def test_save_writes_request_history_outbox_and_audit_together(
    store: Store, intake: Intake, manager: ClerkInfo, catalogs: CatalogStore, rng: random.Random
) -> None:
    service = catalogs.current().service("smart_card")
    draft = sample_draft(service, rng)
    saved = intake.save(manager, draft)
    assert saved.seq == 1
    assert saved.reference == "1001-3-000001"
    con = _db(store)
    try:
        state, clerk_id, gov, office, vat, ver = con.execute(
            "SELECT state, clerk_id, government_fee, office_fee, vat, catalog_version"
            " FROM requests WHERE id = ?",
            (saved.id,),
        ).fetchone()
        assert (state, clerk_id) == (State.QUEUED, manager.id)
        assert (gov, office, vat) == (saved.fees.government, saved.fees.office, saved.fees.vat)
        assert vat == (office * service.fees.vat_percent + 50) // 100
        assert ver == catalogs.current().version
        assert con.execute(
            "SELECT attempts, seq FROM outbox WHERE request_id = ?", (saved.id,)
        ).fetchone() == (0, 1)
        assert con.execute(
            "SELECT state FROM request_state_changes WHERE request_id = ?", (saved.id,)
        ).fetchall() == [("queued",)]
        action, detail = con.execute(
            "SELECT action, detail FROM audit_events WHERE request_id = ?", (saved.id,)
        ).fetchone()
        assert action == Action.REQUEST_SAVED
        # The audit trail never holds the citizen's identity.
        assert draft.applicant["national_code"] not in detail
        assert draft.applicant["last_name"] not in detail
    finally:
        con.close()


def test_identifiers_are_normalised_before_storing(
    store: Store, intake: Intake, manager: ClerkInfo, catalogs: CatalogStore, rng: random.Random
) -> None:
    draft = sample_draft(catalogs.current().service("smart_card"), rng)
    persian = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    applicant = dict(draft.applicant)
    code = applicant["national_code"]
    applicant["national_code"] = code.translate(persian)
    applicant["mobile"] = "+98" + applicant["mobile"][1:].translate(persian)
    applicant["last_name"] = "كريمي"  # Arabic kaf and yeh
    saved = intake.save(
        manager,
        RequestDraft(draft.service_code, applicant, draft.answers, draft.documents, draft.card_ref),
    )
    con = _db(store)
    row = con.execute(
        "SELECT national_code, mobile, last_name FROM requests WHERE id = ?", (saved.id,)
    ).fetchone()
    con.close()
    assert row == (code, draft.applicant["mobile"], "کریمی")


def test_content_hash_matches_the_wire_item(
    store: Store, intake: Intake, manager: ClerkInfo, catalogs: CatalogStore, rng: random.Random
) -> None:
    saved = intake.save(manager, sample_draft(catalogs.current().services[2], rng))
    from desktop.db.models import Request

    with store.read() as s:
        req = s.query(Request).filter_by(id=saved.id).one()
        item = request_item(req)
    assert item.hash_matches()
    assert item.fees["office"] == saved.fees.office
    assert content_hash(json.loads(encode(item))) == item.content_hash  # as sent


def test_invalid_draft_saves_nothing_and_uses_no_number(
    store: Store, intake: Intake, manager: ClerkInfo, catalogs: CatalogStore, rng: random.Random
) -> None:
    good = sample_draft(catalogs.current().service("smart_card"), rng)
    bad = RequestDraft(
        good.service_code, {**good.applicant, "national_code": "0013542418"}, good.answers, [], "12"
    )
    with pytest.raises(ValidationFailed) as info:
        intake.save(manager, bad)
    assert {"applicant.national_code", "documents", "card_ref"} <= set(info.value.errors)
    assert intake.save(manager, good).seq == 1


def test_unknown_service_is_a_field_error(intake: Intake, manager: ClerkInfo) -> None:
    with pytest.raises(ValidationFailed) as info:
        intake.save(manager, RequestDraft("no_such_service", {}, {}, []))
    assert "service" in info.value.errors


def test_correction_supersedes_and_original_stays(
    store: Store, intake: Intake, manager: ClerkInfo, catalogs: CatalogStore, rng: random.Random
) -> None:
    service = catalogs.current().service("postal_parcel")
    original = intake.save(manager, sample_draft(service, rng))
    fixed = intake.correct(manager, original.id, sample_draft(service, rng))
    assert fixed.supersedes == original.id and fixed.seq == 2
    queries = QueueQueries(store)
    detail = queries.detail(original.id)
    assert detail is not None and detail.superseded_by == fixed.id
    again = queries.detail(fixed.id)
    assert again is not None and again.supersedes == original.id
    queries.close()
    with pytest.raises(UserFacingError, match="already corrected"):
        intake.correct(manager, original.id, sample_draft(service, rng))
    with pytest.raises(NotFoundError):
        intake.correct(manager, "00000000-0000-4000-8000-000000000000", sample_draft(service, rng))
    con = _db(store)
    actions = [r[0] for r in con.execute("SELECT action FROM audit_events ORDER BY id")]
    con.close()
    assert actions.count(Action.REQUEST_CORRECTED) == 1


def test_returning_applicant_is_offered_last_details(
    intake: Intake, manager: ClerkInfo, catalogs: CatalogStore, rng: random.Random
) -> None:
    service = catalogs.current().service("smart_card")
    first = sample_draft(service, rng)
    intake.save(manager, first)
    hint = intake.returning_applicant(
        first.applicant["national_code"].translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    )
    assert hint is not None
    assert (hint.last_name, hint.mobile) == (
        first.applicant["last_name"],
        first.applicant["mobile"],
    )
    assert intake.returning_applicant("0499370899") is None


def test_queue_search_finds_by_every_key(
    store: Store, intake: Intake, manager: ClerkInfo, catalogs: CatalogStore, rng: random.Random
) -> None:
    services = catalogs.current().services
    saved = [
        intake.save(manager, sample_draft(services[i % len(services)], rng)) for i in range(30)
    ]
    target = saved[17]
    queries = QueueQueries(store)
    row = queries.rows([target.local_id])[target.local_id]
    persian = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    for text_ in (
        row.national_code.translate(persian),
        row.reference,
        row.mobile,
        row.last_name[:3],
    ):
        ids = queries.ids(QueueFilter(text=text_))
        assert target.local_id in ids, text_
    assert list(queries.ids())[:2] == [saved[-1].local_id, saved[-2].local_id]
    assert len(queries.ids(QueueFilter(states=frozenset({"accepted"})))) == 0
    assert queries.backlog().waiting == 30
    queries.close()


def test_two_programs_saving_at_once_share_one_gap_free_sequence(
    store: Store, manager: ClerkInfo, data_dir: Path
) -> None:
    """The counter and a scripted command on one PC: numbers never collide, never skip."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.support.saver", str(data_dir), str(seed), "40"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    seqs: list[int] = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        lines = out.splitlines()
        assert lines[0] == "ready"
        seqs += [int(line.split()[0]) for line in lines[1:]]
    assert sorted(seqs) == list(range(1, 81))


def test_a_national_code_starting_with_09_is_searched_as_a_national_code(
    store: Store, intake: Intake, manager: ClerkInfo, catalogs: CatalogStore, rng: random.Random
) -> None:
    """Codes of the Mashhad region start with 09: they are not mobiles (11 digits)."""
    draft = sample_draft(catalogs.current().service("smart_card"), rng)
    body = [0, 9] + [rng.randrange(10) for _ in range(7)]
    total = sum(d * (10 - i) for i, d in enumerate(body)) % 11
    code = "".join(map(str, body)) + str(total if total < 2 else 11 - total)
    saved = intake.save(
        manager,
        RequestDraft(
            draft.service_code,
            {**draft.applicant, "national_code": code},
            draft.answers,
            draft.documents,
            draft.card_ref,
        ),
    )
    queries = QueueQueries(store)
    try:
        assert list(queries.ids(QueueFilter(text=code))) == [saved.local_id]
        mobile = draft.applicant["mobile"]
        assert list(queries.ids(QueueFilter(text="+98" + mobile[1:]))) == [saved.local_id]
    finally:
        queries.close()
