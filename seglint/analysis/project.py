"""The project a linted file belongs to: its root, its module names, and the other modules' summaries.

Other modules are read and parsed only when a value from them reaches a loss, and each at most once
per run. Reading is injected (``read``) so that this layer does no I/O of its own choosing.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import libcst as cst

from seglint.analysis.catalogue import Catalogue
from seglint.analysis.libraries import DEFAULT
from seglint.analysis.module import ModuleInterpreter
from seglint.analysis.values import UNKNOWN, Ref, Value
from seglint.callers import callers_of, module_name, reached_by_callers, unchecked_importers
from seglint.parse import ParsedSource, parse
from seglint.providers import Providers

# Interpreters of other modules kept for their summaries, least recently used first out. Each holds
# the libcst trees of the blocks it parsed (about 300 bytes per byte of source): on transformers, 64 of
# them held 30 MiB more at the peak than 16 do, and 16 re-read 7 modules more in 359.
MAX_CACHED_MODULES = 16


class Project:
    def __init__(
        self,
        root: Path,
        *,
        read: Callable[[Path], str | None],
        catalogue: Catalogue = DEFAULT,
        display: Callable[[Path], str] = lambda path: os.path.relpath(path),
        providers: Providers | None = None,
    ) -> None:
        self.root = root.resolve()
        # Names through which the project's modules hand out losses (found by the runner).
        self.providers = providers if providers is not None else Providers()
        self.catalogue = catalogue
        self._read = read
        self._display = display
        # Bounded, so memory does not grow with the number of files: an evicted module is re-read if needed.
        self._interpreters: OrderedDict[Path, ModuleInterpreter | None] = OrderedDict()
        self._located: dict[tuple[str, Path], tuple[Path | None, tuple[Path, ...]]] = {}
        self._resolving: set[str] = set()
        # For the cache: other modules whose summaries were used, and places where one was looked for
        # and not found.
        self.touched: set[Path] = set()
        self.absent: set[Path] = set()
        self._shown: dict[str, Path] = {}  # each module's path as findings show it, and the file
        # The files the run checks: a caller among them reports what it makes in its callees itself.
        self.checked: frozenset[Path] = frozenset()
        # Callers left out for that reason while linting one file (the cache keeps them with the file).
        self.skipped_callers: set[Path] = set()
        self._unchecked: frozenset[Path] | None = None

    def callers(self, path: str) -> tuple[Path, ...]:
        return callers_of(self.root, self.providers, path)

    def reached_by_callers(self, path: str, source: str) -> bool:
        if self._unchecked is None:
            self._unchecked = unchecked_importers(self.providers, self.checked)
        return reached_by_callers(self.root, self.providers, self._unchecked, path, source)

    def unchecked_callers(self, path: str) -> list[Path]:
        callers = []
        for caller in self.callers(path):
            if caller in self.checked:
                self.skipped_callers.add(caller)
            else:
                self.touched.add(caller)
                callers.append(caller)
        return callers

    def source_of_file(self, path: Path) -> str | None:
        return self._read(path)

    def shown(self, path: Path) -> str:
        return self._display(path)

    def is_file(self, shown: str, path: str) -> bool:
        """Whether findings shown at ``shown`` are in the file ``path``."""
        known = self._shown.get(shown)
        return known is not None and known == Path(path).resolve()

    def source_of(self, shown: str) -> str | None:
        """The text of the module whose findings show ``shown`` as their path (for its comments)."""
        path = self._shown.get(shown)
        return self._read(path) if path is not None else None

    # ----------------------------------------------------------------- module names
    def _search_roots(self, near: Path) -> list[Path]:
        roots = [self.root / "src", self.root, near]
        return [root for i, root in enumerate(roots) if root not in roots[:i]]

    def module_name(self, path: Path) -> str:
        """``pkg.sub.mod`` for ``<root>/[src/]pkg/sub/mod.py``; ``pkg`` for its ``__init__.py``."""
        return module_name(self.root, path)

    def _locate(self, dotted: str, near: Path) -> Path | None:
        key = (dotted, near)
        if key not in self._located:
            probed: list[Path] = []
            found = None
            relative = Path(*dotted.split("."))
            for root in self._search_roots(near):
                # A package directory takes precedence over a module of the same name, as in Python.
                for candidate in (root / relative / "__init__.py", root / relative.with_suffix(".py")):
                    if candidate.is_file():
                        found = candidate.resolve()
                        break
                    probed.append(candidate)
                if found is not None:
                    break
            self._located[key] = (found, tuple(probed))
        found, probed = self._located[key]
        # A module that appears later at one of these places would change the result: the cache must know.
        self.absent.update(probed)
        return found

    # ----------------------------------------------------------------- interpreters
    def interpreter_for_linting(self, parsed: ParsedSource, path: str) -> ModuleInterpreter:
        return self._new_interpreter(parsed, path, Path(path).resolve())

    def _new_interpreter(self, parsed: ParsedSource, shown: str, path: Path) -> ModuleInterpreter:
        interpreter = ModuleInterpreter(
            parsed.module,
            shown,
            catalogue=self.catalogue,
            project=self,
            module_name=self.module_name(path),
            masked=parsed.masked,
            definitions=parsed.definitions,
        )
        interpreter.directory = path.parent
        interpreter.is_package = path.name == "__init__.py"
        interpreter.source_path = path
        self._shown[shown] = path
        return interpreter

    def _interpreter(self, path: Path) -> ModuleInterpreter | None:
        self.touched.add(path)
        if path in self._interpreters:
            self._interpreters.move_to_end(path)
        else:
            while len(self._interpreters) >= MAX_CACHED_MODULES:
                self._interpreters.popitem(last=False)
            self._interpreters[path] = None  # an import cycle sees nothing while this one loads
            source = self._read(path)
            if source is None:
                return None
            try:
                # Only its imports now; each top-level block is parsed when one of its names is needed.
                parsed = parse(source, triggered=None)
            except (cst.ParserSyntaxError, RecursionError, ValueError):
                return None
            self._interpreters[path] = self._new_interpreter(parsed, self._display(path), path)
        return self._interpreters[path]

    def forget_modules(self) -> None:
        """Drop every module read so far (an analysis interrupted by a limit left their summaries partial)."""
        self._interpreters.clear()

    # ----------------------------------------------------------------- lookups
    def lookup(self, qualified: str, requester: ModuleInterpreter) -> Value:
        """What ``qualified`` (absolute, or relative to ``requester``) names in the project, if anything."""
        absolute = self._absolute(qualified, requester)
        if absolute is None or absolute in self._resolving:
            return UNKNOWN
        near = requester.directory or self.root
        parts = absolute.split(".")
        for split in range(len(parts) - 1, 0, -1):
            path = self._locate(".".join(parts[:split]), near)
            if path is None:
                continue
            interpreter = self._interpreter(path)
            if interpreter is None or split != len(parts) - 1:
                return UNKNOWN  # attributes of module-level objects are not followed
            self._resolving.add(absolute)
            try:
                value = interpreter.global_value(parts[split])
                # Re-exports (``from .unet import UNet`` in ``__init__.py``) resolve in their own module.
                result: set = set()
                for possibility in value:
                    if isinstance(possibility, Ref) and not possibility.qualified.startswith("torch"):
                        found = self.lookup(possibility.qualified, interpreter)
                        # A library's name (``from monai.losses import DiceLoss``) stays a name.
                        outside = not found and not self._is_project_name(possibility.qualified, interpreter)
                        result |= {possibility} if outside else found
                    else:
                        result.add(possibility)
                return frozenset(result)
            finally:
                self._resolving.discard(absolute)
        return UNKNOWN

    def _is_project_name(self, qualified: str, requester: ModuleInterpreter) -> bool:
        """Whether ``qualified`` is relative or its top-level package is one of the project's modules."""
        if qualified.startswith("."):
            return True
        return self._locate(qualified.split(".", 1)[0], requester.directory or self.root) is not None

    def star_names(self, module: str, requester: ModuleInterpreter) -> dict[str, str]:
        """What ``from module import *`` binds when ``module`` is one of the project's: its public
        top-level names, each as a qualified name resolved (and parsed) only if used."""
        absolute = self._absolute(module, requester)
        path = self._locate(absolute, requester.directory or self.root) if absolute else None
        interpreter = self._interpreter(path) if path is not None else None
        if interpreter is None or absolute is None:
            return {}
        interpreter.global_value("__name__")  # runs the module body once
        return {name: f"{absolute}.{name}" for name in interpreter.module_env if not name.startswith("_")}

    def _absolute(self, qualified: str, requester: ModuleInterpreter) -> str | None:
        level = len(qualified) - len(qualified.lstrip("."))
        if level == 0:
            return qualified
        package = requester.module_name.split(".") if requester.module_name else []
        if not requester.is_package:
            package = package[:-1]
        if level - 1 > len(package):
            return None
        base = package[: len(package) - (level - 1)]
        rest = qualified[level:]
        return ".".join([*base, rest]) if rest else ".".join(base)
