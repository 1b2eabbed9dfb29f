"""Lint one source text: parse, analyse, run the selected rules, drop suppressed findings."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from seglint.analysis.dataflow import analyse_module
from seglint.diagnostics import FileError, FileResult
from seglint.rules import ALL_RULES, Rule
from seglint.suppression import filter_suppressed


def could_match(source: str, rules: Iterable[Rule]) -> bool:
    """Whether ``source`` mentions the words some rule needs; most files are ruled out here, unparsed."""
    return any(all(any(word in source for word in group) for group in rule.required_words) for rule in rules)


def lint_source(source: str, path: str, *, select: frozenset[str]) -> FileResult:
    """Lint ``source`` (the text of ``path``) with the rules whose codes are in ``select``."""
    rules = [rule for rule in ALL_RULES if rule.code in select]
    if not could_match(source, rules):
        return FileResult(path)
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        reason = f"syntax error: {error.message}"
        return FileResult(path, error=FileError(path, error.raw_line, error.raw_column + 1, reason))
    except (RecursionError, ValueError) as error:  # pathological nesting, null bytes
        return FileResult(path, error=FileError(path, 0, 0, f"could not parse: {error}"))
    facts = analyse_module(module, path)
    diagnostics = [diagnostic for rule in rules for diagnostic in rule.check(facts)]
    kept = filter_suppressed(diagnostics, source) if diagnostics else ()
    return FileResult(path, diagnostics=tuple(sorted(kept, key=lambda d: d.sort_key)))
