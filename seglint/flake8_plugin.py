"""seglint as a flake8 plugin: ``flake8 --select SEG`` reports the same findings, codes and positions.

Registered as the ``SEG`` entry point of ``flake8.extension``. The catalogue keys of the closest
seglint configuration (``libraries``, ``logits-losses``, ``log-probability-losses``,
``probability-functions``, the limits) apply, as for ``seglint`` itself; rule selection, ``noqa`` and
per-file ignores are flake8's (every rule runs, and flake8 keeps what its ``--select`` / ``--ignore`` /
``--per-file-ignores`` say, and ``# noqa`` is read by flake8 alone, so ``--disable-noqa`` shows what it
hides). ``# seglint: ignore[...]`` comments are honoured here. flake8 counts columns from 0 in the
plugin API and shows them from 1, so its output matches seglint's.

A file that Python cannot parse never reaches the plugin (it is flake8's E999). One that seglint cannot
check for another reason (an invalid configuration governs it, it is too large or nested too deeply to
analyse) is one ``SEG000`` finding at its first line saying why, where ``seglint`` would exit 2: never
silently clean. Like the linter, the plugin never imports torch.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from seglint import __version__

#: The code of "seglint could not check this file" (no rule has it; flake8 selects it with ``SEG``).
NOT_CHECKED = "SEG000"

_LINTERS: dict[object, Callable[[str, str, frozenset[str]], Any]] = {}


def _linter(path: Path) -> tuple[Callable[[str, str, frozenset[str]], Any], frozenset[str]] | str:
    """The linter for the file ``path`` (absolute) under its closest configuration, and every code;
    or why there is none (an invalid configuration)."""
    from seglint.config import Configurations
    from seglint.errors import SeglintError
    from seglint.rules import ALL_RULES
    from seglint.runner import CatalogueSpec, text_linter

    codes = tuple(rule.code for rule in ALL_RULES)
    try:
        settings = Configurations(cwd=path.parent, codes=codes).run
    except SeglintError as error:
        return f"invalid configuration: {error}"
    spec = CatalogueSpec(
        libraries=settings.libraries,
        logits_losses=settings.logits_losses,
        log_probability_losses=settings.log_probability_losses,
        probability_functions=settings.probability_functions,
    )
    key = (spec, settings.limits)
    if key not in _LINTERS:
        _LINTERS[key] = text_linter(spec, limits=settings.limits, noqa=False)
    return _LINTERS[key], frozenset(codes)


class Flake8Plugin:
    """flake8 calls ``run`` once per file; it yields ``(line, column from 0, "CODE message", type)``."""

    name = "seglint"
    version = __version__

    def __init__(self, tree: object, filename: str, lines: Sequence[str]) -> None:
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[tuple[int, int, str, type[Flake8Plugin]]]:
        name = self.filename if self.filename not in ("stdin", "-") else "stdin.py"
        found = _linter(Path(os.path.abspath(name)))
        if isinstance(found, str):
            yield (1, 0, f"{NOT_CHECKED} seglint could not check this file: {found}", type(self))
            return
        lint, select = found
        result = lint("".join(self.lines), self.filename, select)
        if result.error is not None:
            error = result.error
            line, column = (error.line, max(0, error.column - 1)) if error.line else (1, 0)
            yield (
                line,
                column,
                f"{NOT_CHECKED} seglint could not check this file: {error.reason}",
                type(self),
            )
        for diagnostic in result.diagnostics:
            if diagnostic.path != self.filename:
                continue  # found in another file through this one: flake8 reports that file itself
            yield (
                diagnostic.span.line,
                diagnostic.span.column - 1,
                f"{diagnostic.code} {diagnostic.message}",
                type(self),
            )
