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
class RelatedLocation:
    """Where a finding's evidence lives, e.g. the softmax that made the probabilities."""

    path: str
    span: Span
    message: str


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

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.span.line, self.span.column, self.code)


@dataclass(frozen=True)
class FileError:
    """A file that could not be read or parsed; ``line``/``column`` are 0 when unknown."""

    path: str
    line: int
    column: int
    reason: str


@dataclass(frozen=True)
class FileResult:
    path: str
    diagnostics: tuple[Diagnostic, ...] = ()
    error: FileError | None = None
    # Where the result came from, not what it says: a result served from the cache equals the
    # computed one.
    from_cache: bool = field(default=False, compare=False, repr=False)
