"""Third-party losses apply by default wherever their library is imported; user-configured ones
only when the configuration names them."""

from __future__ import annotations

from pathlib import Path

import pytest

from seglint.analysis.libraries import build_catalogue
from seglint.engine import lint_source
from seglint.library_facts import LIBRARIES, LOSSES, MODELS
from seglint.rules import RULES_BY_CODE
from tests.expectations import expected_findings

FIXTURES = Path(__file__).parent / "fixtures" / "libraries"
ALL_CODES = frozenset(RULES_BY_CODE)
CATALOGUE = build_catalogue(
    libraries=LIBRARIES,
    logits_losses=["mylib.losses.FocalLoss", "mylib.losses.lovasz"],
    log_probability_losses=["mylib.losses.nll2d"],
    probability_functions=["mylib.ops.predict_proba"],
)


@pytest.mark.parametrize("name", ["segmentation_libraries.py", "user_catalogue.py", "library_models.py"])
def test_configured_catalogue_matches_inline_expectations(name: str) -> None:
    source = (FIXTURES / name).read_text()
    result = lint_source(source, name, select=ALL_CODES, catalogue=CATALOGUE)
    assert sorted((d.span.line, d.code) for d in result.diagnostics) == expected_findings(source)


@pytest.mark.parametrize("name", ["segmentation_libraries.py", "library_models.py"])
def test_without_configuration_every_library_applies(name: str) -> None:
    source = (FIXTURES / name).read_text()
    findings = lint_source(source, name, select=ALL_CODES).diagnostics
    assert sorted((d.span.line, d.code) for d in findings) == expected_findings(source)


@pytest.mark.parametrize("name", ["segmentation_libraries.py", "user_catalogue.py", "library_models.py"])
def test_with_no_libraries_third_party_losses_are_not_known(name: str) -> None:
    source = (FIXTURES / name).read_text()
    findings = lint_source(
        source, name, select=ALL_CODES, catalogue=build_catalogue(libraries=[])
    ).diagnostics
    # Only torch's own F.cross_entropy with a user probability function would remain, and it is unknown too.
    assert findings == ()


REPLACED = """\
import torch
from monai.losses import DiceCELoss
from timm.loss import LabelSmoothingCrossEntropy


def step(logits, y):
    DiceCELoss()(torch.softmax(logits, 1), y)
    LabelSmoothingCrossEntropy()(logits.softmax(-1), y)
"""


@pytest.mark.parametrize(
    ("libraries", "lines"), [(["monai"], [7]), (["timm"], [8]), ([], []), (None, [7, 8])]
)
def test_the_named_libraries_replace_the_set(libraries: list[str] | None, lines: list[int]) -> None:
    catalogue = build_catalogue() if libraries is None else build_catalogue(libraries=libraries)
    findings = lint_source(REPLACED, "step.py", select=ALL_CODES, catalogue=catalogue).diagnostics
    assert [d.span.line for d in findings] == lines


def test_every_library_fact_names_its_library_and_its_source() -> None:
    for fact in (*LOSSES, *MODELS):
        assert fact.library in LIBRARIES, fact
        assert fact.name.startswith(fact.library + "."), fact.name
        # "path/in/library.py: what it does": the place a reader re-checks the fact.
        path, _, what = fact.source.partition(": ")
        assert path.startswith(fact.library.split("_")[0]) and path.endswith(".py") and what, fact.name


def test_every_argument_a_case_reads_is_declared() -> None:
    for fact in LOSSES:
        declared = {argument.keyword for argument in fact.arguments}
        for case in fact.cases:
            assert {keyword for keyword, _ in case.when} <= declared, fact.name
        assert not fact.cases[-1].when, f"{fact.name}: the last case must always hold"
