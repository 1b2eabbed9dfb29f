"""Where values lie in a JSON text, and how a JSON string's characters map to the text that stores them.

Python's ``json`` module gives values, not positions. A notebook's cells are found by walking the text
of a document that ``json.loads`` has already accepted: the members of an object and the items of an
array are stepped over with the C decoder (``raw_decode``), and only the values asked for are kept,
with their offsets. A kept string also keeps its raw token (quotes and escapes), so a position in
its decoded value maps to a position in the file, and a changed value can be written back by
replacing only the characters that changed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_SIMPLE_ESCAPES = {'"': 1, "\\": 1, "/": 1, "b": 1, "f": 1, "n": 1, "r": 1, "t": 1}


@dataclass(frozen=True)
class StringToken:
    """A JSON string in a text: ``start`` is the offset of its opening quote, ``end`` the offset just
    after its closing quote; ``value`` is what it decodes to."""

    start: int
    end: int
    value: str

    def raw_offset(self, text: str, index: int) -> int:
        """The offset in ``text`` of the character that stores ``value[index]`` (its escape, if it
        is escaped); ``index == len(value)`` is the closing quote."""
        position = self.start + 1
        for _ in range(index):
            position += escape_length(text, position)
        return position


def escape_length(text: str, position: int) -> int:
    """How many characters of ``text`` from ``position`` store one decoded character of a JSON string
    (a surrogate pair written as two ``\\u`` escapes decodes to one character)."""
    if text[position] != "\\":
        return 1
    kind = text[position + 1]
    if kind in _SIMPLE_ESCAPES:
        return 2
    code = int(text[position + 2 : position + 6], 16)
    if 0xD800 <= code < 0xDC00 and text.startswith("\\u", position + 6):
        low = int(text[position + 8 : position + 12], 16)
        if 0xDC00 <= low < 0xE000:
            return 12
    return 6


def skip_whitespace(text: str, position: int) -> int:
    return _WHITESPACE.match(text, position).end()  # type: ignore[union-attr]


def value_end(text: str, position: int) -> int:
    """The offset just after the JSON value that starts at ``position``."""
    return _DECODER.raw_decode(text, position)[1]


def string_at(text: str, position: int) -> StringToken:
    """The JSON string whose opening quote is at ``position``."""
    value, end = json.decoder.scanstring(text, position + 1)
    return StringToken(position, end, value)


def object_members(text: str, position: int) -> dict[str, int]:
    """The offset of each member's value in the JSON object that starts at ``position`` (for a key
    given twice, the last, as ``json.loads`` keeps)."""
    members: dict[str, int] = {}
    position = skip_whitespace(text, position + 1)
    if text[position] == "}":
        return members
    while True:
        key = string_at(text, position)
        position = skip_whitespace(text, key.end)  # at the colon
        start = skip_whitespace(text, position + 1)
        members[key.value] = start
        position = skip_whitespace(text, value_end(text, start))
        if text[position] == "}":
            return members
        position = skip_whitespace(text, position + 1)  # past the comma


def array_items(text: str, position: int) -> list[int]:
    """The offset of each item of the JSON array that starts at ``position``."""
    items: list[int] = []
    position = skip_whitespace(text, position + 1)
    if text[position] == "]":
        return items
    while True:
        items.append(position)
        position = skip_whitespace(text, value_end(text, position))
        if text[position] == "]":
            return items
        position = skip_whitespace(text, position + 1)


def encode_string(value: str, *, ensure_ascii: bool) -> str:
    """``value`` as a JSON string token, in the notebook's own style for non-ASCII characters."""
    return json.dumps(value, ensure_ascii=ensure_ascii)
