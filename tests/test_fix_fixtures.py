"""Fix fixtures: ``case.in.py`` fixed with safe fixes gives ``case.safe.out.py`` and with unsafe fixes
``case.unsafe.out.py``, byte for byte; fixing again changes nothing; the result parses."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from seglint.engine import lint_source
from seglint.fixer import fix_source
from seglint.rules import RULES_BY_CODE
from seglint.sources import Source, decode_source, encode_source

FIXTURES = Path(__file__).parent / "fixtures" / "fixes"
CASES = sorted(path.name.removesuffix(".in.py") for path in FIXTURES.glob("*.in.py"))
ALL_CODES = frozenset(RULES_BY_CODE)


def decoded(path: Path) -> Source:
    source = decode_source(path.read_bytes(), str(path))
    assert isinstance(source, Source)
    return source


def lint(text: str):
    return lint_source(text, "case.py", select=ALL_CODES)


@pytest.mark.parametrize("mode", ["safe", "unsafe"])
@pytest.mark.parametrize("case", CASES)
def test_fix_output_is_byte_exact_and_converges(case: str, mode: str) -> None:
    source = decoded(FIXTURES / f"{case}.in.py")
    outcome = fix_source(source.text, lint, unsafe_fixes=mode == "unsafe")
    expected = (FIXTURES / f"{case}.{mode}.out.py").read_bytes()
    assert encode_source(outcome.source, source.encoding) == expected
    assert outcome.fixed > 0
    cst.parse_module(outcome.source)
    again = fix_source(outcome.source, lint, unsafe_fixes=mode == "unsafe")
    assert again.fixed == 0 and again.source == outcome.source


def test_every_rule_that_declares_a_fix_produces_one_in_the_fixtures() -> None:
    declared = {rule.code for rule in RULES_BY_CODE.values() if rule.fix_availability != "none"}
    produced = set()
    for case in CASES:
        result = lint(decoded(FIXTURES / f"{case}.in.py").text)
        produced |= {d.code for d in result.diagnostics if d.fix is not None}
    assert produced == declared
