"""Third-party and user-configured losses apply only when the configuration names them."""

from __future__ import annotations

from pathlib import Path

import pytest

from seglint.analysis.libraries import LIBRARIES, build_catalogue
from seglint.engine import lint_source
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


@pytest.mark.parametrize("name", ["segmentation_libraries.py", "user_catalogue.py"])
def test_configured_catalogue_matches_inline_expectations(name: str) -> None:
    source = (FIXTURES / name).read_text()
    result = lint_source(source, name, select=ALL_CODES, catalogue=CATALOGUE)
    assert sorted((d.span.line, d.code) for d in result.diagnostics) == expected_findings(source)


@pytest.mark.parametrize("name", ["segmentation_libraries.py", "user_catalogue.py"])
def test_without_configuration_third_party_losses_are_not_known(name: str) -> None:
    source = (FIXTURES / name).read_text()
    findings = lint_source(source, name, select=ALL_CODES).diagnostics
    # Only torch's own F.cross_entropy with a user probability function would remain, and it is unknown too.
    assert findings == ()


def test_every_library_entry_is_a_logits_loss_with_a_qualified_name() -> None:
    for library, (modules, functions) in LIBRARIES.items():
        for name in (*modules, *functions):
            assert name.startswith(library + "."), name
