"""Release versions ("1.2.3"): parsing and ordering, with nothing else to import.

In rules: the PCs compare them (updates) and the server checks the centre's minimum
with the same parsing (server.cli)."""

from __future__ import annotations


def parse_version(text: str) -> tuple[int, ...]:
    """``"1.10.2"`` → ``(1, 10, 2)``; ValueError for anything that is not dotted numbers."""
    parts = text.strip().split(".")
    if not parts or not all(p.isascii() and p.isdigit() for p in parts):
        raise ValueError(f"not a release version: {text!r}")
    return tuple(int(p) for p in parts)


def is_newer(candidate: str, than: str) -> bool:
    return parse_version(candidate) > parse_version(than)
