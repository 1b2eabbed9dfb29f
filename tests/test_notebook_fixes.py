"""Fixing notebooks: changed cells are spliced into the JSON text byte for byte, in the form and layout
they had; nothing else of the notebook changes; the diff is given per cell."""

from __future__ import annotations

import json

import pytest

from seglint.diagnostics import FileError
from seglint.noqa import add_notebook_noqa
from seglint.notebook.fixes import fix_notebook, notebook_diff
from seglint.notebook.reader import read_notebook
from seglint.notebook.splice import splice_sources
from seglint.runner import CatalogueSpec, text_linter
from tests.notebooks import notebook, sources

SELECT = frozenset({"SEG001", "SEG002", "SEG003", "SEG004", "SEG005"})
IMPORTS = "import torch\nimport torch.nn.functional as F\n"
BUG = "loss = F.cross_entropy(F.softmax(logits, dim=1), masks)  # the bug\n"
FIXED = "loss = F.cross_entropy(logits, masks)  # the bug\n"


def read(text: str):
    read = read_notebook(text, "nb.ipynb")
    assert not isinstance(read, FileError)
    return read


def changed_bytes(before: str, after: str) -> tuple[str, str]:
    """The differing middles of two texts (what a splice replaced, and with what)."""
    start = 0
    while start < min(len(before), len(after)) and before[start] == after[start]:
        start += 1
    end = 0
    while end < min(len(before), len(after)) - start and before[-1 - end] == after[-1 - end]:
        end += 1
    return before[start : len(before) - end], after[start : len(after) - end]


# --- splicing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["jupyter", "string"])
def test_an_unchanged_notebook_is_byte_identical(layout: str) -> None:
    text = notebook(("markdown", "# é"), ("code", IMPORTS + BUG), layout=layout)
    nb = read(text)
    assert splice_sources(nb, {}) == text
    assert splice_sources(nb, {cell.number: cell.source for cell in nb.cells}) == text


def test_a_changed_line_of_a_list_source_is_the_only_change() -> None:
    text = notebook(("markdown", "# Train"), ("code", "x = 'ü'\n" + BUG + "y = 2"), ("code", "z = 3"))
    after = splice_sources(read(text), {2: "x = 'ü'\n" + FIXED + "y = 2"})
    assert sources(after) == ["# Train", "x = 'ü'\n" + FIXED + "y = 2", "z = 3"]
    assert changed_bytes(text, after) == ("F.softmax(logits, dim=1)", "logits")


def test_lines_added_and_removed_keep_the_lists_layout() -> None:
    text = notebook(("code", "a = 1\nb = 2\nc = 3\n"))
    nb = read(text)
    for new in (
        "a = 1\nc = 3\n",
        "b = 2\nc = 3\n",
        "a = 1\nb = 2\n",
        "a = 1\nb = 2\nb2 = 2\nc = 3\n",
        "a0 = 0\na = 1\nb = 2\nc = 3\n",
        "a = (1,\n     1)\nb = 2\nc = 3\n",
        "a = 1\nb = 2\nc = 3",
    ):
        after = splice_sources(nb, {1: new})
        assert sources(after) == [new]
        assert after == notebook(("code", new)), new  # exactly what Jupyter would have written


def test_a_one_line_list_grows_in_the_lists_layout() -> None:
    text = notebook(("code", "a = 1"))
    after = splice_sources(read(text), {1: "a = 1\nb = 2"})
    assert after == notebook(("code", "a = 1\nb = 2"))


def test_a_string_source_keeps_its_escapes_outside_the_change() -> None:
    text = notebook(("code", "s = 'ü/x'\n" + BUG + "t = '\\t'"), layout="string").replace("/x", "\\/x")
    assert "\\u00fc\\/x" in text and not text.endswith("\n")
    after = splice_sources(read(text), {1: "s = 'ü/x'\n" + FIXED + "t = '\\t'"})
    assert changed_bytes(text, after) == ("F.softmax(logits, dim=1)", "logits")
    assert sources(after) == ["s = 'ü/x'\n" + FIXED + "t = '\\t'"]


@pytest.mark.parametrize(
    ("layout", "written"),
    [("jupyter", "\"b = 'é'\""), ("string", "\\u00e9")],
)
def test_new_text_follows_the_notebooks_own_style_for_non_ascii(layout: str, written: str) -> None:
    text = notebook(("code", "a = 'ü'\nb = 1"), layout=layout)
    after = splice_sources(read(text), {1: "a = 'ü'\nb = 'é'"})
    assert written in after
    assert sources(after) == ["a = 'ü'\nb = 'é'"]


