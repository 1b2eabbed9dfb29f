"""Each rule's documentation: fixed headings, an Example that triggers it, a Use instead that is clean."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from seglint.engine import lint_source
from seglint.rules import ALL_RULES, RULES_BY_CODE
from seglint.rules.base import Rule

HEADINGS = [
    "What it does",
    "Why is this bad?",
    "Example",
    "Use instead",
    "Fix safety",
    "Known limitations",
    "References",
]
ALL_CODES = frozenset(RULES_BY_CODE)
README = Path(__file__).resolve().parent.parent / "README.md"


def section(doc: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", doc, re.DOTALL | re.MULTILINE)
    assert match, f"missing section {heading!r}"
    return match.group(1)


def code_block(text: str) -> str:
    match = re.search(r"```python\n(.*?)```", text, re.DOTALL)
    assert match, "missing ```python block"
    return match.group(1)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_doc_has_the_headings_in_order(rule: Rule) -> None:
    assert re.findall(r"^## (.+)$", rule.doc, re.MULTILINE) == HEADINGS


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_example_triggers_the_rule(rule: Rule) -> None:
    example = code_block(section(rule.doc, "Example"))
    result = lint_source(example, "example.py", select=ALL_CODES)
    assert rule.code in {d.code for d in result.diagnostics}


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_use_instead_is_clean(rule: Rule) -> None:
    use_instead = code_block(section(rule.doc, "Use instead"))
    result = lint_source(use_instead, "use_instead.py", select=ALL_CODES)
    assert result.error is None and result.diagnostics == ()


def test_codes_and_names_are_unique_and_kebab_case() -> None:
    assert [r.code for r in ALL_RULES] == sorted({r.code for r in ALL_RULES})
    assert len({r.name for r in ALL_RULES}) == len(ALL_RULES)
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", r.name) for r in ALL_RULES)


def test_readme_rules_table_matches_the_catalogue() -> None:
    rows = re.findall(
        r"^\| (SEG\d{3}) \| `([a-z-]+)` \| (.+?) \| (.*?) \|$", README.read_text(), re.MULTILINE
    )
    assert [(code, name, summary, fix) for code, name, summary, fix in rows] == [
        (r.code, r.name, r.summary, "sometimes" if r.fix_availability == "sometimes" else "")
        for r in ALL_RULES
    ]


def test_numbers_quoted_in_the_rule_docs_are_right() -> None:
    import math

    import torch

    def floor(classes: int) -> float:
        return math.log(1 + (classes - 1) / math.e)

    assert f"{floor(2):.3f}" == "0.313" and f"{floor(21):.2f}" == "2.12"
    assert f"{math.log(1 + math.exp(-1)):.3f}" == "0.313"
    # softmax into cross_entropy: never below the floor, at most one nat above it (C=21, extreme logits).
    logits = torch.tensor([[30.0] + [0.0] * 20, [-30.0] + [0.0] * 20, [0.0] * 21])
    target = torch.zeros(3, dtype=torch.long)
    probabilities = torch.softmax(logits, 1)
    losses = torch.nn.functional.cross_entropy(probabilities, target, reduction="none")  # noqa: SEG001
    assert losses.min().item() >= floor(21) - 1e-6
    assert losses.max().item() <= math.log(20 + math.e) + 1e-6
    # float32 softmax rounds a class about 104 below the largest logit to exactly 0, and log(0) = -inf.
    probabilities = torch.softmax(torch.tensor([0.0, -104.0]), 0)
    log_probabilities = torch.log(probabilities)  # seglint: ignore[SEG005] - the underflow, on purpose
    assert probabilities[1].item() == 0.0 and log_probabilities[1].item() == -math.inf
    assert torch.softmax(torch.tensor([0.0, -100.0]), 0)[1].item() > 0.0
