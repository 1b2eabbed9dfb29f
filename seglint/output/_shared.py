"""Helpers the renderers share.

Where a finding is, in words (:func:`where`) and as a line of a file (:func:`file_line`), is decided
here only, so a position that is not simply a line of the file (a notebook cell) changes these two.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from seglint.diagnostics import CellLocation, Diagnostic, FileError, FileResult, Span, is_applicable

__all__ = [
    "diagnostics_of",
    "entries",
    "errors_of",
    "file_line",
    "file_span",
    "in_cell",
    "is_applicable",
    "plural",
    "severity_counts",
    "span_lines",
    "span_text",
    "where",
]

_NEWLINE = re.compile(r"\r\n|\r|\n")


def diagnostics_of(results: Iterable[FileResult]) -> list[Diagnostic]:
    """Every diagnostic, sorted by path, (notebook cell,) line, column and code. A diagnostic's own
    ``path`` is where it is, which need not be its result's path (a finding in a callee reported
    through its caller)."""
    return sorted((d for r in results for d in r.diagnostics), key=lambda d: d.sort_key)


def errors_of(results: Iterable[FileResult]) -> list[FileError]:
    """Every file error, sorted by path, (notebook cell,) line and column."""
    return sorted((r.error for r in results if r.error is not None), key=lambda e: e.sort_key)


def entries(results: Iterable[FileResult]) -> Iterator[Diagnostic | FileError]:
    """Diagnostics and file errors interleaved in output order (path, cell, line, column, code)."""
    results = list(results)
    yield from sorted([*diagnostics_of(results), *errors_of(results)], key=lambda item: item.sort_key)


def where(path: str, span: Span | None, notebook: CellLocation | None = None) -> str:
    """``path:line:col`` (``path:cell N:line:col`` in a notebook; ``path`` alone without a position):
    how text formats name a place."""
    if span is None or not span.line:
        return path if notebook is None else f"{path}:cell {notebook.cell}"
    cell = f"cell {notebook.cell}:" if notebook is not None else ""
    return f"{path}:{cell}{span.line}:{span.column}"


def file_span(span: Span, notebook: CellLocation | None = None) -> Span:
    """The span in the lines of the file itself (a notebook's ``.ipynb`` text, not its cell)."""
    return notebook.file_span if notebook is not None else span


def file_line(path: str, span: Span | None, notebook: CellLocation | None = None) -> tuple[str, int]:
    """The file and its 1-based line that hold a place (formats that point into the file itself)."""
    if span is None or not span.line:
        return path, 1
    return path, file_span(span, notebook).line


def in_cell(message: str, span: Span | None, notebook: CellLocation | None = None) -> str:
    """``message`` headed by the notebook cell and the line in it (``cell 3, line 2: ...``), for formats
    that point at a line of the ``.ipynb`` file, which does not say which cell it is; else unchanged."""
    if notebook is None:
        return message
    if span is None or not span.line:
        return f"cell {notebook.cell}: {message}"
    return f"cell {notebook.cell}, line {span.line}: {message}"


def plural(count: int, word: str, suffix: str = "s") -> str:
    return f"{count} {word}{'' if count == 1 else suffix}"


def severity_counts(diagnostics: Iterable[Diagnostic]) -> str:
    """``2 errors and 1 warning``, ``1 warning``, ``no findings``."""
    diagnostics = list(diagnostics)
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    parts = [plural(errors, "error")] if errors else []
    if warnings:
        parts.append(plural(warnings, "warning"))
    return " and ".join(parts) or "no findings"


def span_lines(text: str, span: Span) -> list[str]:
    """The lines ``span`` covers (without their newlines); empty when it lies outside ``text``."""
    lines = _NEWLINE.split(text)
    if not 1 <= span.line <= span.end_line <= len(lines):
        return []
    return lines[span.line - 1 : span.end_line]


def span_text(text: str, span: Span) -> str:
    """The text ``span`` covers (columns in code points, end exclusive); empty outside ``text``."""
    lines = span_lines(text, span)
    if not lines:
        return ""
    if len(lines) == 1:
        return lines[0][span.column - 1 : span.end_column - 1]
    return "\n".join([lines[0][span.column - 1 :], *lines[1:-1], lines[-1][: span.end_column - 1]])
