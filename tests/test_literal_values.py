"""The analysis reads literals itself (a compile per literal, as libcst's ``evaluated_value`` does, cost
a few percent of a run on transformers): each value must be what Python gives."""

from __future__ import annotations

import ast

import libcst as cst
import pytest

from seglint.analysis.expressions import constant_of

LITERALS = [
    "1", "0x1F", "1_000", "0o17", "0b101", "00", "-3", "2.5", "-1e3",
    '"a"', "'a'", '"""doc\nline"""', "r'\\d'", "R'''x'''", "u'x'", "'\\n'", "'\\x41\\\\'", "'é'",
    "b'x'", "rb'\\d'", '"a" "b"', "True", "None",
]  # fmt: skip


@pytest.mark.parametrize("literal", LITERALS)
def test_a_literal_has_the_value_python_gives_it(literal: str) -> None:
    value = constant_of(cst.parse_expression(literal))
    assert value == ast.literal_eval(literal) and type(value) is type(ast.literal_eval(literal))
