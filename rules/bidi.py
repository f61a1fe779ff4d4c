"""Bidi isolation of identifiers shown inside text of either direction.

A reference ("1001-1-000027"), a tracking code, a card number, a mobile, a Sheba or a
national code is a left-to-right token. Inside a Persian sentence the Unicode bidi
algorithm reorders its runs of digits around the dashes and spaces, so the clerk reads
"000027-1-1001" and tells the citizen a wrong number. Wrapped in LEFT-TO-RIGHT ISOLATE
(U+2066) ... POP DIRECTIONAL ISOLATE (U+2069) the token is laid out on its own, left to
right, and the sentence around it is laid out as if it were one neutral character.

One helper, used by every place that shows such a token (the form's messages, the queue,
the detail view, the receipt, the printed day close), so a test can check them all by
looking for the isolates.
"""

from __future__ import annotations

LRI = "\u2066"  # LEFT-TO-RIGHT ISOLATE
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE


def ltr(token: str) -> str:
    """``token`` isolated as left to right; empty stays empty, and wrapping twice is once."""
    if not token or (token.startswith(LRI) and token.endswith(PDI)):
        return token
    return f"{LRI}{token}{PDI}"


def is_isolated(text: str, token: str) -> bool:
    """Whether ``token`` appears in ``text`` inside a left-to-right isolate."""
    return f"{LRI}{token}{PDI}" in text


def strip_isolates(text: str) -> str:
    """``text`` without the isolates (to copy a value, or compare with what is stored)."""
    return text.replace(LRI, "").replace(PDI, "")
