"""The catalogue the linter uses: torch's own names, the library facts of ``seglint.library_facts`` for
the libraries in use, and the names the configuration adds."""

from __future__ import annotations

from collections.abc import Iterable

from seglint.analysis.catalogue import TORCH, Catalogue, Expects, Kind, LossSpec
from seglint.library_facts import LIBRARIES, LOSSES, MODELS, LossFact

__all__ = ["DEFAULT", "LIBRARIES", "build_catalogue", "loss_spec"]


def loss_spec(fact: LossFact) -> LossSpec:
    """How the analysis applies a library loss fact: unconditional facts need no constructor reading."""
    unconditional = len(fact.cases) == 1 and not fact.cases[0].when
    expects = fact.cases[0].expects if unconditional else "logits"
    return LossSpec(
        Expects(expects or "logits"),
        input_keyword=fact.input_keyword,
        input_position=fact.input_position,
        fact=None if unconditional else fact,
    )


def build_catalogue(
    *,
    libraries: Iterable[str] = LIBRARIES,
    logits_losses: Iterable[str] = (),
    log_probability_losses: Iterable[str] = (),
    probability_functions: Iterable[str] = (),
) -> Catalogue:
    """torch's catalogue plus the named libraries (by default every catalogued one) and the user's own
    names (all validated by config).

    A user loss whose last name component starts with a capital letter is taken for a class (its
    instances are called with the input); any other name for a function called with the input.
    """
    chosen = frozenset(libraries)
    loss_modules: dict[str, LossSpec] = {}
    loss_functions: dict[str, LossSpec] = {}
    library_of: dict[str, str] = {}
    for fact in LOSSES:
        if fact.library in chosen:
            target = loss_modules if fact.callable == "class" else loss_functions
            target[fact.name] = loss_spec(fact)
            library_of[fact.name] = fact.library
    for names, expects in (
        (logits_losses, Expects.LOGITS),
        (log_probability_losses, Expects.LOG_PROBABILITIES),
    ):
        for name in names:
            target = loss_modules if name.rsplit(".", 1)[-1][:1].isupper() else loss_functions
            target[name] = LossSpec(expects)
    producers = {name: (Kind.PROBABILITIES, name.rsplit(".", 1)[-1]) for name in probability_functions}
    models = {fact.name: fact for fact in MODELS if fact.library in chosen}
    for name in (*logits_losses, *log_probability_losses):
        library_of.pop(name, None)  # the user's own name counts everywhere
    return TORCH.extended(
        loss_functions=loss_functions,
        loss_modules=loss_modules,
        producer_functions=producers,
        library_of=library_of,
        models=models,
    )


# What a run without configuration uses: torch and every catalogued library.
DEFAULT: Catalogue = build_catalogue()
