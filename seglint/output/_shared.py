"""Helpers the renderers share."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from seglint.diagnostics import Diagnostic, FileError, FileResult, is_applicable

__all__ = ["diagnostics_of", "entries", "errors_of", "is_applicable", "plural"]


def diagnostics_of(results: Iterable[FileResult]) -> list[Diagnostic]:
    """Every diagnostic, sorted by path, line, column and code."""
    return sorted((d for r in results for d in r.diagnostics), key=lambda d: d.sort_key)


def errors_of(results: Iterable[FileResult]) -> list[FileError]:
    """Every file error, sorted by path, line and column."""
    return sorted((r.error for r in results if r.error is not None), key=lambda e: (e.path, e.line, e.column))


def entries(results: Iterable[FileResult]) -> Iterator[Diagnostic | FileError]:
    """Diagnostics and file errors interleaved in output order (path, line, column, code)."""
    results = list(results)

    def key(item: Diagnostic | FileError) -> tuple[str, int, int, str]:
        if isinstance(item, FileError):
            return (item.path, item.line, item.column, "")
        return item.sort_key

    yield from sorted([*diagnostics_of(results), *errors_of(results)], key=key)


def plural(count: int, word: str, suffix: str = "s") -> str:
    return f"{count} {word}{'' if count == 1 else suffix}"
