"""Lint one source text: parse, analyse, run the selected rules, drop suppressed findings."""

from __future__ import annotations

from dataclasses import replace

from seglint.analysis.budget import TooComplex
from seglint.analysis.catalogue import Catalogue
from seglint.analysis.dataflow import analyse_module
from seglint.analysis.facts import ModuleFacts
from seglint.analysis.libraries import DEFAULT
from seglint.analysis.project import Project
from seglint.diagnostics import Diagnostic, FileError, FileResult
from seglint.parse import UnparsableSource, parse
from seglint.prefilter import could_match, imported_libraries
from seglint.rules import ALL_RULES
from seglint.suppression import filter_suppressed


def lint_source(
    source: str,
    path: str,
    *,
    select: frozenset[str],
    catalogue: Catalogue = DEFAULT,
    project: Project | None = None,
    partial: bool | None = None,
    noqa: bool = True,
) -> FileResult:
    """Lint ``source`` (the text of ``path``) with the rules whose codes are in ``select``.

    With a ``project``, models and helpers imported from its other modules are followed. ``partial``
    chooses between parsing only the blocks that can matter and the whole file (``None``: by size);
    the findings are the same either way. ``noqa=False`` leaves ``# noqa`` comments to someone else
    (flake8), honouring ``# seglint: ignore`` only.
    """
    rules = [rule for rule in ALL_RULES if rule.code in select]
    if project is not None:
        catalogue = project.catalogue
    providers = project.providers if project is not None else None
    # A block of the file sees the file's imports.
    imported = imported_libraries(source, catalogue.library_words())
    if not could_match(
        source,
        select,
        catalogue,
        cross_module=project is not None,
        providers=providers,
        imported=imported,
    ) and not (project is not None and project.reached_by_callers(path, source)):
        return FileResult(path)
    try:
        parsed = parse(
            source,
            triggered=lambda text: could_match(
                text, select, catalogue, cross_module=True, providers=providers, imported=imported
            ),
            partial=partial,
        )
    except UnparsableSource as error:
        return FileResult(path, error=FileError(path, error.line, error.column, error.reason))
    try:
        facts = analyse_module(parsed, path, catalogue=catalogue, project=project)
    except TooComplex as limit:
        if project is not None:
            project.forget_modules()  # the interrupted summaries of every module on the stack are partial
        return FileResult(path, error=FileError(path, 0, 0, limit.reason(path)))
    except RecursionError:  # a chain of calls thousands deep: libcst's own passes recurse too
        if project is not None:
            project.forget_modules()
        return FileResult(
            path, error=FileError(path, 0, 0, "could not analyse: the code is nested too deeply")
        )
    diagnostics = [diagnostic for rule in rules for diagnostic in rule.check(facts)]
    if project is not None and project.reached_by_callers(path, source):
        diagnostics.extend(_made_by_callers(path, rules, project, select, partial))
    kept = list(filter_suppressed(diagnostics, source, noqa=noqa)) if diagnostics else []
    if project is not None:
        kept.extend(_found_elsewhere(facts.elsewhere, rules, project, noqa=noqa))
    return FileResult(path, diagnostics=_once_each(kept))


def _once_each(diagnostics: list[Diagnostic]) -> tuple[Diagnostic, ...]:
    """One finding per place and code: several callers' contexts can make the same one (the first
    message in order is kept, so the result never depends on the order they were met)."""
    chosen: dict[tuple, Diagnostic] = {}
    for d in diagnostics:
        key = (d.path, d.span, d.code)
        if key not in chosen or d.message < chosen[key].message:
            chosen[key] = d
    return tuple(sorted(chosen.values(), key=lambda d: d.sort_key))


def _made_by_callers(
    path: str, rules: list, project: Project, select: frozenset[str], partial: bool | None
) -> list[Diagnostic]:
    """The findings that the project's other files make in this one by calling its functions and
    classes with a model, a loss or a kind (``train(UNet(), ...)`` in main.py, this file holding
    ``train``), so that checking only this file still reports them. Callers checked in the same run
    report them themselves and are left out here."""
    found: list[Diagnostic] = []
    catalogue, providers = project.catalogue, project.providers
    for caller in project.unchecked_callers(path):
        source = project.source_of_file(caller)
        if source is None:
            continue
        imported = imported_libraries(source, catalogue.library_words())

        def triggered(text: str, imported: frozenset[str] = imported) -> bool:
            return could_match(
                text, select, catalogue, cross_module=True, providers=providers, imported=imported
            )

        try:
            parsed = parse(source, triggered=triggered, partial=partial)
            facts = project.interpreter_for_linting(parsed, project.shown(caller)).analyse()
        except (UnparsableSource, RecursionError, TooComplex):
            project.forget_modules()  # a caller too complex to follow: its partial summaries go
            continue
        for elsewhere in facts.elsewhere:
            if project.is_file(elsewhere.path, path):
                found.extend(replace(d, path=path, fix=None) for rule in rules for d in rule.check(elsewhere))
    return found


def _found_elsewhere(
    elsewhere: tuple[ModuleFacts, ...], rules: list, project: Project, *, noqa: bool = True
) -> list[Diagnostic]:
    """Findings this file's calls make in other modules (``train(UNet(), ...)`` with ``train`` in
    engine.py): located there, suppressed by that file's own comments, and without fixes, which belong
    to a run that checks that file."""
    found: list[Diagnostic] = []
    for facts in elsewhere:
        diagnostics = [replace(d, fix=None) for rule in rules for d in rule.check(facts)]
        source = project.source_of(facts.path) if diagnostics else None
        if source is not None:
            found.extend(filter_suppressed(diagnostics, source, noqa=noqa))
    return found
