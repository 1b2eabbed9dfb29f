"""``--output-format full`` (also ``--show-source``): each finding with a frame of its source, the
flagged expression underlined, the frame of the place that made the probabilities when it is
elsewhere (a model's ``forward``, a helper, another module), and a ``help:`` line, as ruff shows them::

    SEG001 `F.cross_entropy` expects logits but receives probabilities from `softmax` (line 4)
     --> train.py:5:12
      |
    4 |     probs = F.softmax(model(images), dim=1)
    5 |     return F.cross_entropy(probs, masks)
      |            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ SEG001
      |
     ::: train.py:4:13
      |
    4 |     probs = F.softmax(model(images), dim=1)
      |             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ `softmax` makes the probabilities here
      |
    help: Pass the logits (the input of the softmax or sigmoid) to the loss; `seglint rule SEG001` explains why

A frame shows the flagged lines and one line of context before them; a flagged expression longer than
``MAX_FLAGGED_LINES`` lines is shown by its first and last lines. Tabs are shown as four spaces so the
underline stays under the expression. Without the file's text (it changed or vanished), the frame is
left out. In a notebook the frame shows the cell's source, its lines numbered within the cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from seglint.diagnostics import Applicability, CellLocation, Diagnostic, FileError, FileResult, Span
from seglint.notebook.reader import cell_sources
from seglint.output._shared import entries, span_lines, where
from seglint.output.text import BLUE, BOLD, CYAN, error_line, fix_marker, paint, severity_style, summary_lines

MAX_FLAGGED_LINES = 6
CONTEXT_BEFORE = 1
_TAB = "    "


class RuleHelp(Protocol):
    code: str
    help: str


def _display_column(line: str, column: int) -> int:
    """Where 1-based ``column`` lands once tabs are shown as spaces."""
    return len(line[: column - 1].replace("\t", _TAB)) + 1


def _frame(text: str, span: Span, label: str, style: str, color: bool) -> list[str]:
    first = max(1, span.line - CONTEXT_BEFORE)
    lines = span_lines(text, Span(first, 1, span.end_line, 1))
    if not lines:
        return []
    width = len(str(span.end_line))
    bar = paint(" " * width + " |", BLUE + BOLD, color)

    def row(number: int, line: str) -> str:
        return paint(f"{number:>{width}} |", BLUE + BOLD, color) + (f" {line}" if line else "")

    numbered = list(enumerate(lines, start=first))
    out = [bar, *(row(n, line.replace("\t", _TAB)) for n, line in numbered if n < span.line)]
    flagged: list[tuple[int, str] | None] = [(n, line) for n, line in numbered if n >= span.line]
    if len(flagged) > MAX_FLAGGED_LINES:
        flagged = [*flagged[:2], None, *flagged[-2:]]
    for entry in flagged:
        if entry is None:
            out.append(paint(" " * width + " :", BLUE + BOLD, color))
            continue
        number, line = entry
        shown = line.replace("\t", _TAB)
        if number == span.line:
            start = _display_column(line, span.column)
        else:  # a continuation line: under its code, not its indentation
            start = len(shown) - len(shown.lstrip()) + 1
        end = _display_column(line, span.end_column) if number == span.end_line else len(shown) + 1
        underline = " " * (start - 1) + paint("^" * max(1, end - start), style, color)
        if number == span.end_line:
            underline += " " + paint(label, style, color)
        out += [row(number, shown), f"{bar} {underline}"]
    out.append(bar)
    return out


class _Texts:
    """The text a frame is drawn from: the file's, or, in a notebook, its cell's source."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self._sources = sources
        self._cells: dict[str, dict[int, str]] = {}

    def of(self, path: str, notebook: CellLocation | None) -> str:
        text = self._sources.get(path, "")
        if notebook is None:
            return text
        if path not in self._cells:
            self._cells[path] = cell_sources(text, path)
        return self._cells[path].get(notebook.cell, "")


def _help(diagnostic: Diagnostic, rules: Mapping[str, RuleHelp], *, unsafe_fixes: bool) -> str:
    rule = rules.get(diagnostic.code)
    advice = rule.help if rule is not None and rule.help else ""
    fix = diagnostic.fix
    if fix is not None:
        applied = fix.applicability == Applicability.SAFE or unsafe_fixes
        how = "`--fix` applies it" if applied else "`--fix --unsafe-fixes` applies it"
        advice = f"{fix.title} ({how})"
    advice = advice or "see the rule's documentation"
    return f"{advice}; `seglint rule {diagnostic.code}` explains why"


def render(
    results: Sequence[FileResult],
    *,
    sources: Mapping[str, str],
    rules: Sequence[RuleHelp] = (),
    color: bool = False,
    unsafe_fixes: bool = False,
    summary: bool = True,
    fixed: int = 0,
) -> str:
    """Render ``results`` with frames; ``sources`` holds the text of each file a frame shows."""
    by_code = {rule.code: rule for rule in rules}
    texts = _Texts(sources)
    blocks: list[list[str]] = []
    for item in entries(results):
        if isinstance(item, FileError):
            blocks.append([error_line(item, color)])
            continue
        style = severity_style(item.severity)
        marker = fix_marker(item, unsafe_fixes=unsafe_fixes, color=color)
        block = [f"{paint(item.code, style, color)}{marker} {paint(item.message, BOLD, color)}"]
        block.append(f" {paint('-->', BLUE + BOLD, color)} {where(item.path, item.span, item.notebook)}")
        block += _frame(texts.of(item.path, item.notebook), item.span, item.code, style, color)
        for related in item.related:
            shown = where(related.path, related.span, related.notebook)
            block.append(f" {paint(':::', BLUE + BOLD, color)} {shown}")
            frame_text = texts.of(related.path, related.notebook)
            block += _frame(frame_text, related.span, related.message, CYAN, color)
        help_text = _help(item, by_code, unsafe_fixes=unsafe_fixes)
        block.append(f"{paint('help', CYAN + BOLD, color)}: {help_text}")
        blocks.append(block)
    lines = [line for block in blocks for line in [*block, ""]]
    if summary:
        lines.extend(summary_lines(results, unsafe_fixes=unsafe_fixes, fixed=fixed))
    return "".join(line + "\n" for line in lines)
