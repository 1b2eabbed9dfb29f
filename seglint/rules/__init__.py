"""The rule catalogue: one module per rule, each carrying its documentation."""

from __future__ import annotations

from seglint.rules import (
    log_of_softmax,
    one_hot_as_logits,
    probabilities_as_log_probabilities,
    probabilities_as_logits,
    redundant_log_softmax,
)
from seglint.rules.base import Rule

ALL_RULES: tuple[Rule, ...] = tuple(
    sorted(
        (
            probabilities_as_logits.RULE,
            one_hot_as_logits.RULE,
            probabilities_as_log_probabilities.RULE,
            redundant_log_softmax.RULE,
            log_of_softmax.RULE,
        ),
        key=lambda rule: rule.code,
    )
)
RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in ALL_RULES}

__all__ = ["ALL_RULES", "RULES_BY_CODE", "Rule"]
