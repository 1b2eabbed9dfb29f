"""Reading notebooks: nbformat 4 only, code cells joined in document order with IPython's syntax taken
out line for line, and every position placed by cell and in the ``.ipynb`` file itself."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seglint.diagnostics import (
    Applicability,
    Diagnostic,
    Edit,
    FileError,
    FileResult,
    Fix,
    RelatedLocation,
    Span,
)
from seglint.notebook import notebook_code
from seglint.notebook.magics import python_source
from seglint.notebook.reader import read_notebook
from seglint.sources import decode_source
from tests.notebooks import notebook

CODE = "import torch.nn.functional as F\nprobs = model(images).softmax(dim=1)\n"
LOSS = "loss = F.cross_entropy(probs, masks)"


# --- reading ---------------------------------------------------------------------------------------


def test_cells_are_numbered_over_all_cells_and_only_code_is_joined() -> None:
    text = notebook(("markdown", "# Train"), ("code", CODE), ("raw", "raw text"), ("code", LOSS))
    code = notebook_code(text, "train.ipynb")
    assert not isinstance(code, FileError)
    assert [cell.number for cell in code.notebook.cells] == [1, 2, 3, 4]
    assert [(c.cell.number, c.first_line, c.line_count) for c in code.cells] == [(2, 1, 2), (4, 3, 1)]
    assert code.text == CODE + LOSS + "\n"


def test_execution_count_is_ignored_document_order_is_what_runs() -> None:
    data = json.loads(notebook(("code", CODE), ("code", LOSS)))
    data["cells"][0]["execution_count"], data["cells"][1]["execution_count"] = 9, 1
    code = notebook_code(json.dumps(data), "train.ipynb")
    assert not isinstance(code, FileError)
    assert code.text.index("softmax") < code.text.index("cross_entropy")


@pytest.mark.parametrize(
    ("text", "reason", "line", "column"),
    [
        (
            '{"cells": [\n  {"cell_type": "code",}\n]}',
            "not a notebook: invalid JSON: Expecting property name",
            2,
            24,
        ),
        ("", "not a notebook: invalid JSON: Expecting value", 1, 1),
        ("[1, 2]", "not a notebook: the JSON is an array, not an object", 1, 1),
        ('{"cells": []}', 'not a notebook: it has no "nbformat" key', 1, 1),
        (
            '{\n "nbformat": 3,\n "worksheets": []\n}',
            "nbformat 3 is not supported: seglint reads nbformat 4",
            2,
            14,
        ),
        ('{"nbformat": 4, "cells": {}}', 'not a notebook: "cells" is an object, not an array', 1, 26),
        ('{"nbformat": 4, "cells": [3]}', "cell 1: the cell is a number, not an object", 1, 27),
        ('{"nbformat": 4, "cells": [{"source": ""}]}', 'cell 1: it has no "cell_type"', 1, 27),
        (
            '{"nbformat": 4, "cells": [{"cell_type": "code", "source": [1]}]}',
            'cell 1: "source" is an array, not a string or an array of strings',
            1,
            27,
        ),
    ],
)
def test_what_is_not_an_nbformat_4_notebook_is_an_error_saying_what_and_where(
    text: str, reason: str, line: int, column: int
) -> None:
    error = read_notebook(text, "bad.ipynb")
    assert isinstance(error, FileError)
    assert error.reason.startswith(reason), error.reason
    assert (error.path, error.line, error.column) == ("bad.ipynb", line, column)


def test_a_notebook_that_is_not_utf_8_is_an_error_at_the_byte() -> None:
    data = notebook(("code", "x = 'é'")).encode("latin-1")
    error = decode_source(data, "nb.ipynb")
    assert isinstance(error, FileError)
    assert error.reason.startswith("not a notebook: invalid UTF-8 at byte ")
    assert error.line > 1


def test_a_byte_order_mark_is_read_and_kept() -> None:
    text = notebook(("code", CODE))
    source = decode_source(b"\xef\xbb\xbf" + text.encode(), "nb.ipynb")
    assert not isinstance(source, FileError)
    assert (source.text, source.encoding) == (text, "utf-8-sig")


def test_the_kernels_language_decides_whether_it_is_python() -> None:
    for language, python in (("python", True), ("R", False), ("julia", False)):
        read = read_notebook(notebook(("code", "x <- 1"), language=language), "nb.ipynb")
        assert not isinstance(read, FileError)
        assert read.is_python is python
    bare = read_notebook('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}', "nb.ipynb")
    assert not isinstance(bare, FileError) and bare.is_python


def test_a_key_given_twice_counts_once_as_json_loads_reads_it() -> None:
    text = '{"nbformat": 4, "cells": [{"cell_type": "code", "source": "a = 1", "source": "b = 2"}]}'
    code = notebook_code(text, "nb.ipynb")
    assert not isinstance(code, FileError)
    assert code.text == "b = 2\n"
    assert text[code.cells[0].cell.pieces[0].start :].startswith('"b = 2"')


# --- IPython's syntax --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "python"),
    [
        ("%matplotlib inline", ""),
        ("!pip install torch", ""),
        ("!!ls", ""),
        ("  %time train()", "  pass"),
        ("np.mean?", ""),
        ("np.mean??  # docs", ""),
        ("?np.mean", ""),
        ("files = !ls *.png", ""),
        ("result = %timeit -o f()", ""),
        ("/print 1 2", ""),
        (",print a b", ""),
        ("x != y", "x != y"),
        ("x %= 3", "x %= 3"),
        ("x = 1  # why?", "x = 1  # why?"),
        ("s = 'what?'", "s = 'what?'"),
    ],
)
def test_line_magics_shell_escapes_and_help_become_blank_lines(line: str, python: str) -> None:
    assert python_source(f"import torch\n{line}\ny = 2\n") == f"import torch\n{python}\ny = 2\n"


def test_escapes_count_only_at_the_start_of_a_logical_line() -> None:
    inside = 's = """\n!not a command\n%not a magic\n"""\nf(\n    a,\n)\nx = 1 + \\\n    2\n'
    assert python_source(inside) == inside


def test_an_escape_inside_a_block_keeps_the_block_valid() -> None:
    source = "for epoch in range(3):\n    !nvidia-smi\nprint('done')\n"
    assert python_source(source) == "for epoch in range(3):\n    pass\nprint('done')\n"


@pytest.mark.parametrize("magic", ["%%time", "%%timeit -n 3", "%%capture output", "%%prun -s cumulative"])
def test_python_cell_magics_have_their_body_checked(magic: str) -> None:
    assert python_source(f"\n{magic}\nloss = f(x)\n%ls\n") == "\n\nloss = f(x)\n\n"


@pytest.mark.parametrize("magic", ["%%bash", "%%writefile train.py", "%%html", "%%sql"])
def test_other_cell_magics_are_skipped_whole(magic: str) -> None:
    assert python_source(f"{magic}\nloss = F.cross_entropy(F.softmax(x), y)\n") == "\n\n"


_LINES = st.sampled_from(
    [
        "x = 1",
        "%matplotlib inline",
        "!ls",
        "np.mean?",
        "def f():",
        "    return 1",
        "s = '''",
        "!inside",
        "'''",
        "f(",
        "%inside",
        ")",
        "",
        "    ",
        "# %comment",
        "y = 2 \\",
        "  + 1",
        "%%time",
        "\r",
        "a = 'b\\",
    ]
)


@given(st.lists(_LINES, max_size=12), st.sampled_from(["\n", "\r\n"]))
def test_every_line_stays_where_it_was(lines: list[str], ending: str) -> None:
    source = ending.join(lines)
    python = python_source(source)
    assert python.count("\n") + python.count("\r") - python.count("\r\n") == source.count(
        "\n"
    ) + source.count("\r") - source.count("\r\n")
    for before, after in zip(source.splitlines(), python.splitlines()):
        assert after in (before, "", before[: len(before) - len(before.lstrip())] + "pass")


# --- positions ---------------------------------------------------------------------------------------


def file_text(text: str, span: Span) -> str:
    """What ``span`` (in the .ipynb file's lines) covers, on one line."""
    assert span.line == span.end_line
    return text.splitlines()[span.line - 1][span.column - 1 : span.end_column - 1]


@pytest.mark.parametrize("layout", ["jupyter", "string"])
def test_a_position_in_the_joined_code_is_placed_by_cell_and_in_the_file(layout: str) -> None:
    text = notebook(
        ("markdown", "# Train\n\nwith é"), ("code", CODE), ("code", '# ünïcode "q"\n' + LOSS), layout=layout
    )
    code = notebook_code(text, "train.ipynb")
    assert not isinstance(code, FileError)
    line = code.text.splitlines().index(LOSS) + 1
    column = LOSS.index("probs") + 1
    diagnostic = Diagnostic("train.ipynb", Span(line, column, line, column + 5), "SEG001", "n", "m", "error")
    placed = code.located(FileResult("train.ipynb", diagnostics=(diagnostic,))).diagnostics[0]
    assert placed.span == Span(2, column, 2, column + 5)
    assert placed.notebook is not None and placed.notebook.cell == 3
    assert file_text(text, placed.notebook.file_span) == "probs"


def test_file_columns_step_over_json_escapes_and_surrogate_pairs() -> None:
    cell = 'x = "\\t😀é" + "q"; loss = F.cross_entropy(probs, y)'
    text = notebook(("code", cell), layout="string")  # ASCII-escaped: 😀 is two \u escapes
    code = notebook_code(text, "nb.ipynb")
    assert not isinstance(code, FileError)
    column = cell.index("probs") + 1
    span = code.file_span(code.cells[0], Span(1, column, 1, column + 5))
    assert file_text(text, span) == "probs"
    quote = code.file_span(code.cells[0], Span(1, 5, 1, 6))
    assert file_text(text, quote) == '\\"'


def test_crlf_notebook_files_count_lines_as_python_does() -> None:
    text = notebook(("markdown", "a\nb"), ("code", CODE + LOSS)).replace("\n", "\r\n")
    code = notebook_code(text, "nb.ipynb")
    assert not isinstance(code, FileError)
    span = code.file_span(code.cells[0], Span(3, 24, 3, 29))
    assert file_text(text, span) == "probs"


def test_only_positions_in_this_notebook_are_placed() -> None:
    text = notebook(("code", CODE), ("code", LOSS))
    code = notebook_code(text, "train.ipynb")
    assert not isinstance(code, FileError)
    softmax = RelatedLocation("train.ipynb", Span(2, 9, 2, 37), "made here")
    here = Diagnostic(
        "train.ipynb",
        Span(3, 8, 3, 37),
        "SEG001",
        "n",
        "receives probabilities from `softmax` (line 2), passed to `f` at models.py:40",
        "error",
        fix=Fix("t", Applicability.SAFE, (Edit(Span(3, 24, 3, 29), "logits"),)),
        related=(softmax, RelatedLocation("models.py", Span(2, 1, 2, 5), "elsewhere")),
    )
    # A finding in another file reached through this notebook (found by following its calls).
    there = Diagnostic(
        "models.py",
        Span(3, 8, 3, 37),
        "SEG001",
        "n",
        "called at train.ipynb:3 (line 3)",
        "error",
        related=(softmax,),
    )
    result = code.located(FileResult("train.ipynb", diagnostics=(here, there)))
    placed, other = result.diagnostics
    assert placed.span == Span(1, 8, 1, 37) and placed.notebook is not None and placed.notebook.cell == 2
    assert placed.message == (
        "receives probabilities from `softmax` (cell 1, line 2), passed to `f` at models.py:40"
    )
    assert placed.fix is not None and placed.fix.edits[0].span == Span(1, 24, 1, 29)
    assert placed.related[0].notebook is not None and placed.related[0].notebook.cell == 1
    assert placed.related[1] == here.related[1]
    assert (other.span, other.notebook) == (there.span, None)
    assert other.message == "called at train.ipynb:cell 2:1 (line 3)"
    assert other.related[0].notebook is not None and other.related[0].span == Span(2, 9, 2, 37)


def test_a_fix_with_an_edit_in_another_cell_is_dropped() -> None:
    code = notebook_code(notebook(("code", CODE), ("code", LOSS)), "nb.ipynb")
    assert not isinstance(code, FileError)
    fix = Fix("t", Applicability.SAFE, (Edit(Span(2, 1, 2, 2), ""), Edit(Span(3, 1, 3, 2), "")))
    found = Diagnostic("nb.ipynb", Span(3, 8, 3, 37), "SEG001", "n", "m", "error", fix=fix)
    assert code.located(FileResult("nb.ipynb", diagnostics=(found,))).diagnostics[0].fix is None


def test_a_syntax_error_is_found_in_its_own_cell_though_the_next_would_close_it() -> None:
    text = notebook(("markdown", "x"), ("code", "import torch\nloss = f(\n"), ("code", "    x)\n"))
    code = notebook_code(text, "nb.ipynb")
    assert not isinstance(code, FileError)
    error = code.syntax_error()
    assert error is not None and error.notebook is not None
    assert (error.notebook.cell, error.line, error.column) == (2, 2, 9)
    assert "syntax error: '(' was never closed" in error.reason
    where = error.notebook.file_span
    assert text.splitlines()[where.line - 1][where.column - 1] == "("


def test_an_engine_error_in_the_joined_code_is_placed_in_its_cell() -> None:
    code = notebook_code(notebook(("code", CODE), ("code", "x = 1\ny = 2")), "nb.ipynb")
    assert not isinstance(code, FileError)
    result = code.located(FileResult("nb.ipynb", error=FileError("nb.ipynb", 4, 3, "could not analyse")))
    assert result.error is not None and result.error.notebook is not None
    assert (result.error.notebook.cell, result.error.line, result.error.column) == (2, 2, 3)
