"""A per-file cache of results in ``.seglint_cache/``, safe under concurrent runs.

An entry is keyed on the file's path and holds the hash of its content, the seglint version, the
configuration fingerprint and the rules selected for it, and the hash of every other module whose
summaries the result used. It is valid only while all of those still match, so a change to a model in
``models.py`` invalidates the cached result of ``train.py`` that followed it, and so does a module
appearing where one was looked for and not found. Each entry is its own
file, written to a temporary name and renamed into place: concurrent runs never see half an entry,
and the last writer wins.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from seglint import __version__
from seglint.diagnostics import (
    Applicability,
    CellLocation,
    Diagnostic,
    Edit,
    FileResult,
    Fix,
    RelatedLocation,
    Span,
)
from seglint.output.json import finding

_FORMAT = "1"
# The digest of a place where a module was looked for and not found.
ABSENT = "absent"


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class Cache:
    def __init__(self, directory: Path, fingerprint: str) -> None:
        self.directory = directory
        self._entries = directory / f"v{_FORMAT}"
        self._fingerprint = f"{__version__}|{fingerprint}"
        self._ready = False

    def _entry_path(self, path: str) -> Path:
        key = hashlib.blake2b(os.path.abspath(path).encode("utf-8", "surrogatepass"), digest_size=16)
        return self._entries / f"{key.hexdigest()}.json"

    def get(
        self, path: str, digest: str, select: frozenset[str], *, checked: frozenset[Path] = frozenset()
    ) -> FileResult | None:
        """The stored result, if still valid. An entry made while some callers were left out (they
        were checked in that run and reported their findings here themselves) serves only a run
        that checks them too."""
        try:
            entry = json.loads(self._entry_path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if (
            not isinstance(entry, dict)
            or entry.get("fingerprint") != self._fingerprint
            or entry.get("content") != digest
            or entry.get("select") != sorted(select)
            or not self._dependencies_unchanged(entry.get("dependencies", {}))
            or not {Path(p) for p in entry.get("skipped_callers", [])} <= checked
        ):
            return None
        try:
            return FileResult(
                path,
                diagnostics=tuple(_diagnostic(item, path) for item in entry["diagnostics"]),
                from_cache=True,
            )
        except (KeyError, TypeError, ValueError):
            return None

    def put(
        self,
        path: str,
        digest: str,
        select: frozenset[str],
        result: FileResult,
        dependencies: Mapping[str, str],
        *,
        skipped: Sequence[str] = (),
    ) -> None:
        """Store ``result`` (never a file error: those are recomputed every time). Failures are ignored:
        the cache only ever saves time."""
        if result.error is not None:
            return
        entry = {
            "fingerprint": self._fingerprint,
            "content": digest,
            "select": sorted(select),
            "dependencies": dict(dependencies),
            "skipped_callers": list(skipped),
            "diagnostics": [_stored(d, foreign=d.path != path) for d in result.diagnostics],
        }
        try:
            self._prepare()
            target = self._entry_path(path)
            handle, temporary = tempfile.mkstemp(dir=self._entries, prefix=".entry-", suffix=".tmp")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    json.dump(entry, stream)
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError:
            pass

    def _prepare(self) -> None:
        if self._ready:
            return
        self._entries.mkdir(parents=True, exist_ok=True)
        ignore = self.directory / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Created by seglint automatically.\n*\n", encoding="utf-8")
        self._ready = True

    @staticmethod
    def _dependencies_unchanged(dependencies: Any) -> bool:
        if not isinstance(dependencies, dict):
            return False
        for dependency, digest in dependencies.items():
            try:
                if content_hash(Path(dependency).read_bytes()) != digest:
                    return False
            except OSError:
                if digest != ABSENT:
                    return False
        return True


def _stored(diagnostic: Diagnostic, *, foreign: bool = False) -> dict[str, Any]:
    """A finding as the JSON output writes it, with where a notebook's positions are in its file;
    ``foreign``: located in another file than the entry's (what the file's calls make there)."""
    item = finding(diagnostic)
    if foreign:
        item["foreign"] = True
    if diagnostic.notebook is not None:
        item["cell"] = diagnostic.notebook.cell
        item["file_span"] = _span_data(diagnostic.notebook.file_span)
    for data, related in zip(item["related"], diagnostic.related):
        if related.notebook is not None:
            data["cell"] = related.notebook.cell
            data["file_span"] = _span_data(related.notebook.file_span)
    return item


def _span_data(span: Span) -> dict[str, int]:
    return {
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
    }


def _cell(item: Mapping[str, Any]) -> CellLocation | None:
    if item.get("cell") is None:
        return None
    return CellLocation(int(item["cell"]), _span(item["file_span"]))


def _span(item: Mapping[str, Any]) -> Span:
    return Span(int(item["line"]), int(item["column"]), int(item["end_line"]), int(item["end_column"]))


def _diagnostic(item: Mapping[str, Any], path: str) -> Diagnostic:
    fix = item["fix"]
    return Diagnostic(
        path=item["path"] if item.get("foreign") else path,
        span=_span(item),
        code=item["code"],
        name=item["name"],
        message=item["message"],
        severity=item["severity"],
        fix=None
        if fix is None
        else Fix(
            fix["title"],
            Applicability(fix["applicability"]),
            tuple(Edit(_span(edit), edit["content"]) for edit in fix["edits"]),
        ),
        related=tuple(RelatedLocation(r["path"], _span(r), r["message"], _cell(r)) for r in item["related"]),
        notebook=_cell(item),
    )
