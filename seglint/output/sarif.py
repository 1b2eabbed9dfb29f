"""``--format sarif``: SARIF 2.1.0, as GitHub code scanning and other viewers read it.

Paths below the working directory become relative URIs against ``%SRCROOT%``; columns count code
points (``columnKind: unicodeCodePoints``). Files that could not be read or parsed are reported as
``toolExecutionNotifications`` of the run's invocation (which is then not successful).

In a notebook, regions are in the lines and columns of the ``.ipynb`` file (inside the JSON strings
that store the cell's source) and messages begin with the cell and the line in it; a fix is left out
there, since its edits count the cell's lines and its text is not JSON-escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any, Protocol
from urllib.parse import quote

from seglint.diagnostics import Diagnostic, FileError, FileResult, Span
from seglint.output._shared import diagnostics_of, errors_of, file_span, in_cell

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/seglint/seglint"


class RuleInfo(Protocol):
    code: str
    name: str
    summary: str
    severity: str
    doc: str


def _level(severity: str) -> str:
    return "error" if severity == "error" else "warning"


def _first_paragraph(doc: str, heading: str) -> str | None:
    """The first paragraph under a Markdown heading whose text contains ``heading``."""
    match = re.search(
        rf"^#+\s*\*?{re.escape(heading)}\*?\s*$\n+(.+?)(?:\n\s*\n|\Z)", doc, re.MULTILINE | re.DOTALL
    )
    return " ".join(match.group(1).split()) if match else None


def _rule(rule: RuleInfo) -> dict[str, Any]:
    doc = rule.doc or rule.summary
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": _first_paragraph(doc, "What it does") or rule.summary},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": _level(rule.severity)},
    }


def artifact_location(path: str) -> dict[str, str]:
    posix = path.replace("\\", "/")
    if PurePosixPath(posix).is_absolute():
        return {"uri": "file://" + quote(posix, safe="/")}
    return {"uri": quote(posix, safe="/"), "uriBaseId": "%SRCROOT%"}


def _region(span: Span) -> dict[str, int]:
    return {
        "startLine": span.line,
        "startColumn": span.column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
    }


def _physical(path: str, span: Span | None) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": artifact_location(path)}
    if span is not None:
        location["region"] = _region(span)
    return {"physicalLocation": location}


def _result(diagnostic: Diagnostic, index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "ruleIndex": index,
        "level": _level(diagnostic.severity),
        "message": {"text": in_cell(diagnostic.message, diagnostic.span, diagnostic.notebook)},
        "locations": [_physical(diagnostic.path, file_span(diagnostic.span, diagnostic.notebook))],
    }
    if diagnostic.related:
        result["relatedLocations"] = [
            {
                "id": i,
                **_physical(r.path, file_span(r.span, r.notebook)),
                "message": {"text": in_cell(r.message, r.span, r.notebook)},
            }
            for i, r in enumerate(diagnostic.related, start=1)
        ]
    if diagnostic.fix is not None and diagnostic.notebook is None:
        result["fixes"] = [
            {
                "description": {"text": diagnostic.fix.title},
                "artifactChanges": [
                    {
                        "artifactLocation": artifact_location(diagnostic.path),
                        "replacements": [
                            {"deletedRegion": _region(e.span), "insertedContent": {"text": e.content}}
                            for e in diagnostic.fix.edits
                        ],
                    }
                ],
            }
        ]
    return result


def _notification(error: FileError) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": artifact_location(error.path)}
    point = Span(error.line, error.column, error.line, error.column) if error.line else None
    if point is not None:
        in_file = file_span(point, error.notebook)
        location["region"] = {"startLine": in_file.line}
        if error.column:
            location["region"]["startColumn"] = in_file.column
    return {
        "level": "error",
        "message": {"text": f"{error.path}: {in_cell(error.reason, point, error.notebook)}"},
        "locations": [{"physicalLocation": location}],
    }


def render(results: Sequence[FileResult], *, rules: Sequence[RuleInfo], tool_version: str) -> str:
    diagnostics = diagnostics_of(results)
    errors = errors_of(results)
    driver_rules = [_rule(rule) for rule in sorted(rules, key=lambda r: r.code)]
    known = {r["id"] for r in driver_rules}
    for d in diagnostics:  # a code missing from the catalogue still needs a rule entry
        if d.code not in known:
            known.add(d.code)
            driver_rules.append(
                {
                    "id": d.code,
                    "name": d.name,
                    "shortDescription": {"text": d.name},
                    "defaultConfiguration": {"level": _level(d.severity)},
                }
            )
    index = {r["id"]: i for i, r in enumerate(driver_rules)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "seglint",
                "version": tool_version,
                "informationUri": INFORMATION_URI,
                "rules": driver_rules,
            }
        },
        "invocations": [
            {
                "executionSuccessful": not errors,
                "toolExecutionNotifications": [_notification(e) for e in errors],
            }
        ],
        "columnKind": "unicodeCodePoints",
        "results": [_result(d, index[d.code]) for d in diagnostics],
    }
    log = {"$schema": SCHEMA, "version": VERSION, "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
