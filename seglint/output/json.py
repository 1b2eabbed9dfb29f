"""``--format json``: a JSON array with one object per finding (file errors are not findings).

In a notebook, ``line`` and ``column`` count the lines of the cell that ``cell`` numbers (from 1, over
all cells); ``cell`` is ``null`` elsewhere, as in ruff's JSON.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from seglint.diagnostics import CellLocation, Diagnostic, FileResult, Fix, Span
from seglint.output._shared import diagnostics_of


def _span(span: Span) -> dict[str, int]:
    return {
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
    }


def _cell(notebook: CellLocation | None) -> int | None:
    return notebook.cell if notebook is not None else None


def _fix(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "title": fix.title,
        "applicability": str(getattr(fix.applicability, "value", fix.applicability)),
        "edits": [{**_span(edit.span), "content": edit.content} for edit in fix.edits],
    }


def finding(diagnostic: Diagnostic) -> dict[str, Any]:
    """The JSON object for one finding."""
    return {
        "path": diagnostic.path,
        "cell": _cell(diagnostic.notebook),
        **_span(diagnostic.span),
        "code": diagnostic.code,
        "name": diagnostic.name,
        "message": diagnostic.message,
        "severity": diagnostic.severity,
        "fix": _fix(diagnostic.fix),
        "related": [
            {"path": r.path, "cell": _cell(r.notebook), **_span(r.span), "message": r.message}
            for r in diagnostic.related
        ],
    }


def render(results: Sequence[FileResult]) -> str:
    return json.dumps([finding(d) for d in diagnostics_of(results)], indent=2, ensure_ascii=False) + "\n"
