"""Helpers the renderers share."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from seglint.diagnostics import Diagnostic, FileError, FileResult, is_applicable

__all__ = ["diagnostics_of", "entries", "errors_of", "is_applicable", "plural"]


def diagnostics_of(results: Iterable[FileResult]) -> list[Diagnostic]:
    """Every diagnostic, sorted by path, (notebook cell,) line, column and code."""
    return sorted((d for r in results for d in r.diagnostics), key=lambda d: d.sort_key)


def errors_of(results: Iterable[FileResult]) -> list[FileError]:
    """Every file error, sorted by path, (notebook cell,) line and column."""
    return sorted((r.error for r in results if r.error is not None), key=lambda e: e.sort_key)


def entries(results: Iterable[FileResult]) -> Iterator[Diagnostic | FileError]:
    """Diagnostics and file errors interleaved in output order (path, cell, line, column, code)."""
    results = list(results)
    yield from sorted([*diagnostics_of(results), *errors_of(results)], key=lambda item: item.sort_key)


def plural(count: int, word: str, suffix: str = "s") -> str:
    return f"{count} {word}{'' if count == 1 else suffix}"
