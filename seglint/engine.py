"""Lint one source text: parse, analyse, run the selected rules, drop suppressed findings."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from seglint.analysis.dataflow import analyse_module
from seglint.diagnostics import FileError, FileResult
from seglint.rules import ALL_RULES
from seglint.suppression import filter_suppressed


def lint_source(source: str, path: str, *, select: frozenset[str]) -> FileResult:
    """Lint ``source`` (the text of ``path``) with the rules whose codes are in ``select``."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        reason = f"syntax error: {error.message}"
        return FileResult(path, error=FileError(path, error.raw_line, error.raw_column + 1, reason))
    except (RecursionError, ValueError) as error:  # pathological nesting, null bytes
        return FileResult(path, error=FileError(path, 0, 0, f"could not parse: {error}"))
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    facts = analyse_module(module, positions, path)
    diagnostics = [
        diagnostic for rule in ALL_RULES if rule.code in select for diagnostic in rule.check(facts)
    ]
    kept = filter_suppressed(diagnostics, source) if diagnostics else ()
    return FileResult(path, diagnostics=tuple(sorted(kept, key=lambda d: d.sort_key)))
