"""Fixtures for core tests: a real SQLite store in tmp_path, set up like a new office."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkDirectory, ClerkInfo
from desktop.db.engine import Store
from desktop.intake import Intake
from desktop.office import initialise

PASSWORD = "correct-horse"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    st = Store.open(data_dir)
    initialise(st, office_code="1001", office_name="دفتر پیشخوان ۱۰۰۱", counter_no=3)
    CatalogStore(st).ensure_seeded()
    yield st
    st.close()


@pytest.fixture
def catalogs(store: Store) -> CatalogStore:
    return CatalogStore(store)


@pytest.fixture
def clerks(store: Store) -> ClerkDirectory:
    return ClerkDirectory(store, lockout_attempts=3, lockout_minutes=5)


@pytest.fixture
def manager(clerks: ClerkDirectory) -> ClerkInfo:
    return clerks.create_manager("modir", "مدیر دفتر", PASSWORD)


@pytest.fixture
def intake(store: Store, catalogs: CatalogStore) -> Intake:
    return Intake(store, catalogs)


@pytest.fixture
def rng() -> random.Random:
    return random.Random(1234)
