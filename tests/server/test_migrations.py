"""Server migration 0002: tracking numbers per office, and the codes already handed out."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from server.catalogs import CatalogCache, ensure_catalog
from server.db import alembic_config, make_engine, migrate
from server.feed import ensure_cursor_key
from sync.protocol import ItemStatus, PushResponse
from tests.server.conftest import NOW, enrolled_device, push_items
from tests.support.server import sample_item


def test_codes_from_before_stay_valid_and_new_ones_go_above(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        cfg = alembic_config()
        with engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0001")
            conn.commit()
        ensure_cursor_key(engine)
        ensure_catalog(engine, now=NOW)
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO offices (code, name, created_at) VALUES ('1001', 'x', :t)"),
                {"t": NOW},
            )
        device = enrolled_device(engine, "1001", 1)
        old = sample_item("1001", 1, created_at=NOW)
        with engine.begin() as conn:  # stored under 0001: numbered by the national key, 41
            conn.execute(
                text(
                    "INSERT INTO requests (pk, id, office_id, device_id, seq, reference, clerk,"
                    " service_code, catalog_version, content_hash, payload, tracking_code,"
                    " state, created_at, received_at, state_changed_at) VALUES (41, :id,"
                    " :office, :device, 1, 'r', 'c', 'bill_payment', 1, :hash, '{}',"
                    " 'PK-1001-0000000041', 'accepted', :t, :t, :t)"
                ),
                {
                    "id": old["id"],
                    "office": device.office_id,
                    "device": device.id,
                    "hash": old["content_hash"],
                    "t": NOW,
                },
            )
        migrate(engine)
        answer: PushResponse = push_items(
            engine, CatalogCache(), device, [old, sample_item("1001", 2, created_at=NOW)]
        )
        [again, new] = answer.results
        assert (again.status, again.tracking_code) == (ItemStatus.DUPLICATE, "PK-1001-0000000041")
        assert (new.status, new.tracking_code) == (ItemStatus.ACCEPTED, "PK-1001-0000000042")
    finally:
        engine.dispose()
