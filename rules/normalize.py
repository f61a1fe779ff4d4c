"""Normalisation of what the clerk types or pastes, before anything is validated or stored.

Two kinds of input, two rules:
- free text (names, addresses) keeps the clerk's digits as typed but gets one spelling of
  the letters: Arabic ي/ى/ك become Persian ی/ک, tatweel goes, spaces are tidied; the
  zero-width non-joiner (نیم‌فاصله, U+200C) stays because it is part of Persian spelling;
- identifiers (national code, mobile, card, Sheba, postal code) become plain ASCII digits with
  no spaces, dashes, dots or the invisible direction marks that copy-paste brings along.
"""

from __future__ import annotations

import re
import unicodedata

from persiantools import digits as _digits

# Arabic letters that Windows' Arabic keyboard layout and old systems put in Persian text.
# persiantools.characters.ar_to_fa would also silently drop a kasra after six letters (دِ → د),
# which is not ours to decide in a citizen's name, so letters use this explicit table.
_LETTERS = str.maketrans(
    {
        "ي": "ی",  # U+064A ARABIC LETTER YEH
        "ى": "ی",  # U+0649 ARABIC LETTER ALEF MAKSURA
        "ك": "ک",  # U+0643 ARABIC LETTER KAF
        "ـ": None,  # U+0640 TATWEEL: stretches a word on screen, never part of it
        "\u00a0": " ",  # NO-BREAK SPACE
        "\u202f": " ",  # NARROW NO-BREAK SPACE
        "\t": " ",
    }
)
_SPACE_RUNS = re.compile(r" {2,}")
_SPACE_AROUND_NEWLINE = re.compile(r" *\n *")

# Invisible characters copy-paste brings from web pages, SMS and PDFs: direction marks and
# embeddings/isolates, zero-width space/joiners and the byte-order mark. In an identifier they
# are never meant; in free text they are left alone (the ZWNJ is spelling there).
BIDI_AND_ZERO_WIDTH = (
    "\u200b\u200c\u200d\u200e\u200f"  # ZWSP, ZWNJ, ZWJ, LRM, RLM
    "\u202a\u202b\u202c\u202d\u202e"  # LRE, RLE, PDF, LRO, RLO
    "\u2066\u2067\u2068\u2069"  # LRI, RLI, FSI, PDI
    "\u061c\ufeff"  # ARABIC LETTER MARK, BOM / ZERO WIDTH NO-BREAK SPACE
)
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_DOTS = ".\u06d4\u2024\uff0e"  # full stop, Arabic full stop, one-dot leader, fullwidth
# Persian (۰-۹) and Arabic-Indic (٠-٩) digits to ASCII in one pass: what persiantools'
# fa_to_en(ar_to_fa(s)) does in two.
_ASCII_DIGITS = {ord(fa): ord("0") + i for i, fa in enumerate("۰۱۲۳۴۵۶۷۸۹")}
_ASCII_DIGITS.update({ord(ar): ord("0") + i for i, ar in enumerate("٠١٢٣٤٥٦٧٨٩")})
# Identifiers: digits to ASCII and the noise dropped, one translate instead of three.
_IDENTIFIER = {
    **_ASCII_DIGITS,
    **str.maketrans(dict.fromkeys(BIDI_AND_ZERO_WIDTH + _DASHES + _DOTS)),
}
# Built once: strip_invisible runs on every field of every form (and of every pushed item
# on the server); making the table per call was ~9% of the server's push CPU (bench/).
_INVISIBLE = str.maketrans(dict.fromkeys(BIDI_AND_ZERO_WIDTH))
_WHITESPACE = re.compile(r"\s+")
# The fast paths below skip work that cannot change the text: ASCII text has no Persian
# digits and no invisible marks (they run on every field of every pushed item, server CPU).


def to_ascii_digits(s: str) -> str:
    """Persian (۰-۹) and Arabic-Indic (٠-٩) digits to ASCII 0-9; everything else unchanged."""
    if s.isascii():
        return s
    return s.translate(_ASCII_DIGITS)


def to_persian_digits(s: str) -> str:
    """ASCII and Arabic-Indic digits to Persian ۰-۹, for showing numbers in Persian text."""
    return _digits.en_to_fa(_digits.ar_to_fa(s))


def normalize_letters(s: str) -> str:
    """One spelling for free text: ي/ى→ی, ك→ک, no tatweel, tidy spaces; keeps ZWNJ and digits.

    No-break and tab characters become spaces, runs of spaces collapse to one, spaces at the
    ends and around line breaks go. ة is a letter of its own in Persian names and stays.
    """
    if "\r" in s:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = s.translate(_LETTERS)
    if "  " in s:
        s = _SPACE_RUNS.sub(" ", s)
    if "\n" in s:
        s = _SPACE_AROUND_NEWLINE.sub("\n", s)
    return s.strip()


def normalize_text(s: str) -> str:
    """Free text as stored: letters normalised, digits exactly as the clerk typed them."""
    return normalize_letters(s)


def strip_invisible(s: str) -> str:
    """Remove direction marks, zero-width characters and the BOM (see BIDI_AND_ZERO_WIDTH)."""
    if s.isascii():
        return s
    return s.translate(_INVISIBLE)


def normalize_identifier(s: str) -> str:
    """An identifier as typed or pasted, reduced to its characters: ASCII digits, no spaces,
    dashes, dots or invisible marks. Letters (the IR of a Sheba) are kept as they are."""
    if s.isascii():
        if s.isalnum():  # the usual case: digits (and the IR of a Sheba) only
            return s
        s = s.replace("-", "").replace(".", "")  # the only ASCII noise (_DASHES, _DOTS)
    else:
        s = s.translate(_IDENTIFIER)
    if s.isalnum():  # no whitespace left to remove
        return s
    return _WHITESPACE.sub("", s)


# Refused in free text (rules.validation.check_text): C0/C1 controls (NUL, line breaks:
# every text field of a form is one line; tabs became spaces in normalize_letters) and
# lone surrogates, which no keyboard types and which SQLite, printers and JSON on the
# other side cannot all carry. Format characters (ZWNJ, direction marks) are Persian
# spelling or pasted noise, and stay.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})


def has_control_characters(text: str) -> bool:
    """True if ``text`` holds a control character or a lone surrogate."""
    return any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in text)
