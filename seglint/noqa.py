"""``--add-noqa``: add a ``# noqa: SEGxxx`` comment for each current finding, and change nothing else.

The comment goes where suppression reads it (:meth:`seglint.suppression.Comments.comment_line`): on the
finding's first line, or, when that line ends with a backslash or inside a string that goes on, at the
end of the last line it continues to. An existing ``# noqa: E501`` there gets the codes merged in
(``# noqa: E501, SEG001``); any other comment keeps its text and gets a ``# noqa`` after it. Only the
lines that receive a comment change, and only at their end: the newline and every other byte stay.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import defaultdict
from collections.abc import Iterable

from seglint.diagnostics import Diagnostic
from seglint.suppression import scan_comments

_NEWLINE = re.compile(r"\r\n|\r|\n")
# The code list of a noqa directive, to append to (it ends at the last code).
_NOQA_CODES = re.compile(r"#\s*noqa:\s*[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*", re.IGNORECASE)


def _comments_by_line(source: str) -> dict[int, tuple[int, str]]:
    """The comment token of each line: its start column and text."""
    found: dict[int, tuple[int, str]] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source, newline=None).readline):
            if token.type == tokenize.COMMENT:
                found[token.start[0]] = (token.start[1], token.string)
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def _with_codes(line: str, comment: tuple[int, str] | None, codes: list[str]) -> str:
    listed = ", ".join(codes)
    if comment is not None:
        start, text = comment
        directive = _NOQA_CODES.search(text)
        if directive is not None:
            at = start + directive.end()
            return f"{line[:at]}, {listed}{line[at:]}"
    return line.rstrip(" \t") + f"  # noqa: {listed}"


def add_noqa(source: str, diagnostics: Iterable[Diagnostic]) -> tuple[str, int]:
    """``source`` with a ``# noqa`` for each of ``diagnostics`` (findings of this text), and how many
    lines got one."""
    comments = scan_comments(source)
    wanted: dict[int, list[str]] = defaultdict(list)
    for diagnostic in diagnostics:
        line = comments.comment_line(diagnostic.span.line)
        if diagnostic.code not in wanted[line]:
            wanted[line].append(diagnostic.code)
    if not wanted:
        return source, 0
    existing = _comments_by_line(source)
    pieces = _NEWLINE.split(source)
    newlines = _NEWLINE.findall(source)
    for line, codes in wanted.items():
        if 1 <= line <= len(pieces):
            pieces[line - 1] = _with_codes(pieces[line - 1], existing.get(line), sorted(codes))
    joined = [piece + (newlines[i] if i < len(newlines) else "") for i, piece in enumerate(pieces)]
    return "".join(joined), len(wanted)
