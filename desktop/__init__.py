"""Pishkhan counter program: the application core (no Qt)."""

__version__ = "0.1.0"
