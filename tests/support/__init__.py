"""Helpers for tests and benchmarks that run for real on this machine (e.g. the fault proxy)."""
