"""The scans on the wire: covered by the content hash, absent (as in 1.0) when there are none."""

from __future__ import annotations

import json
import random

import msgspec
import pytest

from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkInfo
from desktop.db.engine import Store
from desktop.intake import Intake
from desktop.outbox import StoreQueue
from sync.protocol import ProtocolError, RequestItem, content_hash, decode, encode
from tests.scans.scan_catalog import publish_with_scans
from tests.scans.test_uploads import _save_with_scans


def test_a_pushed_item_names_its_scans_and_its_hash_covers_them(
    store: Store, intake: Intake, manager: ClerkInfo
) -> None:
    rng = random.Random(5)
    with_scans = _save_with_scans(store, intake, manager, rng, [1_000, 2_000])
    (item,) = StoreQueue(store).next_batch(10)
    assert item.id == with_scans and item.hash_matches()
    assert [(s.document, s.size, s.pages) for s in item.scans or ()] == [
        ("national_card", 1_000, 1),
        ("national_card", 2_000, 1),
    ]
    swapped = msgspec.structs.replace(item, scans=list(reversed(item.scans or ())))
    assert not swapped.hash_matches()  # the order and the blobs are part of the content
    assert not msgspec.structs.replace(item, scans=None).hash_matches()
    # The plain-mapping hash (the server's other path) agrees.
    assert content_hash(json.loads(encode(item))) == item.content_hash


def test_an_item_without_scans_encodes_and_hashes_as_protocol_1_0(
    store: Store, intake: Intake, manager: ClerkInfo
) -> None:
    catalog = publish_with_scans(CatalogStore(store))
    from desktop.samples import sample_draft

    service = next(s for s in catalog.active_services() if not s.documents)
    intake.save(manager, sample_draft(service, random.Random(6)))
    (item,) = StoreQueue(store).next_batch(10)
    wire = json.loads(encode(item))
    assert "scans" not in wire and item.scans is None
    assert content_hash(wire) == item.content_hash == item.computed_hash()


@pytest.mark.parametrize(
    ("scan", "field"),
    [
        ({"document": "national_card", "sha256": "AB" * 32, "size": 1, "pages": 1}, "sha256"),
        ({"document": "national_card", "sha256": "ab" * 32, "size": 0, "pages": 1}, "size"),
        ({"document": "national_card", "sha256": "ab" * 32, "size": 1 << 25, "pages": 1}, "size"),
        ({"document": "national_card", "sha256": "ab" * 32, "size": 1, "pages": 0}, "pages"),
        ({"document": "", "sha256": "ab" * 32, "size": 1, "pages": 1}, "document"),
    ],
)
def test_a_bad_scan_reference_is_refused_by_the_protocol_type(
    store: Store, intake: Intake, manager: ClerkInfo, scan: dict[str, object], field: str
) -> None:
    _save_with_scans(store, intake, manager, random.Random(7), [500])
    (item,) = StoreQueue(store).next_batch(10)
    wire = json.loads(encode(item))
    wire["scans"] = [scan]
    with pytest.raises(ProtocolError, match=field):
        decode(json.dumps(wire).encode(), RequestItem)
