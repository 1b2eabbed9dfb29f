"""What a rule is: a code, a name, its documentation and a pure function over a module's facts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from seglint.analysis.catalogue import short_name
from seglint.analysis.facts import ModuleFacts, Origin
from seglint.diagnostics import Diagnostic


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str
    severity: str  # "error" or "warning"
    fix_availability: str  # "none" or "sometimes"
    doc: str
    check: Callable[[ModuleFacts], Iterable[Diagnostic]]
    # A file can hold a finding only if, for every group, it contains one of the group's words.
    required_words: tuple[tuple[str, ...], ...] = ()


LOGITS_LOSS_WORDS = (
    "cross_entropy",
    "CrossEntropyLoss",
    "BCEWithLogitsLoss",
    "binary_cross_entropy_with_logits",
)
LOG_PROBABILITY_LOSS_WORDS = ("nll_loss", "NLLLoss", "kl_div", "KLDivLoss")
PROBABILITY_WORDS = ("softmax", "Softmax", "sigmoid", "Sigmoid", "expit")


def describe_origins(origins: tuple[Origin, ...]) -> str:
    """``softmax`` (line 7) or ``softmax`` (line 7) or ``sigmoid`` (line 9)."""
    return " or ".join(
        f"`{origin.producer}` (line {origin.span.line})" for origin in origins
    )


def loss_name(qualified: str) -> str:
    return short_name(qualified)
