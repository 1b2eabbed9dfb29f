"""``--format json``: a JSON array with one object per finding (file errors are not findings)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from seglint.diagnostics import Diagnostic, FileResult, Fix, Span
from seglint.output._shared import diagnostics_of


def _span(span: Span) -> dict[str, int]:
    return {
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
    }


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
        **_span(diagnostic.span),
        "code": diagnostic.code,
        "name": diagnostic.name,
        "message": diagnostic.message,
        "severity": diagnostic.severity,
        "fix": _fix(diagnostic.fix),
        "related": [{"path": r.path, **_span(r.span), "message": r.message} for r in diagnostic.related],
    }


def render(results: Sequence[FileResult]) -> str:
    return json.dumps([finding(d) for d in diagnostics_of(results)], indent=2, ensure_ascii=False) + "\n"
