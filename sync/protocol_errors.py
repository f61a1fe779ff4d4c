"""Why a protocol message was refused, in Persian and English, and which field it was.

msgspec says what is wrong in English with a JSON path (``Expected `int` >= 1 - at
`$.items[0].seq```); the protocol names fields the way the client and the clerk think of
them (``items.0.seq``, ``answers.amount``) and gives each reason in both languages. This
module turns the one into the other; it runs only for refused messages.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any

import msgspec

from rules.messages import Message


class ProtocolError(ValueError):
    """A message does not have the shape of protocol version 1; ``field`` names where.

    ``malformed`` is set when the bytes are not JSON at all (a lone surrogate escape, a cut
    body): the whole message is unreadable, not one of its fields."""

    def __init__(self, field_path: str, fa: str, en: str, *, malformed: bool = False) -> None:
        super().__init__(f"{field_path}: {en}")
        self.field = field_path
        self.reason = Message(fa, en)
        self.malformed = malformed


# Kept apart from sync.protocol's patterns to avoid an import cycle; the texts name them.
_PATTERN_REASONS: list[tuple[str, Message]] = [
    (
        "[0-9a-f]{8}-",
        Message("باید UUID با حروف کوچک باشد.", "must be a lower-case hyphenated UUID."),
    ),
    (
        "[0-9a-f]{64}",
        Message(
            "باید sha256 به صورت هگز با حروف کوچک باشد.", "must be a lower-case sha256 hex digest."
        ),
    ),
    (
        "A-Za-z0-9_-",
        Message(
            "باید ۱ تا ۱۶ حرف یا رقم لاتین باشد.", "must be 1 to 16 Latin letters, digits, - or _."
        ),
    ),
    (
        "T([01]",
        Message(
            "زمان باید به قالب ISO 8601 با منطقهٔ زمانی و میان سال‌های ۲۰۰۰ و ۲۰۹۹ باشد.",
            "must be an ISO 8601 time with a zone, in the years 2000 to 2099.",
        ),
    ),
    ("\\x00", Message("نباید نویسهٔ NUL داشته باشد.", "must not contain a NUL character.")),
]
_KINDS = {
    "int": ("عدد صحیح", "an integer"),
    "str": ("متن", "a string"),
    "object": ("یک شیء JSON", "a JSON object"),
    "array": ("فهرست", "a list"),
    "bool": ("درست/نادرست", "a boolean"),
    "float": ("عدد", "a number"),
    "null": ("تهی", "null"),
}
_PATH_PART = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[(\.\.\.)\]")
_AT = re.compile(r" - at `(?:key` in `)?(\$[^`]*)`$")
CALENDAR_ERROR = "not a date in the calendar: "
NUL_ERROR = "a NUL character in: "

R_REQUIRED = Message("این مقدار لازم است.", "is required.")
R_UNKNOWN = Message("این کلید شناخته نیست.", "is not a known field.")
R_ENUM = Message("مقدار مجاز نیست.", "is not one of the allowed values.")
R_CALENDAR = Message("این تاریخ در تقویم نیست.", "is not a date in the calendar.")
R_MALFORMED = Message("بدنهٔ درخواست JSON معتبر نیست.", "is not valid JSON.")
R_INVALID = Message("مقدار نادرست است.", "is not valid.")
R_NUL = Message("نباید نویسهٔ NUL داشته باشد.", "must not contain a NUL character.")


def _kind(expected: str) -> tuple[str, str]:
    first = expected.split(" | ")[0].strip("`")
    return _KINDS.get(first, ("مقدار درست", "a valid value"))


def _reason(text: str) -> Message:
    """A bilingual reason for one of msgspec's messages (the path already cut off)."""
    if text.startswith("Object missing required field"):
        return R_REQUIRED
    if text.startswith("Object contains unknown field"):
        return R_UNKNOWN
    if text.startswith("Invalid enum value"):
        return R_ENUM
    if text.startswith(CALENDAR_ERROR):
        return R_CALENDAR
    if text.startswith(NUL_ERROR):
        return R_NUL
    bound = re.match(r"Expected `([a-z]+)` (of length )?([<>]=) (\d+)", text)
    if bound:
        kind, length, op, number = bound.groups()
        n = int(number)
        if length and op == ">=" and n == 1:
            return Message("نباید خالی باشد.", "must not be empty.")
        if length and kind == "str":
            if op == "<=":
                return Message(f"حداکثر {n} نویسه مجاز است.", f"must be at most {n} characters.")
            return Message(f"دست‌کم {n} نویسه لازم است.", f"must be at least {n} characters.")
        if length:
            if op == "<=":
                return Message(f"حداکثر {n} مورد مجاز است.", f"must have at most {n} entries.")
            return Message(f"دست‌کم {n} مورد لازم است.", f"must have at least {n} entries.")
        if op == ">=":
            return Message(f"باید دست‌کم {n} باشد.", f"must be at least {n}.")
        return Message(f"باید حداکثر {n} باشد.", f"must be at most {n}.")
    if "matching regex" in text:
        for marker, reason in _PATTERN_REASONS:
            if marker in text:
                return reason
        return R_INVALID
    typed = re.match(r"Expected (`[^`]+`(?: \| `?[^`,]+`?)*), got", text)
    if typed:
        fa, en = _kind(typed.group(1))
        return Message(f"باید {fa} باشد.", f"must be {en}.")
    return R_INVALID


