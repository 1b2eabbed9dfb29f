"""Notebooks through the ``seglint`` command, as users run it: found in a folder, fixed and diffed cell
by cell, ``--add-noqa`` inside cells, stdin, a broken notebook next to good files, and where every
output format places a finding."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seglint.cli import main
from tests.notebooks import notebook, sources
from tests.test_cli import REPO, seglint

IMPORTS = "%matplotlib inline\nimport torch\nimport torch.nn.functional as F"
# Cell 3 makes probabilities that cell 5 feeds to the loss; cell 5 also has a fixable SEG001 and a
# safe SEG004 fix; markdown cells count in the numbering.
LOSS_CELL = (
    "%%time\n"
    "loss = criterion(probs, masks)\n"
    "direct = F.cross_entropy(F.softmax(logits, dim=1), masks)\n"
    "twice = F.cross_entropy(F.log_softmax(logits, dim=1), masks)"
)
CELLS = (
    ("markdown", "# Train"),
    ("code", IMPORTS),
    ("code", "criterion = torch.nn.CrossEntropyLoss()\nprobs = logits.softmax(dim=1)"),
    ("markdown", "## Loss"),
    ("code", LOSS_CELL),
)
FIXED_CELL = (
    "%%time\n"
    "loss = criterion(probs, masks)\n"
    "direct = F.cross_entropy(logits, masks)\n"
    "twice = F.cross_entropy(logits, masks)"
)
CLEAN = notebook(("code", IMPORTS), ("code", "loss = F.cross_entropy(logits, masks)"))


def project(directory: Path, **files: str) -> Path:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())
    return directory


def test_a_folder_with_a_notebook_is_checked_cell_by_cell(tmp_path: Path) -> None:
    project(tmp_path, **{"nb/train.ipynb": notebook(*CELLS), "nb/clean.ipynb": CLEAN})
    result = seglint("--select", "SEG001", "--no-cache", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[:2] == [
        (
            "nb/train.ipynb:cell 5:2:8: SEG001 `nn.CrossEntropyLoss` expects logits but receives "
            "probabilities from `softmax` (cell 3, line 2)"
        ),
        (
            "nb/train.ipynb:cell 5:3:10: SEG001 `F.cross_entropy` expects logits but receives "
            "probabilities from `softmax` (cell 5, line 3)"
        ),
    ]
    assert "clean.ipynb" not in result.stdout


def test_diff_shows_the_changes_cell_by_cell_and_writes_nothing(tmp_path: Path) -> None:
    text = notebook(*CELLS)
    project(tmp_path, **{"train.ipynb": text})
    result = seglint("--diff", "--unsafe-fixes", "train.ipynb", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout == (
        "--- train.ipynb:cell 5\n+++ train.ipynb:cell 5\n@@ -1,4 +1,4 @@\n %%time\n"
        " loss = criterion(probs, masks)\n"
        "-direct = F.cross_entropy(F.softmax(logits, dim=1), masks)\n"
        "-twice = F.cross_entropy(F.log_softmax(logits, dim=1), masks)\n"
        "\\ No newline at end of file\n"
        "+direct = F.cross_entropy(logits, masks)\n"
        "+twice = F.cross_entropy(logits, masks)\n"
        "\\ No newline at end of file\n"
    )
    assert "Would fix 2 findings." in result.stderr
    assert (tmp_path / "train.ipynb").read_text() == text


def test_fix_splices_the_fixed_cell_into_the_notebook_and_changes_nothing_else(tmp_path: Path) -> None:
    text = notebook(*CELLS)
    project(tmp_path, **{"train.ipynb": text, "clean.ipynb": CLEAN})
    result = seglint("--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # the loss fed from cell 3 has no fix
    assert "Fixed 2 findings; 1 error remaining." in result.stdout
    fixed = (tmp_path / "train.ipynb").read_text()
    assert sources(fixed) == [source for _, source in CELLS[:4]] + [FIXED_CELL]
    expected = text.replace("F.softmax(logits, dim=1)", "logits").replace(
        "F.log_softmax(logits, dim=1)", "logits"
    )
    assert fixed == expected  # byte for byte: only the two expressions changed
    assert (tmp_path / "clean.ipynb").read_text() == CLEAN


def test_fix_leaves_a_notebook_without_fixes_byte_identical(tmp_path: Path) -> None:
    unfixable = notebook(*CELLS[:3], ("code", "loss = criterion(probs, masks)"), layout="string")
    project(tmp_path, **{"train.ipynb": unfixable, "clean.ipynb": CLEAN})
    before = {path.name: path.stat().st_mtime_ns for path in tmp_path.iterdir()}
    result = seglint("--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert (tmp_path / "train.ipynb").read_text() == unfixable
    assert (tmp_path / "clean.ipynb").read_text() == CLEAN
    assert {path.name: path.stat().st_mtime_ns for path in tmp_path.iterdir()} == before


def test_add_noqa_comments_the_findings_lines_in_their_cells(tmp_path: Path) -> None:
    project(tmp_path, **{"train.ipynb": notebook(*CELLS)})
    result = seglint("--add-noqa", "train.ipynb", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Added 3 noqa directives." in result.stderr
    assert sources((tmp_path / "train.ipynb").read_text())[4] == (
        "%%time\n"
        "loss = criterion(probs, masks)  # noqa: SEG001\n"
        "direct = F.cross_entropy(F.softmax(logits, dim=1), masks)  # noqa: SEG001\n"
        "twice = F.cross_entropy(F.log_softmax(logits, dim=1), masks)  # noqa: SEG004"
    )
    again = seglint("train.ipynb", cwd=tmp_path)
    assert again.returncode == 0 and "All checks passed!" in again.stdout


def test_a_notebook_on_stdin_is_read_as_one_when_its_filename_says_so(tmp_path: Path) -> None:
    text = notebook(*CELLS)
    checked = seglint("--stdin-filename", "train.ipynb", "-", cwd=tmp_path, stdin=text.encode())
    assert checked.returncode == 1 and "train.ipynb:cell 5:2:8: SEG001 " in checked.stdout
    fixed = seglint("--fix", "--stdin-filename", "train.ipynb", "-", cwd=tmp_path, stdin=text.encode())
    assert fixed.returncode == 1  # without --unsafe-fixes only SEG004's fix is made
    assert sources(fixed.stdout)[4] == (
        "%%time\n"
        "loss = criterion(probs, masks)\n"
        "direct = F.cross_entropy(F.softmax(logits, dim=1), masks)\n"
        "twice = F.cross_entropy(logits, masks)"
    )


def test_a_broken_notebook_is_an_error_next_to_the_findings_of_good_files(tmp_path: Path) -> None:
    files = {
        "a_broken.ipynb": notebook(*CELLS)[:-30],
        "b_old.ipynb": '{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}\n',
        "c_syntax.ipynb": notebook(
            ("markdown", "x"), ("code", "import torch\nloss = f(x,\n"), ("code", "y)")
        ),
        "d_train.ipynb": notebook(*CELLS),
        "e_script.py": "import torch.nn.functional as F\nloss = F.cross_entropy(F.softmax(x, dim=1), y)\n",
    }
    project(tmp_path, **files)
    result = seglint("--select", "SEG001", ".", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert lines[0].startswith("a_broken.ipynb:") and ": error: not a notebook: invalid JSON: " in lines[0]
    assert lines[1].startswith("b_old.ipynb:1:14: error: nbformat 3 is not supported: ")
    assert lines[2] == "c_syntax.ipynb:cell 2:2:9: error: syntax error: '(' was never closed"
    assert lines[3].startswith("d_train.ipynb:cell 5:2:8: SEG001 ")
    assert lines[4].startswith("d_train.ipynb:cell 5:3:10: SEG001 ")
    assert lines[5].startswith("e_script.py:2:8: SEG001 ")
    assert "3 files could not be checked." in result.stdout


# --- where each output format places a finding in a notebook ------------------------------------------

SCRIPT = "import torch.nn.functional as F\nloss = F.cross_entropy(F.softmax(x, dim=1), y)\n"
SYNTAX = notebook(("markdown", "x"), ("code", "import torch\nloss = f(x,\n"), ("code", "y)"))


def in_file(text: str, needle: str) -> tuple[int, int, int]:
    """The line of the ``.ipynb`` text that holds ``needle``, and the columns it spans there."""
    lines = text.splitlines()
    (line,) = [number for number, content in enumerate(lines, start=1) if needle in content]
    column = lines[line - 1].index(needle) + 1
    return line, column, column + len(needle)


def formatted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, output_format: str) -> str:
    project(tmp_path, **{"train.ipynb": notebook(*CELLS), "script.py": SCRIPT, "syntax.ipynb": SYNTAX})
    monkeypatch.chdir(tmp_path)
    status = main(["--no-cache", "--select", "SEG001", "--output-format", output_format, "."])
    assert status == 2  # syntax.ipynb could not be checked
    return capsys.readouterr().out


def test_json_counts_lines_in_the_cell_and_names_the_cell(tmp_path: Path, monkeypatch, capsys) -> None:
    findings = json.loads(formatted(tmp_path, monkeypatch, capsys, "json"))
    places = [(f["path"], f["cell"], f["line"], f["column"]) for f in findings]
    assert places == [("script.py", None, 2, 8), ("train.ipynb", 5, 2, 8), ("train.ipynb", 5, 3, 10)]
    (related,) = findings[1]["related"]
    assert (related["cell"], related["line"], related["column"]) == (3, 2, 9)


def test_sarif_points_at_the_line_of_the_ipynb_file_and_names_the_cell(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    (run,) = json.loads(formatted(tmp_path, monkeypatch, capsys, "sarif"))["runs"]
    text = (tmp_path / "train.ipynb").read_text()
    script, loss, direct = run["results"]
    assert "fixes" in script and script["message"]["text"].startswith("`F.cross_entropy` expects")
    region = loss["locations"][0]["physicalLocation"]["region"]
    line, column, end = in_file(text, "criterion(probs, masks)")
    assert region == {"startLine": line, "startColumn": column, "endLine": line, "endColumn": end}
    assert loss["message"]["text"].startswith("cell 5, line 2: `nn.CrossEntropyLoss` expects logits")
    (related,) = loss["relatedLocations"]
    line, column, end = in_file(text, "logits.softmax(dim=1)")
    assert related["physicalLocation"]["region"] == {
        "startLine": line,
        "startColumn": column,
        "endLine": line,
        "endColumn": end,
    }
    assert related["message"]["text"] == "cell 3, line 2: `softmax` makes the probabilities here"
    # The fix's edits count the cell's lines, and its text is not JSON: left out in a notebook.
    assert direct["message"]["text"].startswith("cell 5, line 3: ") and "fixes" not in direct
    (notification,) = run["invocations"][0]["toolExecutionNotifications"]
    line, column, _ = in_file(SYNTAX, "loss = f(x,")
    assert notification["locations"][0]["physicalLocation"]["region"] == {
        "startLine": line,
        "startColumn": column + len("loss = f"),
    }
    assert (
        notification["message"]["text"] == "syntax.ipynb: cell 2, line 2: syntax error: '(' was never closed"
    )


def test_github_annotates_the_line_of_the_ipynb_file_and_names_the_cell(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    lines = formatted(tmp_path, monkeypatch, capsys, "github").splitlines()
    text = (tmp_path / "train.ipynb").read_text()
    line, column, end = in_file(text, "criterion(probs, masks)")
    assert lines[2] == (
        f"::error file=train.ipynb,line={line},col={column},endLine={line},endColumn={end},"
        "title=seglint (SEG001)::SEG001 cell 5, line 2: `nn.CrossEntropyLoss` expects logits but "
        "receives probabilities from `softmax` (cell 3, line 2)"
    )
    line, column, _ = in_file(SYNTAX, "loss = f(x,")
    assert lines[1] == (
        f"::error file=syntax.ipynb,line={line},col={column + len('loss = f')},title=seglint::"
        "cell 2, line 2: syntax error: '(' was never closed"
    )


def test_gitlab_names_the_cell_in_the_description(tmp_path: Path, monkeypatch, capsys) -> None:
    issues = json.loads(formatted(tmp_path, monkeypatch, capsys, "gitlab"))
    descriptions = {issue["location"]["path"]: issue["description"] for issue in issues}
    assert descriptions["syntax.ipynb"] == (
        "seglint could not check this file: cell 2, line 2: syntax error: '(' was never closed"
    )
    train = [issue for issue in issues if issue["location"]["path"] == "train.ipynb"]
    assert train[0]["description"].startswith("SEG001 cell 5, line 2: `nn.CrossEntropyLoss` expects")
    assert train[0]["location"]["lines"]["begin"] == in_file(notebook(*CELLS), "criterion(probs, masks)")[0]


def test_full_frames_the_cells_source_with_its_own_line_numbers(tmp_path: Path, monkeypatch, capsys) -> None:
    project(tmp_path, **{"train.ipynb": notebook(*CELLS)})
    monkeypatch.chdir(tmp_path)
    assert main(["--no-cache", "--select", "SEG001", "--output-format", "full", "train.ipynb"]) == 1
    first = capsys.readouterr().out.split("\n\n")[0]
    assert first.splitlines()[1:-1] == [
        " --> train.ipynb:cell 5:2:8",
        "  |",
        "1 | %%time",
        "2 | loss = criterion(probs, masks)",
        "  |        ^^^^^^^^^^^^^^^^^^^^^^^ SEG001",
        "  |",
        " ::: train.ipynb:cell 3:2:9",
        "  |",
        "1 | criterion = torch.nn.CrossEntropyLoss()",
        "2 | probs = logits.softmax(dim=1)",
        "  |         ^^^^^^^^^^^^^^^^^^^^^ `softmax` makes the probabilities here",
        "  |",
    ]


PROBE = """
import contextlib, io, json, sys
import seglint.cli

def imported():
    return sorted({m.split(".")[0] for m in sys.modules} & {"libcst", "nbformat", "jupyter_core"})

report = []
for path in sys.argv[1:]:
    with contextlib.redirect_stdout(io.StringIO()):
        status = seglint.cli.main(["--no-cache", path])
    report.append([status, imported()])
print(json.dumps(report))
"""


def test_reading_a_notebook_needs_json_only(tmp_path: Path) -> None:
    plain = notebook(("markdown", "# Plots"), ("code", "%matplotlib inline\nimport matplotlib.pyplot as plt"))
    project(tmp_path, **{"plots.ipynb": plain, "train.ipynb": notebook(*CELLS)})
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, "plots.ipynb", "train.ipynb"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"},
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    # No loss in sight: not even the parser is imported. Never Jupyter's own nbformat.
    assert json.loads(completed.stdout) == [[0, []], [1, ["libcst"]]]
