"""The local store: models (db.models), engine and transactions (db.engine), migrations."""
