"""Plain, immutable results of linting: diagnostics, fixes and per-file outcomes.

Lines and columns are 1-based; columns count characters (code points) of the line, as editors do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Applicability(str, Enum):
    """Whether a fix keeps the program's meaning (safe) or may change its behaviour (unsafe)."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True, order=True)
class Span:
    """A region of a file: start inclusive, end exclusive (1-based lines and columns)."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Edit:
    """Replace the text covered by ``span`` with ``content``."""

    span: Span
    content: str


@dataclass(frozen=True)
class Fix:
    title: str
    applicability: Applicability
    edits: tuple[Edit, ...]


def is_applicable(fix: Fix | None, *, unsafe_fixes: bool) -> bool:
    """Whether ``--fix`` would apply ``fix`` (safe fixes always; unsafe ones only when asked)."""
    return fix is not None and (fix.applicability == Applicability.SAFE or unsafe_fixes)


@dataclass(frozen=True)
class CellLocation:
    """Where a position in a notebook is: the cell whose lines the span counts (numbered from 1 over
    all cells, markdown and raw included), and the same span in the lines and columns of the ``.ipynb``
    file itself (inside the JSON strings that store the cell's source)."""

    cell: int
    file_span: Span


@dataclass(frozen=True)
class RelatedLocation:
    """Where a finding's evidence lives, e.g. the softmax that made the probabilities."""

    path: str
    span: Span
    message: str
    notebook: CellLocation | None = None


@dataclass(frozen=True)
class Diagnostic:
    path: str
    span: Span
    code: str
    name: str
    message: str
    severity: str
    fix: Fix | None = None
    related: tuple[RelatedLocation, ...] = ()
    # In a notebook, ``span`` and the fix's edits count the lines of this cell.
    notebook: CellLocation | None = None

    @property
    def sort_key(self) -> tuple[str, int, int, int, str]:
        return (self.path, cell_number(self.notebook), self.span.line, self.span.column, self.code)


@dataclass(frozen=True)
class FileError:
    """A file that could not be read or parsed; ``line``/``column`` are 0 when unknown."""

    path: str
    line: int
    column: int
    reason: str
    notebook: CellLocation | None = None  # in a notebook, ``line`` counts the lines of this cell

    @property
    def sort_key(self) -> tuple[str, int, int, int, str]:
        return (self.path, cell_number(self.notebook), self.line, self.column, "")


def cell_number(location: CellLocation | None) -> int:
    """The cell of a notebook position; 0 for a position in a Python file."""
    return location.cell if location is not None else 0


@dataclass(frozen=True)
class FileResult:
    path: str
    diagnostics: tuple[Diagnostic, ...] = ()
    error: FileError | None = None
    # Where the result came from, not what it says: a result served from the cache equals the
    # computed one.
    from_cache: bool = field(default=False, compare=False, repr=False)
