"""A notebook's code cells joined into one Python module, and where each of its lines came from.

The code cells are joined in document order, as "Run All" runs them (``execution_count`` is not
looked at), so a value made in one cell and used in a later one is followed like any other. Each
cell's Python (see ``magics``) starts on a line of its own, so every line of the module is one line
of one cell. Positions found in the module map back to the cell (numbered from 1 over all cells,
markdown and raw included), the line in the cell, and the line and column of the ``.ipynb`` file
that stores that character.

Jupyter compiles each cell on its own, so each is judged by Python's parser on its own: a cell that
ends inside an open bracket is a syntax error at its own line, not a statement that the next cell
completes.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from seglint.diagnostics import (
    CellLocation,
    Diagnostic,
    Edit,
    FileError,
    FileResult,
    Fix,
    RelatedLocation,
    Span,
)
from seglint.notebook.magics import python_source, split_lines
from seglint.notebook.reader import Cell, Notebook, read_notebook

NOTEBOOK_SUFFIX = ".ipynb"
# How a rule's message names a line of the file it reports in (see ``rules.base.describe_origins``).
_OWN_LINE = re.compile(r"(?<![\w:])line (\d+)\b")


def is_notebook(path: str) -> bool:
    return path.endswith(NOTEBOOK_SUFFIX)


@dataclass(frozen=True)
class CellCode:
    """A code cell's Python and the line of the joined module where its first line is."""

    cell: Cell
    python: str
    first_line: int
    line_count: int

    @functools.cached_property
    def _source_line_starts(self) -> list[int]:
        starts = [0]
        for line in split_lines(self.cell.source):
            starts.append(starts[-1] + len(line))
        return starts

    def offset(self, line: int, column: int) -> int:
        """The offset in the cell's source of a 1-based line and column of the cell (clamped to it)."""
        starts = self._source_line_starts
        index = min(max(line, 1), len(starts)) - 1
        end = starts[index + 1] if index + 1 < len(starts) else len(self.cell.source)
        return min(starts[index] + max(column, 1) - 1, end)


