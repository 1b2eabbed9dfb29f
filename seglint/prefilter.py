"""A byte-level test of whether a file can hold a finding, before anything is parsed.

A finding needs a loss named in the file (SEG001-SEG004; or a name through which the project provides
one, see ``providers``) or a softmax and a ``log(`` (SEG005). Without
cross-module summaries the probabilities must be made in the same file too, so a producer's name is
also required. The test is a few substring searches: most files of a tree are ruled out here.
"""

from __future__ import annotations

from collections.abc import Iterable

from seglint.analysis.catalogue import PRODUCER_METHODS, PRODUCER_MODULES, Catalogue
from seglint.codetext import mentions
from seglint.providers import Providers

_LOSS_RULES = frozenset({"SEG001", "SEG002", "SEG003", "SEG004"})


def trigger_words(catalogue: Catalogue) -> tuple[frozenset[str], frozenset[str]]:
    """(loss words, producer words) for ``catalogue``."""
    producers = (
        catalogue.producer_words()
        | {name.rsplit(".", 1)[-1] for name in PRODUCER_MODULES}
        | set(PRODUCER_METHODS)
    )
    return catalogue.loss_words(), frozenset(producers)


def could_match(
    source: str,
    select: Iterable[str],
    catalogue: Catalogue,
    *,
    cross_module: bool,
    providers: Providers | None = None,
) -> bool:
    """Whether ``source`` (a file, or a top-level block of one) can hold a finding of a rule in ``select``.

    ``providers``: the project's loss providers; mentioning one counts as naming a loss.
    """
    selected = frozenset(select)
    loss_words, producer_words = trigger_words(catalogue)
    # Whole names only: ``sample_inputs_cross_entropy`` is not ``cross_entropy``.
    names_a_loss = bool(selected & _LOSS_RULES) and (
        mentions(source, loss_words) or (providers is not None and providers.mentioned_in(source))
    )
    if names_a_loss and (cross_module or mentions(source, producer_words)):
        return True
    return "SEG005" in selected and ("softmax" in source or "Softmax" in source) and "log(" in source
