"""What the README promises about messages and the training path, checked on whole messages.

The rule fixtures check (line, code) pairs only; these check the words: a finding inside a loss helper
names the caller that passed the probabilities, and methods named like an evaluation are never
followed into a training loss.
"""

from __future__ import annotations

import pytest

from seglint.engine import lint_source
from seglint.rules import RULES_BY_CODE

ALL_CODES = frozenset(RULES_BY_CODE)

LOSS_HELPER = """\
import torch
import torch.nn.functional as F


def compute_loss(pred, y):
    return F.cross_entropy(pred, y)


def train(model, x, y):
    probs = torch.softmax(model(x), dim=1)
    return compute_loss(probs, y)
"""


def test_a_finding_inside_a_loss_helper_names_the_caller_that_passed_the_probabilities() -> None:
    (finding,) = lint_source(LOSS_HELPER, "helper.py", select=ALL_CODES).diagnostics
    assert (finding.code, finding.span.line, finding.span.column) == ("SEG001", 6, 12)
    assert finding.message == (
        "`F.cross_entropy` expects logits but receives probabilities from "
        "`softmax` (line 10, passed to `compute_loss` at line 11)"
    )
    assert [(r.path, r.span.line, r.message) for r in finding.related] == [
        ("helper.py", 10, "`softmax` makes the probabilities here"),
        ("helper.py", 11, "`compute_loss` is called with it here"),
    ]


MODEL_WITH_METHOD = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def forward(self, x):
        return x

    def {name}(self, x):
        return torch.softmax(self(x), dim=1)


def train(x, y):
    return F.cross_entropy(Net().{name}(x), y)
"""


@pytest.mark.parametrize(
    "name", ["eval", "evaluate", "predict", "inference", "infer", "evaluate_batch", "predict_proba", "infer_"]
)
def test_methods_named_like_an_evaluation_are_not_the_training_path(name: str) -> None:
    result = lint_source(MODEL_WITH_METHOD.format(name=name), "model.py", select=ALL_CODES)
    assert result.error is None and result.diagnostics == ()


@pytest.mark.parametrize("name", ["probabilities", "evaluation", "_evaluate", "forward_eval", "predictor"])
def test_other_methods_are_followed(name: str) -> None:
    (finding,) = lint_source(MODEL_WITH_METHOD.format(name=name), "model.py", select=ALL_CODES).diagnostics
    assert (finding.code, finding.span.line) == ("SEG001", 15)
    assert finding.message.endswith(
        f"from `Net(...).{name}`, which returns the output of `softmax` (line 11)"
    )


CONTAINER_AND_CONTEXT = """\
import torch
import torch.nn as nn


class D(nn.Module):
    def forward(self, h):
        return h, torch.softmax(h, dim=1)


def train(model, criterion, x, y):
    adv, cls = model(x)
    return criterion(cls, y)


def main(x, y):
    train(D(), nn.CrossEntropyLoss(), x, y)
"""


def test_a_finding_through_a_container_and_a_parameter_names_the_element_and_the_call_site() -> None:
    (finding,) = lint_source(CONTAINER_AND_CONTEXT, "gan.py", select=ALL_CODES).diagnostics
    assert (finding.code, finding.span.line) == ("SEG001", 12)
    assert finding.message == (
        "`nn.CrossEntropyLoss` expects logits but receives probabilities from element 1 of what "
        "`model` returns, the output of `softmax` (line 7, passed to `train` at line 16)"
    )
    assert [(r.path, r.span.line) for r in finding.related] == [("gan.py", 7), ("gan.py", 16)]
