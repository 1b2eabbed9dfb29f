"""Each rule's documentation: fixed headings, an Example that triggers it, a Use instead that is clean."""

from __future__ import annotations

import math
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


def prose(doc: str) -> str:
    """A doc without its code blocks, line breaks joined: the sentences that make claims."""
    return " ".join(re.sub(r"```.*?```", "", doc, flags=re.DOTALL).split())


def quoted(value: float, text: str) -> bool:
    """Whether ``text`` is ``value`` rounded to the digits ``text`` shows."""
    digits = len(text.partition(".")[2])
    return f"{value:.{digits}f}" == text


def floor(classes: int) -> float:
    """``log(1 + (C-1)/e)``: the least cross-entropy of a softmax output, and that of a one-hot input."""
    return math.log(1 + (classes - 1) / math.e)


def check_floor(match: re.Match[str]) -> None:
    import torch
    import torch.nn.functional as F

    for value, classes in ((match["two"], 2), (match["many"], int(match["classes"]))):
        assert quoted(floor(classes), value), (value, classes, floor(classes))
        # Both ways of reaching it: a perfect one-hot "prediction", and softmax of huge logits.
        target = torch.zeros(1, dtype=torch.long)
        one_hot = F.one_hot(target, classes).double()
        assert quoted(F.cross_entropy(one_hot, target).item(), value)
        probabilities = torch.softmax(one_hot * 1e4, dim=1)
        assert quoted(F.cross_entropy(probabilities, target).item(), value)  # noqa: SEG001


def check_sigmoid_floor(match: re.Match[str]) -> None:
    import torch
    import torch.nn.functional as F

    value = match["value"]
    assert quoted(math.log(1 + math.exp(-1)), value)
    confident = torch.sigmoid(torch.tensor([1e4], dtype=torch.float64))
    loss = F.binary_cross_entropy_with_logits(confident, torch.ones(1, dtype=torch.float64))  # noqa: SEG001
    assert quoted(loss.item(), value)


def check_window(match: re.Match[str]) -> None:
    import torch
    import torch.nn.functional as F

    width = float(match["nats"])
    for classes in (2, 21, 1000):
        assert math.isclose(math.log(classes - 1 + math.e) - floor(classes), width)
        logits = torch.zeros(3, classes, dtype=torch.float64)
        logits[0, 0], logits[1, 1] = 50.0, 50.0  # all mass on the right class; all on one wrong class
        target = torch.zeros(3, dtype=torch.long)
        losses = F.cross_entropy(torch.softmax(logits, 1), target, reduction="none")  # noqa: SEG001
        assert losses.min().item() >= floor(classes) - 1e-9
        assert losses.max().item() <= math.log(classes - 1 + math.e) + 1e-9
        assert losses.max().item() - losses.min().item() > 0.99 * width


def check_nll_range(match: re.Match[str]) -> None:
    import torch
    import torch.nn.functional as F

    low, high = float(match["low"]), float(match["high"])
    logits = torch.tensor([[50.0, 0.0, 0.0], [-50.0, 0.0, 0.0], [0.0, 0.0, 0.0]], dtype=torch.float64)
    target = torch.zeros(3, dtype=torch.long)
    losses = F.nll_loss(torch.softmax(logits, 1), target, reduction="none")  # noqa: SEG003
    assert math.isclose(losses.min().item(), low) and math.isclose(losses.max().item(), high, abs_tol=1e-20)


def check_underflow(match: re.Match[str]) -> None:
    import torch

    gap = int(match["gap"])
    # The first gap (in steps of 1/8) at which float32 softmax rounds the smaller class to exactly 0.
    first_zero = next(
        step / 8
        for step in range(8 * 200)
        if torch.softmax(torch.tensor([0.0, -step / 8]), 0)[1].item() == 0.0
    )
    assert abs(first_zero - gap) < 1, first_zero
    probabilities = torch.softmax(torch.tensor([0.0, -float(gap) - 1]), 0)
    assert torch.log(probabilities)[1].item() == -math.inf  # noqa: SEG005


# Each claim with a number that a rule doc makes, where it is made, and how it is recomputed. Every
# decimal number in a doc's prose must belong to one of them.
CLAIMS = {
    "floor": (
        r"\((?P<two>\d+\.\d+) for 2 classes, (?P<many>\d+\.\d+) for (?P<classes>\d+)\)",
        {"SEG001", "SEG002"},
        check_floor,
    ),
    "sigmoid floor": (r"`log\(1\+e\^-1\) = (?P<value>\d+\.\d+)`", {"SEG001"}, check_sigmoid_floor),
    "window": (r"the window is only (?P<nats>\d+) nat wide", {"SEG001"}, check_window),
    "nll range": (r"a value in `\[(?P<low>-?\d+), (?P<high>-?\d+)\]`", {"SEG003"}, check_nll_range),
    "underflow": (
        r"any class more than about (?P<gap>\d+) below the largest logit",
        {"SEG005"},
        check_underflow,
    ),
}


@pytest.mark.parametrize("claim", CLAIMS, ids=CLAIMS)
def test_numbers_in_the_rule_docs_are_recomputed(claim: str) -> None:
    pattern, codes, check = CLAIMS[claim]
    found = {rule.code: list(re.finditer(pattern, prose(rule.doc))) for rule in ALL_RULES}
    assert {code for code, matches in found.items() if matches} == codes, "the claim moved or was reworded"
    for matches in found.values():
        for match in matches:
            check(match)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_every_decimal_number_in_a_rule_doc_is_a_recomputed_claim(rule: Rule) -> None:
    text = prose(rule.doc)
    covered = [match.span() for pattern, _, _ in CLAIMS.values() for match in re.finditer(pattern, text)]
    for number in re.finditer(r"\d+\.\d+", text):
        assert any(start <= number.start() < end for start, end in covered), (
            f"{rule.code} quotes {number.group()} in {text[max(0, number.start() - 60) : number.end() + 20]!r}:"
            " add the claim to CLAIMS so that it is recomputed"
        )
