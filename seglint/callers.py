"""Which files of a project may call a module's functions with a model or a loss: its importers.

Light on purpose (no libcst): the runner asks before deciding whether to parse a file at all. The
import index itself is built by the provider scan (``Providers.importers``).
"""

from __future__ import annotations

import os
from pathlib import Path

from seglint.providers import Providers, calls_a_parameter

# At most this many importers of a checked file are analysed for the findings they make in it.
MAX_CALLERS = 8


def module_name(root: Path, path: Path) -> str:
    """``pkg.sub.mod`` for ``<root>/[src/]pkg/sub/mod.py``; ``pkg`` for its ``__init__.py``."""
    path = path.resolve()
    for base in (root / "src", root):
        try:
            relative = path.relative_to(base)
        except ValueError:
            continue
        parts = list(relative.with_suffix("").parts)
        if parts and parts[-1] == "__init__":
            parts.pop()
        return ".".join(parts)
    return path.stem


def callers_of(root: Path, providers: Providers, path: str) -> tuple[Path, ...]:
    """The project's files that import the module at ``path``, at most ``MAX_CALLERS``, in order."""
    if not providers.importers:
        return ()
    own = Path(os.path.abspath(path))
    module = module_name(root, own)
    files = sorted(Path(file) for file in providers.importers_of(module) if Path(file) != own)
    return tuple(files[:MAX_CALLERS]) if module else ()


def reached_by_callers(
    root: Path, providers: Providers, unchecked: frozenset[Path], path: str, source: str
) -> bool:
    """Whether files the run does not check (``unchecked``: the importers it leaves out, see
    ``unchecked_importers``) may make findings in ``path``: they import its module, and one of its
    functions calls a parameter (where their model or loss would act). Checked callers report those
    findings themselves."""
    if not unchecked:  # a whole tree: every caller speaks for itself
        return False
    return any(caller in unchecked for caller in callers_of(root, providers, path)) and calls_a_parameter(
        source
    )


def unchecked_importers(providers: Providers, checked: frozenset[Path]) -> frozenset[Path]:
    """The files that import a module of the project and that the run does not check (once per run:
    comparing the sets per file would cost more than the files' analyses)."""
    return providers.importer_files - checked
