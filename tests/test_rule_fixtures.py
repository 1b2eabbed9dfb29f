"""Every fixture under fixtures/rules reports exactly what its ``# expect:`` comments say."""

from __future__ import annotations

from pathlib import Path

import pytest

from seglint.engine import lint_source
from seglint.rules import RULES_BY_CODE
from tests.expectations import expected_findings

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "rules").glob("*.py"))
ALL_CODES = frozenset(RULES_BY_CODE)


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_fixture_findings_match_inline_expectations(fixture: Path) -> None:
    source = fixture.read_text(encoding="utf-8")
    result = lint_source(source, fixture.name, select=ALL_CODES)
    assert result.error is None
    actual = sorted((d.span.line, d.code) for d in result.diagnostics)
    assert actual == expected_findings(source)


def test_expectation_parser_reads_comments_only() -> None:
    source = 'x = "# expect: SEG001"\ny = 1  # expect: SEG002, SEG005\n'
    assert expected_findings(source) == [(2, "SEG002"), (2, "SEG005")]


def test_every_rule_has_a_fixture_that_triggers_it() -> None:
    triggered = set()
    for fixture in FIXTURES:
        triggered.update(code for _, code in expected_findings(fixture.read_text(encoding="utf-8")))
    assert triggered == set(ALL_CODES)


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_partial_parse_finds_exactly_what_a_whole_parse_finds(fixture: Path) -> None:
    source = fixture.read_text(encoding="utf-8")
    whole = lint_source(source, fixture.name, select=ALL_CODES, partial=False)
    partial = lint_source(source, fixture.name, select=ALL_CODES, partial=True)
    assert partial == whole
