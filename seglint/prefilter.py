"""A byte-level test of whether a file can hold a finding, before anything is parsed.

A finding needs a loss named in the file (SEG001-SEG004; or a name through which the project provides
one, see ``providers``) or a softmax and a ``log(`` (SEG005). Without
cross-module summaries the probabilities must be made in the same file too, so a producer's name is
also required. The test is a few substring searches: most files of a tree are ruled out here.

A library's loss names (``DiceLoss``, ``FocalLoss``, ``sigmoid_focal_loss``) count only in a file that
imports that library or in a project one of whose modules does: many projects define their own
``DiceLoss``, and the analysis would find nothing in them but would still parse them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from seglint.analysis.catalogue import PRODUCER_METHODS, PRODUCER_MODULES, Catalogue
from seglint.codetext import code_text, mentions
from seglint.providers import Providers
from seglint.wordsets import present_words

_LOSS_RULES = frozenset({"SEG001", "SEG002", "SEG003", "SEG004"})


def trigger_words(catalogue: Catalogue) -> tuple[frozenset[str], frozenset[str]]:
    """(loss words, producer words) for ``catalogue``, every library's loss words included."""
    producers = (
        catalogue.producer_words()
        | {name.rsplit(".", 1)[-1] for name in PRODUCER_MODULES}
        | set(PRODUCER_METHODS)
    )
    return catalogue.loss_words(), frozenset(producers)


def imported_libraries(source: str, libraries: Iterable[str]) -> frozenset[str]:
    """Which of ``libraries`` (top-level import names) an ``import`` statement of ``source`` names.

    A text scan (strings and comments included): a library counted too many costs a parse, never a
    finding."""
    return frozenset(
        library for library in libraries if library in source and _import_of(library).search(source)
    )


@functools.lru_cache(maxsize=64)
def _import_of(library: str) -> re.Pattern[str]:
    name = re.escape(library)
    # ``import monai``, ``import os, monai.losses as L``, ``from monai.losses import X``.
    return re.compile(
        rf"^[ \t]*(?:from[ \t]+{name}\b|import[ \t]+(?:[^\n#;]*,[ \t]*)?{name}\b)", re.MULTILINE
    )


_IMPORT_STATEMENT = re.compile(
    r"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+import[ \t]+(?:\([^)]*\)|[^\n]*)|import[ \t]+[^\n]*)", re.MULTILINE
)
_DEFINITION = re.compile(r"^[ \t]*(?:class|def|async[ \t]+def)[ \t]+(\w+)", re.MULTILINE)


def uses_library_name(source: str, words: Iterable[str]) -> bool:
    """Whether ``source`` uses one of a library's loss names (``words``) as the library's.

    An import of the name (unless it renames it: ``import ... as Loss``) is not a use, and a name the
    file defines itself (``class DiceLoss``) is the file's own: MONAI's and smp's own modules, and
    projects with their own ``DiceLoss``, pass unparsed."""
    present = present_words(source, words)
    if not present:
        return False
    code = code_text([source], 1, 1)
    imports = _IMPORT_STATEMENT.findall(code)
    if any(" as " in statement and mentions(statement, present) for statement in imports):
        return True
    rest = _IMPORT_STATEMENT.sub(" ", code)
    defined = set(_DEFINITION.findall(rest))
    rest = _DEFINITION.sub(" ", rest)
    return mentions(rest, [word for word in present if word not in defined])


def defined_names(source: str, words: Iterable[str]) -> frozenset[str]:
    """Which of ``words`` ``source`` defines itself (``class DiceLoss``, ``def sigmoid_focal_loss``)."""
    present = present_words(source, words)
    if not present:
        return frozenset()
    return frozenset(present).intersection(_DEFINITION.findall(code_text([source], 1, 1)))


def could_match(
    source: str,
    select: Iterable[str],
    catalogue: Catalogue,
    *,
    cross_module: bool,
    providers: Providers | None = None,
    imported: Iterable[str] | None = None,
) -> bool:
    """Whether ``source`` (a file, or a top-level block of one) can hold a finding of a rule in ``select``.

    ``providers``: the project's loss providers and the libraries it imports; mentioning a provider
    counts as naming a loss. ``imported``: the libraries the file imports, for a block of it (``None``:
    read from ``source``).
    """
    selected = frozenset(select)
    if selected & _LOSS_RULES:
        if imported is None:
            imported = imported_libraries(source, catalogue.library_words())
        if providers is not None:
            imported = frozenset(imported) | providers.libraries
        everywhere = catalogue.loss_words_where(frozenset())
        gated = catalogue.loss_words_where(frozenset(imported)) - everywhere
        # Whole names only: ``sample_inputs_cross_entropy`` is not ``cross_entropy``.
        names_a_loss = (
            mentions(source, everywhere)
            or uses_library_name(source, gated)
            or (providers is not None and providers.mentioned_in(source))
        )
        if names_a_loss and (cross_module or mentions(source, trigger_words(catalogue)[1])):
            return True
    return "SEG005" in selected and ("softmax" in source or "Softmax" in source) and "log(" in source
