"""Drop findings suppressed by a comment on their first line.

Recognised comments (anywhere in a real comment, so they combine with others such as
``# type: ignore  # noqa: SEG001``):

- ``# noqa`` suppresses every finding on the line;
- ``# noqa: SEG001, SEG002`` (or ``# noqa:SEG001 SEG002``; "noqa" in any case) suppresses those codes;
  a ``# noqa`` listing only other tools' codes (``# noqa: E501``) suppresses nothing of ours;
- ``# seglint: ignore`` suppresses everything, ``# seglint: ignore[SEG001, SEG003]`` those codes.

With ``noqa=False`` only the ``# seglint: ignore`` comments count (the flake8 plugin: flake8 reads
``noqa`` itself, and ``--disable-noqa`` must show what it hides).

Only comments count: the source is tokenized, so ``"# noqa"`` inside a string does nothing. The
tokenizer only runs when there is a finding and the text mentions ``noqa`` or ``seglint`` at all.

A line that cannot end in a comment (it ends with a backslash, or inside a triple-quoted string that
goes on) takes its comment at the end of the last line it continues to, as ruff does for ``noqa``:
:func:`comment_line` says where, for suppression and for ``--add-noqa`` alike.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass

from seglint.diagnostics import Diagnostic

_CODE_LIST = r"[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*"
_NOQA = re.compile(rf"#\s*noqa(?![\w-])(?::\s*(?P<codes>{_CODE_LIST})|(?P<colon>:))?", re.IGNORECASE)
_SEGLINT = re.compile(rf"#\s*seglint:\s*ignore(?![\w-])(?P<bracket>\[\s*(?P<codes>{_CODE_LIST})?\s*,?\s*\])?")
_SPLIT = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class LineSuppression:
    """What the comments on one line suppress: everything, or the listed codes."""

    all_codes: bool = False
    codes: frozenset[str] = frozenset()

    def covers(self, code: str) -> bool:
        return self.all_codes or code in self.codes


def parse_comment(comment: str, *, noqa: bool = True) -> LineSuppression:
    """The suppression one comment token (``# ...``) expresses; empty when it expresses none.
    ``noqa=False``: ``# seglint: ignore`` only."""
    all_codes = False
    codes: set[str] = set()
    for match in _NOQA.finditer(comment) if noqa else ():
        if match.group("codes"):
            codes.update(c.upper() for c in _SPLIT.split(match.group("codes")) if c)
        elif not match.group("colon"):
            # a bare noqa; a noqa colon with no readable code after it suppresses nothing.
            all_codes = True
    for match in _SEGLINT.finditer(comment):
        if match.group("codes"):
            codes.update(c.upper() for c in _SPLIT.split(match.group("codes")) if c)
        elif not match.group("bracket"):
            all_codes = True  # "# seglint: ignore[]" names nothing and suppresses nothing
    return LineSuppression(all_codes, frozenset(codes))


@dataclass(frozen=True)
class Comments:
    """What the tokenizer found: suppressions by 1-based line, and the lines that continue onto the
    next one (a backslash at their end, or a string that goes on)."""

    by_line: dict[int, LineSuppression]
    continued: frozenset[int]

    def comment_line(self, line: int) -> int:
        """The line whose comment speaks for ``line``: itself, or the end of what it continues to."""
        while line in self.continued:
            line += 1
        return line

    def covers(self, diagnostic: Diagnostic) -> bool:
        for line in {diagnostic.span.line, self.comment_line(diagnostic.span.line)}:
            if line in self.by_line and self.by_line[line].covers(diagnostic.code):
                return True
        return False


_LINE_ENDS = (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)


def scan_comments(source: str, *, noqa: bool = True) -> Comments:
    """Tokenize ``source`` once for its suppressions and its continued lines."""
    by_line: dict[int, LineSuppression] = {}
    continued: set[int] = set()
    previous: tokenize.TokenInfo | None = None
    tokens = tokenize.generate_tokens(io.StringIO(source, newline=None).readline)
    try:
        for token in tokens:
            if token.type not in (tokenize.NEWLINE, tokenize.NL) and token.end[0] > token.start[0]:
                continued.update(range(token.start[0], token.end[0]))  # a string over several lines
            if previous is not None and previous.type not in _LINE_ENDS and token.start[0] > previous.end[0]:
                continued.update(range(previous.end[0], token.start[0]))  # a backslash continuation
            if token.type not in (tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
                previous = token
            if token.type != tokenize.COMMENT:
                continue
            found = parse_comment(token.string, noqa=noqa)
            if not (found.all_codes or found.codes):
                continue
            line = token.start[0]
            before = by_line.get(line, LineSuppression())
            by_line[line] = LineSuppression(before.all_codes or found.all_codes, before.codes | found.codes)
    except (tokenize.TokenError, SyntaxError):
        pass  # keep what was found before the point the tokenizer gave up
    return Comments(by_line, frozenset(continued))


def comment_suppressions(source: str) -> dict[int, LineSuppression]:
    """Suppressions by 1-based line, from the comments the tokenizer finds in ``source``."""
    return scan_comments(source).by_line


def _may_suppress(source: str) -> bool:
    return "seglint" in source or "noqa" in source.lower()


def filter_suppressed(
    diagnostics: Iterable[Diagnostic], source: str, *, noqa: bool = True
) -> tuple[Diagnostic, ...]:
    """The diagnostics not suppressed by a comment on their first line, in their original order;
    ``noqa=False`` counts ``# seglint: ignore`` comments only."""
    diagnostics = tuple(diagnostics)
    if not diagnostics or not _may_suppress(source):
        return diagnostics
    comments = scan_comments(source, noqa=noqa)
    if not comments.by_line:
        return diagnostics
    return tuple(d for d in diagnostics if not comments.covers(d))
