"""Loss providers: names in a project through which a loss object reaches a file that never names one.

``crit = build_loss(); crit(torch.softmax(x, 1), y)`` holds a finding, but the file names no loss, so
the byte prefilter would skip it. The providers of a project are its top-level functions that return
something built from a loss name, its module-level objects built from one, and its classes that assign
one to an attribute (their subclasses inherit ``self.criterion``). A file, or a top-level block of one, that mentions
a provider function or object, or derives a class from a provider class, is analysed as if it named a
loss. Finding them is a text scan (no parse), so it may find a few names too many: that costs a parse,
never a finding.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from seglint.codetext import code_text
from seglint.wordsets import present_words

_TOP_LEVEL = re.compile(
    r"^(?:(?P<kind>class|def|async\s+def)\s+(?P<name>\w+)|(?P<target>\w+)\s*(?::[^=\n]*)?=(?!=))",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Providers:
    functions: frozenset[str] = frozenset()  # functions and module-level objects
    classes: frozenset[str] = frozenset()
    # The catalogued libraries some module of the project imports: their loss names count in every
    # file of it (``from .losses import DiceLoss`` where ``losses.py`` imports MONAI's).
    libraries: frozenset[str] = frozenset()
    # Which files of the project import each of its modules (by dotted name): the places that may
    # pass a module's functions and classes a model or a loss.
    importers: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.functions or self.classes)

    @functools.cached_property
    def _importers(self) -> dict[str, tuple[str, ...]]:
        return dict(self.importers)

    @functools.cached_property
    def importer_files(self) -> frozenset[Path]:
        """Every file that imports a module of the project."""
        return frozenset(Path(file) for _, files in self.importers for file in files)

    def importers_of(self, module: str) -> tuple[str, ...]:
        """The files that import ``module`` (``import m``, ``from m import x``, ``from pkg import m``)."""
        return self._importers.get(module, ())

    @functools.cached_property
    def _function_names(self) -> re.Pattern[str] | None:
        if not self.functions:
            return None
        names = "|".join(map(re.escape, sorted(self.functions, key=len, reverse=True)))
        return re.compile(rf"(?<![\w.])(?:{names})(?!\w)")

    def mentioned_in(self, text: str) -> bool:
        """Whether ``text`` uses a provider function or object, or derives a class from a provider class."""
        # Substring tests first: they rule out nearly every text at C speed.
        named = self._function_names is not None and any(name in text for name in self.functions)
        if named and self._function_names.search(text):  # type: ignore[union-attr]
            return True
        if self.classes and "class" in text and any(name in text for name in self.classes):
            for bases in _CLASS_BASES.finditer(text):
                if not self.classes.isdisjoint(re.findall(r"\w+", bases[1])):
                    return True
        return False

    def merged(self, other: Providers) -> Providers:
        importers = dict(self.importers)
        for module, files in other.importers:
            importers[module] = tuple(sorted({*importers.get(module, ()), *files}))
        return Providers(
            self.functions | other.functions,
            self.classes | other.classes,
            self.libraries | other.libraries,
            tuple(sorted(importers.items())),
        )


_PARAMETERS = re.compile(r"\bdef\s+\w+\s*\(([^)]*)\)", re.DOTALL)


def calls_a_parameter(text: str) -> bool:
    """Whether some function of ``text`` calls one of its parameters (``criterion(...)``,
    ``self.model(...)`` after ``self.model = model``): where a caller's model or loss may act.
    A text scan: a match too many costs an analysis, never a finding."""
    names: set[str] = set()
    for match in _PARAMETERS.finditer(text):
        for parameter in match[1].split(","):
            name = parameter.split("=")[0].split(":")[0].strip().lstrip("*")
            if name.isidentifier() and name not in ("self", "cls"):
                names.add(name)
    if not names:
        return False
    pattern = "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
    return re.search(rf"(?<![\w.])(?:self\.)?(?:{pattern})\s*\(", text) is not None


_MAX_OBJECT_LINES = 5
_CLASS_BASES = re.compile(r"\bclass\s+\w+\s*\(([^)]*)\)")


def providers_in(text: str, loss_words: Iterable[str]) -> Providers:
    """The providers a module's text defines (``loss_words``: the catalogue's loss names)."""
    words = present_words(text, loss_words)
    if not words:
        return Providers()
    starts = list(_TOP_LEVEL.finditer(text))
    functions: set[str] = set()
    classes: set[str] = set()
    for index, start in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        block = code_text([text[start.start() : end]], 1, 1)
        if not any(word in block for word in words):
            continue
        if start["kind"] == "class":
            # Subclasses inherit loss objects through attributes: ``self.criterion = nn.CrossEntropyLoss()``.
            if _assigns_a_loss_attribute(block, words):
                classes.add(start["name"])
        elif start["target"] is not None:
            # ``criterion = nn.CrossEntropyLoss()``, ``ce = partial(F.cross_entropy, ...)``: short
            # definitions; a table of thousands of lines that mentions a loss is not a loss object.
            if block.count("\n") <= _MAX_OBJECT_LINES:
                functions.add(start["target"])
        elif _returns_a_loss(block, words):
            functions.add(start["name"])
    return Providers(frozenset(functions), frozenset(classes))


def _assigns_a_loss_attribute(block: str, words: list[str]) -> bool:
    """``self.x = <loss>`` anywhere in the class, or ``x = <loss>`` in the class body itself."""
    body_indent = re.search(r"^([ \t]+)\S", block, re.MULTILINE)
    indent = re.escape(body_indent[1]) if body_indent else r"[ \t]+"
    pattern = rf"^(?:[ \t]+self\.\w+|{indent}\w+)\s*(?::[^=\n]*)?=(?!=)(.*)$"
    return any(word in value for value in re.findall(pattern, block, re.MULTILINE) for word in words)


def _returns_a_loss(block: str, words: list[str]) -> bool:
    """A function returns a loss when a ``return`` names a loss, or a name assigned from one."""
    carriers = set(words)
    for match in re.finditer(r"^\s*(\w+)\s*=(?!=)(.*)$", block, re.MULTILINE):
        if any(word in match.group(2) for word in carriers):
            carriers.add(match.group(1))
    returns = re.findall(r"^\s*return\b(.*)$", block, re.MULTILINE)
    return any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", value) for value in returns for word in carriers)