def _child_type(kind: Any, part: str | int) -> Any:
    """The declared type of ``kind``'s member ``part`` (a field, a list item, a dict value)."""
    while True:
        origin = typing.get_origin(kind)
        if origin is typing.Annotated:
            kind = typing.get_args(kind)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(kind) if a is not type(None)]
            kind = members[0] if members else Any
        else:
            break
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        return typing.get_type_hints(kind, include_extras=True).get(str(part), Any)
    args = typing.get_args(kind)
    if typing.get_origin(kind) is dict and len(args) == 2:
        return args[1]
    if typing.get_origin(kind) is list and args:
        return args[0]
    return Any


def _locate(data: Any, kind: Any, parts: list[str | int | None]) -> list[str]:
    """The path with each ``[...]`` (a dict value msgspec does not name) replaced by the
    key of the first value there that fails its type."""
    node: Any = data
    out: list[str] = []
    for part in parts:
        if part is None:
            value_type = _child_type(kind, "")
            if not isinstance(node, dict):
                break
            for key, value in node.items():
                try:
                    msgspec.convert(value, value_type)
                except msgspec.ValidationError:
                    out.append(str(key))
                    node, kind = value, value_type
                    break
            else:
                break
            continue
        out.append(str(part))
        kind = _child_type(kind, part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return out


def decode_error(
    exc: msgspec.ValidationError | msgspec.DecodeError,
    data: Any,
    kind: Any,
    *,
    whole: str = "body",
) -> ProtocolError:
    """The :class:`ProtocolError` for a refused message. ``data`` (the bytes, or None) lets
    a bad dict value be named by its key; ``whole`` names the message itself."""
    text = str(exc)
    if not isinstance(exc, msgspec.ValidationError):
        return ProtocolError(whole, R_MALFORMED.fa, R_MALFORMED.en, malformed=True)
    at = _AT.search(text)
    message = text[: at.start()] if at else text
    parts: list[str | int | None] = []
    if at:
        for name, index, ellipsis in _PATH_PART.findall(at.group(1)):
            if ellipsis:
                parts.append(None)  # a dict value: msgspec does not say which key
            else:
                parts.append(name or int(index))
    if None in parts and data is not None:
        try:
            loose = msgspec.json.decode(data) if isinstance(data, (bytes, str)) else data
        except msgspec.DecodeError:
            loose = None
        path = _locate(loose, kind, parts)
    else:
        path = [str(p) for p in parts if p is not None]
    named = re.match(r"Object (?:missing required|contains unknown) field `([^`]+)`", message)
    if named:
        path.append(named.group(1))
    for marker in (CALENDAR_ERROR, NUL_ERROR):
        if message.startswith(marker):
            path.append(message[len(marker) :])
    reason = _reason(message)
    return ProtocolError(".".join(path) or whole, reason.fa, reason.en)
