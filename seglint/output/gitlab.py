"""``--output-format gitlab``: a GitLab Code Quality report (a JSON array of issues).

https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format

A finding's ``fingerprint`` hashes its code, its path, the flagged expression's text with whitespace
normalised, and the index of that finding among the identical ones of the file (same code, same
text), so it survives lines moving and messages changing; GitLab uses it to tell new findings from
fixed ones between a merge request and its target. Severity: ``error`` is ``major``, ``warning``
``minor``; a file that could not be checked is a ``critical`` issue named ``seglint:file-error``.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from seglint.diagnostics import Diagnostic, FileResult, Span
from seglint.output._shared import diagnostics_of, errors_of, file_line, file_span, in_cell, span_text

SEVERITIES = {"error": "major", "warning": "minor"}
FILE_ERROR = "seglint:file-error"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def fingerprints(diagnostics: Sequence[Diagnostic], sources: Mapping[str, str]) -> list[str]:
    """One fingerprint per diagnostic, in order. ``sources``: the text of each file that has a
    finding (a file missing from it fingerprints on code, path and index alone)."""
    seen: Counter[tuple[str, str, str]] = Counter()
    found = []
    for diagnostic in sorted(diagnostics, key=lambda d: d.sort_key):
        flagged = file_span(diagnostic.span, diagnostic.notebook)
        text = " ".join(span_text(sources.get(diagnostic.path, ""), flagged).split())
        identity = (diagnostic.code, diagnostic.path, text)
        found.append((diagnostic, _digest(*identity, str(seen[identity]))))
        seen[identity] += 1
    by_diagnostic = {id(d): fingerprint for d, fingerprint in found}
    return [by_diagnostic[id(d)] for d in diagnostics]


def _issue(diagnostic: Diagnostic, fingerprint: str) -> dict[str, Any]:
    path, line = file_line(diagnostic.path, diagnostic.span, diagnostic.notebook)
    return {
        "description": f"{diagnostic.code} {in_cell(diagnostic.message, diagnostic.span, diagnostic.notebook)}",
        "check_name": diagnostic.code,
        "fingerprint": fingerprint,
        "severity": SEVERITIES.get(diagnostic.severity, "minor"),
        "location": {"path": path, "lines": {"begin": line}},
    }


def render(results: Sequence[FileResult], *, sources: Mapping[str, str]) -> str:
    diagnostics = diagnostics_of(results)
    issues = [_issue(d, f) for d, f in zip(diagnostics, fingerprints(diagnostics, sources))]
    for error in errors_of(results):
        span = Span(error.line, error.column, error.line, error.column) if error.line else None
        path, line = file_line(error.path, span, error.notebook)
        issues.append(
            {
                "description": f"seglint could not check this file: {in_cell(error.reason, span, error.notebook)}",
                "check_name": FILE_ERROR,
                "fingerprint": _digest(FILE_ERROR, error.path, error.reason),
                "severity": "critical",
                "location": {"path": path, "lines": {"begin": line}},
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
