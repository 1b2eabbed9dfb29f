"""``--fix`` and ``--diff`` for a notebook: fixes are applied cell by cell and spliced into its JSON.

A notebook's findings carry their cell and cell-relative edits (see ``code``). Each pass applies, in
every cell that has any, the fixes the fixer would apply to that cell's source, keeping only those
after which the cell's Python still parses; the changed sources are spliced into the notebook's text
(see ``splice``) and the notebook is linted again, as for a Python file. The diff is one unified diff
per changed cell, labelled ``path:cell N``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from seglint.diagnostics import Diagnostic, FileError, FileResult
from seglint.fixer import MAX_PASSES, FixOutcome, apply_fixes, fix_source, libcst_parses, unified_diff
from seglint.notebook.magics import python_source
from seglint.notebook.reader import Notebook, read_notebook
from seglint.notebook.splice import splice_sources


def fix_notebook(
    text: str,
    lint: Callable[[str], FileResult],
    *,
    path: str,
    unsafe_fixes: bool = False,
    parses: Callable[[str], bool] = libcst_parses,
    max_passes: int = MAX_PASSES,
) -> FixOutcome:
    """Lint and fix the notebook whose JSON text is ``text`` until no fix applies; ``lint`` lints such
    a text (its findings located by cell)."""

    def one_pass(text: str, diagnostics: Sequence[Diagnostic]) -> tuple[str, int]:
        return apply_notebook_fixes(text, diagnostics, path=path, unsafe_fixes=unsafe_fixes, parses=parses)

    return fix_source(text, lint, max_passes=max_passes, apply=one_pass)


def apply_notebook_fixes(
    text: str,
    diagnostics: Sequence[Diagnostic],
    *,
    path: str,
    unsafe_fixes: bool = False,
    parses: Callable[[str], bool] = libcst_parses,
) -> tuple[str, int]:
    """One pass over the notebook ``text``: its text with the applicable fixes of ``diagnostics``
    applied in their cells, and how many were applied."""
    by_cell: dict[int, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        if diagnostic.path == path and diagnostic.notebook is not None:
            by_cell.setdefault(diagnostic.notebook.cell, []).append(diagnostic)
    if not by_cell:
        return text, 0
    notebook = _notebook(text, path)
    sources: dict[int, str] = {}
    count = 0
    for cell in notebook.cells:
        found = by_cell.get(cell.number)
        if not found or not cell.is_code:
            continue
        fixed, applied = apply_fixes(
            cell.source, found, unsafe_fixes=unsafe_fixes, parses=lambda source: parses(python_source(source))
        )
        if applied:
            sources[cell.number] = fixed
            count += applied
    return (splice_sources(notebook, sources), count) if count else (text, 0)


def notebook_diff(before: str, after: str, path: str) -> str:
    """The changes from notebook text ``before`` to ``after``, one unified diff per changed cell."""
    if before == after:
        return ""
    old, new = _notebook(before, path), _notebook(after, path)
    sources = {cell.number: cell.source for cell in new.cells}
    return "".join(
        unified_diff(cell.source, sources.get(cell.number, ""), f"{path}:cell {cell.number}")
        for cell in old.cells
    )


def _notebook(text: str, path: str) -> Notebook:
    notebook = read_notebook(text, path)
    # Only texts that were read as notebooks already, or that splicing made, come here.
    assert not isinstance(notebook, FileError), notebook.reason
    return notebook
