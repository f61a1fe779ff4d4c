"""The core tests' store fixtures (a real SQLite file in tmp_path) for the scan tests."""

from tests.core.conftest import catalogs, clerks, data_dir, intake, manager, rng, store

__all__ = ["catalogs", "clerks", "data_dir", "intake", "manager", "rng", "store"]
