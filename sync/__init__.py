"""Client side of synchronisation: wire protocol, HTTP client, push/pull engine (no Qt)."""