@dataclass(frozen=True)
class NotebookCode:
    """The joined Python ``text`` of ``notebook`` (the file ``path``) and its code cells' places."""

    notebook: Notebook
    path: str
    text: str
    cells: tuple[CellCode, ...]

    @property
    def is_python(self) -> bool:
        return self.notebook.is_python

    def syntax_error(self) -> FileError | None:
        """The first code cell that Python's parser rejects, at its cell and line; ``None`` if every
        cell parses. (Imports the parser, hence libcst: call it only for a notebook to analyse.)"""
        from seglint.parse import UnparsableSource, python_tree

        for code in self.cells:
            if not code.python.strip():
                continue
            try:
                python_tree(code.python)
            except UnparsableSource as error:
                if not error.line:
                    return FileError(self.path, 0, 0, f"cell {code.cell.number}: {error.reason}")
                return self._error_at(code, error.line, error.column, error.reason)
        return None

    # --- from the joined module's positions to the notebook's --------------------------------------

    def located(self, result: FileResult) -> FileResult:
        """``result`` (positions in :attr:`text`) with the positions of this notebook given by cell:
        only diagnostics, related locations and the error whose path is this notebook change."""
        if not self.cells:  # nothing was analysed, so nothing is placed in this notebook
            return result
        diagnostics = tuple(
            self._diagnostic(d) if d.path == self.path else self._elsewhere(d) for d in result.diagnostics
        )
        error = result.error
        if error is not None and error.path == self.path and error.line and error.notebook is None:
            code = self._cell_of(error.line)
            error = self._error_at(code, error.line - code.first_line + 1, error.column, error.reason)
        return replace(result, diagnostics=diagnostics, error=error)

    def _diagnostic(self, diagnostic: Diagnostic) -> Diagnostic:
        code = self._cell_of(diagnostic.span.line)
        span, location = self._span(code, diagnostic.span)
        return replace(
            diagnostic,
            span=span,
            notebook=location,
            fix=self._fix(code, diagnostic.fix),
            related=self._all_related(diagnostic.related),
            message=self._message(diagnostic.message, own_lines=True),
        )

    def _elsewhere(self, diagnostic: Diagnostic) -> Diagnostic:
        """A finding in another file, reached through this notebook: only what it says of the
        notebook is placed by cell."""
        related = self._all_related(diagnostic.related)
        message = self._message(diagnostic.message, own_lines=False)
        if related == diagnostic.related and message == diagnostic.message:
            return diagnostic
        return replace(diagnostic, related=related, message=message)

    def _all_related(self, related: tuple[RelatedLocation, ...]) -> tuple[RelatedLocation, ...]:
        return tuple(self._related(r) if r.path == self.path else r for r in related)

    def _message(self, message: str, *, own_lines: bool) -> str:
        """``message`` with the lines of the joined module it names (``line 12``, or ``PATH:12`` for
        this notebook) named by cell: ``cell 3, line 2`` and ``PATH:cell 3:2``."""
        total = self.cells[-1].first_line + self.cells[-1].line_count - 1

        def cell_line(line: int) -> tuple[int, int] | None:
            if not 1 <= line <= total:
                return None
            code = self._cell_of(line)
            return code.cell.number, line - code.first_line + 1

        def own(match: re.Match[str]) -> str:
            place = cell_line(int(match[1]))
            return f"cell {place[0]}, line {place[1]}" if place else match[0]

        def qualified(match: re.Match[str]) -> str:
            place = cell_line(int(match[1]))
            return f"{self.path}:cell {place[0]}:{place[1]}" if place else match[0]

        if own_lines:
            message = _OWN_LINE.sub(own, message)
        if self.path in message:
            message = re.sub(rf"(?<![\w/.]){re.escape(self.path)}:(\d+)", qualified, message)
        return message

    def _related(self, related: RelatedLocation) -> RelatedLocation:
        span, location = self._span(self._cell_of(related.span.line), related.span)
        return replace(related, span=span, notebook=location)

    def _fix(self, code: CellCode, fix: Fix | None) -> Fix | None:
        """The fix with its edits in the cell's own lines; ``None`` if an edit lies in another cell."""
        if fix is None:
            return None
        edits: list[Edit] = []
        for edit in fix.edits:
            if self._cell_of(edit.span.line) is not code or self._cell_of(edit.span.end_line) is not code:
                return None
            edits.append(Edit(self._relative(code, edit.span), edit.content))
        return replace(fix, edits=tuple(edits))

    def _span(self, code: CellCode, span: Span) -> tuple[Span, CellLocation]:
        relative = self._relative(code, span)
        return relative, CellLocation(code.cell.number, self.file_span(code, relative))

    @staticmethod
    def _relative(code: CellCode, span: Span) -> Span:
        offset = code.first_line - 1
        return Span(span.line - offset, span.column, span.end_line - offset, span.end_column)

    def _error_at(self, code: CellCode, line: int, column: int, reason: str) -> FileError:
        point = Span(line, column or 1, line, column or 1)
        location = CellLocation(code.cell.number, self.file_span(code, point))
        return FileError(self.path, line, column, reason, notebook=location)

    @functools.cached_property
    def _first_lines(self) -> list[int]:
        return [code.first_line for code in self.cells]

    def _cell_of(self, line: int) -> CellCode:
        """The code cell holding line ``line`` of the joined module (the nearest, past either end)."""
        index = bisect.bisect_right(self._first_lines, line) - 1
        return self.cells[max(index, 0)]

    # --- from a cell's positions to the .ipynb file's ----------------------------------------------

    def file_span(self, code: CellCode, span: Span) -> Span:
        """``span`` (in the cell's lines) in the lines and columns of the ``.ipynb`` file."""
        start = self._file_position(code, code.offset(span.line, span.column), end=False)
        end = self._file_position(code, code.offset(span.end_line, span.end_column), end=True)
        return Span(*start, *end)

    def _file_position(self, code: CellCode, offset: int, *, end: bool) -> tuple[int, int]:
        pieces = code.cell.pieces
        if not pieces:
            return self.notebook.position(code.cell.value_start)
        starts = _piece_starts(pieces)
        # An offset where one piece ends and the next begins: a start is the next piece's first
        # character, an end is the previous piece's closing quote (on the line of what it ends).
        index = (bisect.bisect_left if end else bisect.bisect_right)(starts, offset) - 1
        index = min(max(index, 0), len(pieces) - 1)
        piece = pieces[index]
        within = min(offset - starts[index], len(piece.value))
        return self.notebook.position(piece.raw_offset(self.notebook.text, within))


def _piece_starts(pieces: Iterable) -> list[int]:
    starts = [0]
    for piece in pieces:
        starts.append(starts[-1] + len(piece.value))
    return starts[:-1]


def notebook_code(text: str, path: str) -> NotebookCode | FileError:
    """The joined code of the notebook in ``text`` (the JSON text of ``path``), or its FileError."""
    notebook = read_notebook(text, path)
    if isinstance(notebook, FileError):
        return notebook
    return join_cells(notebook, path)


def join_cells(notebook: Notebook, path: str) -> NotebookCode:
    """The code cells of ``notebook`` in document order, each starting on a line of its own."""
    parts: list[str] = []
    cells: list[CellCode] = []
    line = 1
    for cell in notebook.cells:
        if not cell.is_code:
            continue
        python = python_source(cell.source)
        if python and not python.endswith(("\n", "\r")):
            python += "\n"
        count = len(split_lines(python))
        cells.append(CellCode(cell, python, line, count))
        parts.append(python)
        line += count
    return NotebookCode(notebook, path, "".join(parts), tuple(cells))
