"""The analysis layer's entry point: the facts of one module, optionally within a project."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seglint.analysis.catalogue import Catalogue
from seglint.analysis.facts import ModuleFacts
from seglint.analysis.libraries import DEFAULT
from seglint.analysis.module import ModuleInterpreter

if TYPE_CHECKING:
    from seglint.analysis.project import Project
    from seglint.parse import ParsedSource


def analyse_module(
    parsed: ParsedSource, path: str, *, catalogue: Catalogue = DEFAULT, project: Project | None = None
) -> ModuleFacts:
    """Facts about where probabilities, one-hot and log-probability tensors meet losses in a module.

    With a ``project``, calls of models, helpers and classes from other modules of the project are
    followed through their summaries; without one, only this module is seen.
    """
    if project is not None:
        return project.interpreter_for_linting(parsed, path).analyse()
    return ModuleInterpreter(
        parsed.module, path, catalogue=catalogue, masked=parsed.masked, definitions=parsed.definitions
    ).analyse()
