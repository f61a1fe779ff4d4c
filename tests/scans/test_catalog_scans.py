"""The catalogue's scan rules per document, and a missing or wrong scan as a field error."""

from __future__ import annotations

import copy
import dataclasses
import random
from typing import Any

import pytest

from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkInfo
from desktop.intake import Intake
from desktop.samples import sample_draft
from desktop.scans.attach import DocumentScan
from desktop.scans.budgets import ScanKind
from desktop.scans.shrink import JPEG, ShrunkPart
from rules import messages as m
from rules.catalog import (
    Catalog,
    CatalogError,
    ScanNeed,
    ValidationFailed,
    demo_catalog_path,
    load_catalog_file,
)
from tests.scans.scan_catalog import publish_with_scans


def _demo_doc() -> dict[str, Any]:
    return copy.deepcopy(load_catalog_file(demo_catalog_path()).to_document())


def test_scan_rules_parse_and_round_trip() -> None:
    doc = _demo_doc()
    doc["services"][0]["documents"][0].update(scan="required", scan_pages=2, scan_kind="photo")
    catalog = Catalog.from_document(doc)
    need = catalog.services[0].documents[0]
    assert (need.scan, need.scan_pages, need.scan_kind) == (ScanNeed.REQUIRED, 2, "photo")
    assert catalog.services[0].documents[1].scan is ScanNeed.NONE
    assert Catalog.from_document(catalog.to_document()) == catalog
    assert catalog.to_document() == doc


def test_a_catalogue_without_scans_keeps_its_exact_form() -> None:
    doc = _demo_doc()
    assert Catalog.from_document(doc).to_document() == doc
    assert all("scan" not in d for s in doc["services"] for d in s["documents"])


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"scan": "maybe"}, "documents[0].scan"),
        ({"scan": "required", "scan_pages": 0}, "documents[0].scan_pages"),
        ({"scan": "required", "scan_pages": 31}, "documents[0].scan_pages"),
        ({"scan": "required", "scan_pages": True}, "documents[0].scan_pages"),
        ({"scan": "optional", "scan_kind": "video"}, "documents[0].scan_kind"),
        ({"scans": "required"}, "unknown key(s) scans"),
    ],
)
def test_bad_scan_rules_are_refused_with_where(change: dict[str, object], where: str) -> None:
    doc = _demo_doc()
    doc["services"][0]["documents"][0].update(change)
    with pytest.raises(CatalogError) as e:
        Catalog.from_document(doc)
    assert where in str(e.value)


def _part(pages: int = 1) -> ShrunkPart:
    return ShrunkPart(JPEG, random.randbytes(2000), pages, 10, 10)


def test_missing_too_long_and_unexpected_scans_are_field_errors(
    intake: Intake, catalogs: CatalogStore, manager: ClerkInfo
) -> None:
    service = publish_with_scans(catalogs).service("self_employed_insurance")
    draft = sample_draft(service, random.Random(5))
    with pytest.raises(ValidationFailed) as caught:
        intake.save(manager, draft)
    assert caught.value.errors == {
        "scans.national_card": m.SCAN_MISSING.format(document=service.documents[0].label)
    }
    too_long = [DocumentScan("national_card", ScanKind.DOCUMENT, _part(2)) for _ in range(2)]
    stray = [DocumentScan("no_such_paper", ScanKind.DOCUMENT, _part())]
    with pytest.raises(ValidationFailed) as caught:
        intake.save(manager, dataclasses.replace(draft, scans=too_long + stray))
    errors = caught.value.errors
    assert set(errors) == {"scans.national_card", "scans.no_such_paper"}
    assert "4" in errors["scans.national_card"].en and "3" in errors["scans.national_card"].en
    assert "۴" in errors["scans.national_card"].fa
    ok = [DocumentScan("national_card", ScanKind.DOCUMENT, _part(3))]
    saved = intake.save(manager, dataclasses.replace(draft, scans=ok))
    assert saved.service_code == "self_employed_insurance"


def test_a_document_that_takes_no_scan_refuses_one(
    intake: Intake, catalogs: CatalogStore, manager: ClerkInfo
) -> None:
    service = catalogs.current().service("goods_voucher")  # the demo catalogue: no scans
    draft = sample_draft(service, random.Random(6))
    assert intake.save(manager, draft).service_code == "goods_voucher"
    with pytest.raises(ValidationFailed) as caught:
        intake.save(
            manager,
            dataclasses.replace(
                draft, scans=[DocumentScan("national_card", ScanKind.DOCUMENT, _part())]
            ),
        )
    assert list(caught.value.errors) == ["scans.national_card"]


def test_published_catalogue_with_scans_reaches_intake(catalogs: CatalogStore) -> None:
    catalog = publish_with_scans(catalogs)
    assert catalog.service("driving_licence").documents[1].scan_kind == "photo"