def test_key_order_indentation_and_other_cells_are_untouched() -> None:
    data = {
        "nbformat_minor": 5,
        "nbformat": 4,
        "cells": [
            {
                "source": ["x = 1\n", "y = 2"],
                "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}],
                "metadata": {"tags": ["a"]},
                "execution_count": 3,
                "cell_type": "code",
                "id": "a",
            },
            {"cell_type": "markdown", "metadata": {}, "source": "# x", "id": "b"},
        ],
        "metadata": {},
    }
    text = json.dumps(data, indent=4)
    after = splice_sources(read(text), {1: "x = 1\ny = 3"})
    assert changed_bytes(text, after) == ("2", "3")
    assert list(json.loads(after)["cells"][0]) == list(data["cells"][0])


# --- --fix and --diff ----------------------------------------------------------------------------------


def lint_notebook(path: str):
    lint = text_linter(CatalogueSpec())
    return lambda text: lint(text, path, SELECT)


@pytest.mark.parametrize("layout", ["jupyter", "string"])
def test_fix_changes_only_the_fixed_expression_in_its_cell(tmp_path, layout: str) -> None:
    path = str(tmp_path / "train.ipynb")
    cells = (
        ("markdown", "# Train"),
        ("code", "%matplotlib inline\n" + IMPORTS),
        ("code", "!nvidia-smi\n" + BUG),
    )
    text = notebook(*cells, layout=layout)
    outcome = fix_notebook(text, lint_notebook(path), path=path, unsafe_fixes=True)
    assert outcome.fixed == 1
    assert changed_bytes(text, outcome.source) == ("F.softmax(logits, dim=1)", "logits")
    assert sources(outcome.source)[2] == "!nvidia-smi\n" + FIXED
    assert outcome.result.diagnostics == ()


def test_a_notebook_without_findings_is_left_byte_identical(tmp_path) -> None:
    path = str(tmp_path / "train.ipynb")
    text = notebook(("code", IMPORTS), ("code", FIXED))
    outcome = fix_notebook(text, lint_notebook(path), path=path, unsafe_fixes=True)
    assert (outcome.source, outcome.fixed) == (text, 0)
    assert notebook_diff(text, outcome.source, "train.ipynb") == ""


def test_a_fix_that_would_break_the_cells_parse_is_not_made(tmp_path) -> None:
    path = str(tmp_path / "train.ipynb")
    text = notebook(("code", IMPORTS + BUG))
    outcome = fix_notebook(text, lint_notebook(path), path=path, unsafe_fixes=True, parses=lambda text: False)
    assert (outcome.source, outcome.fixed) == (text, 0)


def test_the_diff_is_given_per_cell(tmp_path) -> None:
    path = str(tmp_path / "train.ipynb")
    text = notebook(("code", IMPORTS + BUG), ("markdown", "note"), ("code", "x = 1\n" + BUG))
    outcome = fix_notebook(text, lint_notebook(path), path=path, unsafe_fixes=True)
    assert outcome.fixed == 2
    diff = notebook_diff(text, outcome.source, "train.ipynb")
    assert diff == (
        "--- train.ipynb:cell 1\n+++ train.ipynb:cell 1\n@@ -1,3 +1,3 @@\n import torch\n"
        " import torch.nn.functional as F\n-"
        + BUG
        + "+"
        + FIXED
        + "--- train.ipynb:cell 3\n+++ train.ipynb:cell 3\n@@ -1,2 +1,2 @@\n x = 1\n-"
        + BUG
        + "+"
        + FIXED
    )


@pytest.mark.parametrize("layout", ["jupyter", "string"])
def test_add_noqa_comments_the_line_in_its_cell_and_keeps_the_magics(tmp_path, layout: str) -> None:
    path = str(tmp_path / "train.ipynb")
    text = notebook(
        ("code", IMPORTS), ("markdown", "x"), ("code", "!nvidia-smi\n%%time\n" + BUG), layout=layout
    )
    found = lint_notebook(path)(text).diagnostics
    edited = add_notebook_noqa(text, found, path=path)
    assert not isinstance(edited, FileError)
    noted, added = edited
    assert added == 1
    assert changed_bytes(text, noted) == ("", "  # noqa: SEG001")
    assert sources(noted)[2] == "!nvidia-smi\n%%time\n" + BUG.rstrip("\n") + "  # noqa: SEG001\n"
    assert lint_notebook(path)(noted).diagnostics == ()
