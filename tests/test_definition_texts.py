"""The analysis's text scans read each function's and class's own text, sliced from the file by the line
ranges Python's parser gives (seglint.parse.Definitions), not generated from libcst's tree. The two
trees are matched by the order of their definitions: every kind of block that can hold one is walked
the same way in both, and where they disagree nothing is sliced."""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst
import pytest

from seglint.parse import Definitions, parse

DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
FIXTURES = sorted((Path(__file__).parent / "fixtures").rglob("*.py"))

EVERY_BLOCK = """\
import contextlib


@contextlib.contextmanager
# a comment between the decorator and the def
def decorated():
    yield


class Outer:
    def method(self):
        def inner():
            return 1

        class Local:
            pass

        return inner, Local

    async def coroutine(self):
        async with self.lock:
            async def in_with():
                pass


if flag:
    def in_if(): pass
elif other:
    def in_elif():
        pass
else:
    def in_else():
        pass

for item in items:
    def in_for():
        pass
else:
    def in_for_else():
        pass

while running:
    def in_while():
        pass

try:
    def in_try():
        pass
except ValueError:
    def in_except():
        pass
else:
    def in_try_else():
        pass
finally:
    def in_finally():
        pass

try:
    pass
except* OSError:
    def in_except_star():
        pass

with open(path) as handle:
    def in_with():
        pass

match command:
    case "go":
        def in_case():
            pass
    case _:
        class InDefault:
            pass

def last(x): return x  # a one-line definition
"""


def _texts_of(definitions: Definitions, module: cst.Module) -> dict[cst.CSTNode, str]:
    return {node: definitions.text(*lines) for node, lines in definitions.ranges(module).items()}


def _texts(source: str) -> dict[cst.CSTNode, str]:
    return _texts_of(Definitions.of(source, ast.parse(source).body), cst.parse_module(source))


def _code_lines(text: str) -> list[str]:
    """What both texts of a definition share: its lines without their indentation or comment-only lines
    (libcst keeps the comments after a block's last statement in the block, the file's lines do not)."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def _generated(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node.with_changes(leading_lines=()))


def test_every_block_that_can_hold_a_definition_is_matched() -> None:
    texts = _texts(EVERY_BLOCK)
    defined = [n.name for n in ast.walk(ast.parse(EVERY_BLOCK)) if isinstance(n, DEFINITIONS)]
    assert sorted(node.name.value for node in texts) == sorted(defined) and len(defined) == 22
    for node, text in texts.items():
        assert _code_lines(text) == _code_lines(_generated(node)), node.name.value
    by_name = {node.name.value: text for node, text in texts.items()}
    assert by_name["decorated"].startswith("@contextlib.contextmanager\n# a comment")
    assert by_name["in_if"] == "    def in_if(): pass\n"


@pytest.mark.parametrize(
    "fixture", FIXTURES, ids=[str(f.relative_to(FIXTURES[0].parents[1])) for f in FIXTURES]
)
def test_the_fixtures_definitions_are_each_sliced_to_their_own_text(fixture: Path) -> None:
    source = fixture.read_text(encoding="utf-8")
    texts = _texts(source)
    assert len(texts) == sum(isinstance(n, DEFINITIONS) for n in ast.walk(ast.parse(source)))
    for node, text in texts.items():
        assert _code_lines(text) == _code_lines(_generated(node))


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r", ""])
def test_the_last_definition_is_sliced_whatever_ends_the_file(ending: str) -> None:
    line_end = ending or "\n"
    source = f"def first(): pass{line_end}x = 1{line_end}def last(y): return y{ending}"
    texts = list(_texts(source).values())
    assert texts == [f"def first(): pass{line_end}", f"def last(y): return y{ending}"]


def test_trees_that_disagree_slice_nothing() -> None:
    source = "def f():\n    pass\n"
    other = Definitions.of(source, ast.parse("def g():\n    pass\n").body)
    assert other.ranges(cst.parse_module(source)) == {}


def test_a_partial_parse_lists_the_kept_blocks_definitions_and_a_blanked_block_its_own() -> None:
    kept = "import torch.nn.functional as F\n\n\ndef step(x, y):\n    return F.cross_entropy(x, y)\n"
    blanked = "".join(f"\n\ndef helper_{i}(x):\n    return x + {i}\n" for i in range(300))
    parsed = parse(kept + blanked, triggered=lambda text: "cross_entropy" in text, partial=True)
    assert [name for name, _, _ in parsed.definitions.lines] == ["step"]
    assert list(_texts_of(parsed.definitions, parsed.module).values()) == [kept.split("\n\n\n")[1]]
    chunk = parsed.masked[-1]
    inner = chunk.parse()
    assert inner is not None
    assert inner.definitions.lines == (("helper_299", 1, 2),)
    assert list(_texts_of(inner.definitions, inner.module).values()) == [
        "def helper_299(x):\n    return x + 299\n"
    ]
