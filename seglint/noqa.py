"""``--add-noqa``: add a ``# noqa: SEGxxx`` comment for each current finding, and change nothing else.

The comment goes where suppression reads it (:meth:`seglint.suppression.Comments.comment_line`): on the
finding's first line, or, when that line ends with a backslash or inside a string that goes on, at the
end of the last line it continues to. An existing ``# noqa: E501`` there gets the codes merged in
(``# noqa: E501, SEG001``); any other comment keeps its text and gets a ``# noqa`` after it. Only the
lines that receive a comment change, and only at their end: the newline and every other byte stay.

In a notebook the comments go into the cells' sources (a finding's line counts the lines of its cell),
spliced into the JSON text as ``--fix`` writes it: nothing outside those lines changes.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import defaultdict
from collections.abc import Iterable

from seglint.diagnostics import Diagnostic, FileError
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


def add_noqa(source: str, diagnostics: Iterable[Diagnostic], *, python: str | None = None) -> tuple[str, int]:
    """``source`` with a ``# noqa`` for each of ``diagnostics`` (findings of this text), and how many
    lines got one. ``python``: the text to tokenize, when ``source`` is not all Python (a notebook
    cell with magics: its Python, line for line the same)."""
    python = source if python is None else python
    comments = scan_comments(python)
    wanted: dict[int, list[str]] = defaultdict(list)
    for diagnostic in diagnostics:
        line = comments.comment_line(diagnostic.span.line)
        if diagnostic.code not in wanted[line]:
            wanted[line].append(diagnostic.code)
    if not wanted:
        return source, 0
    existing = _comments_by_line(python)
    pieces = _NEWLINE.split(source)
    newlines = _NEWLINE.findall(source)
    for line, codes in wanted.items():
        if 1 <= line <= len(pieces):
            pieces[line - 1] = _with_codes(pieces[line - 1], existing.get(line), sorted(codes))
    joined = [piece + (newlines[i] if i < len(newlines) else "") for i, piece in enumerate(pieces)]
    return "".join(joined), len(wanted)


def add_notebook_noqa(
    text: str, diagnostics: Iterable[Diagnostic], *, path: str
) -> tuple[str, int] | FileError:
    """The notebook whose JSON text is ``text`` with a ``# noqa`` for each of ``diagnostics`` (found in
    its cells) in the cell's source, and how many lines got one; the FileError of a text that is not a
    notebook (any more)."""
    from seglint.notebook.magics import python_source
    from seglint.notebook.reader import read_notebook
    from seglint.notebook.splice import splice_sources

    notebook = read_notebook(text, path)
    if isinstance(notebook, FileError):
        return notebook
    by_cell: dict[int, list[Diagnostic]] = defaultdict(list)
    for diagnostic in diagnostics:
        if diagnostic.notebook is not None:
            by_cell[diagnostic.notebook.cell].append(diagnostic)
    sources: dict[int, str] = {}
    added = 0
    for cell in notebook.cells:
        if cell.is_code and cell.number in by_cell:
            sources[cell.number], count = add_noqa(
                cell.source, by_cell[cell.number], python=python_source(cell.source)
            )
            added += count
    return splice_sources(notebook, sources), added
