"""``--output-format junit``: JUnit XML, as CI dashboards (GitLab, Jenkins, Azure) read test reports.

One ``<testsuite>`` per file: each finding is a ``<testcase>`` with a ``<failure>`` (its ``type`` is the
rule's code), a file without findings is one passing testcase, and a file that could not be checked is
a testcase with an ``<error>``. Findings are grouped by their own path: a finding reported through
another file's run (a loss helper's callee) lands in the suite of the file that holds it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Sequence

from seglint.diagnostics import Diagnostic, FileError, FileResult
from seglint.output._shared import diagnostics_of, errors_of, file_line, where

SUITE_NAME = "seglint"
# What XML 1.0 cannot hold at all (ElementTree would write it and produce a document nobody can read).
_NOT_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("\N{REPLACEMENT CHARACTER}", text)


def _case(suite: ET.Element, name: str, path: str, line: int) -> ET.Element:
    attributes = {"name": _xml(name), "classname": _xml(path), "file": _xml(path)}
    if line:
        attributes["line"] = str(line)
    return ET.SubElement(suite, "testcase", attributes)


def render(results: Sequence[FileResult]) -> str:
    by_path: dict[str, list[Diagnostic]] = defaultdict(list)
    for diagnostic in diagnostics_of(results):
        by_path[diagnostic.path].append(diagnostic)
    errors: dict[str, list[FileError]] = defaultdict(list)
    for error in errors_of(results):
        errors[error.path].append(error)
    paths = sorted({r.path for r in results} | set(by_path) | set(errors))

    root = ET.Element("testsuites", {"name": SUITE_NAME})
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for path in paths:
        found, failed = by_path.get(path, []), errors.get(path, [])
        counts = {"tests": max(1, len(found) + len(failed)), "failures": len(found), "errors": len(failed)}
        suite = ET.SubElement(
            root, "testsuite", {"name": _xml(path), **{key: str(value) for key, value in counts.items()}}
        )
        for diagnostic in found:
            span = diagnostic.span
            position = where("", span, diagnostic.notebook)[1:]  # "line:col", or "cell N:line:col"
            _, line = file_line(path, span, diagnostic.notebook)
            case = _case(suite, f"{diagnostic.code} at {position}", path, line)
            failure = ET.SubElement(
                case, "failure", {"message": _xml(diagnostic.message), "type": _xml(diagnostic.code)}
            )
            failure.text = _xml(
                f"{where(path, span, diagnostic.notebook)}: {diagnostic.code} {diagnostic.message}"
            )
        for error in failed:
            case = _case(suite, "seglint could not check this file", path, error.line)
            reason = _xml(error.reason)
            ET.SubElement(case, "error", {"message": reason, "type": "file-error"}).text = reason
        if not found and not failed:
            _case(suite, "no findings", path, 0)
        for key, value in counts.items():
            totals[key] += value
    root.attrib.update({key: str(value) for key, value in totals.items()})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
