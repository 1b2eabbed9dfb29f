"""The CI report formats (gitlab, junit), the full format, and the ruff-shaped command line around
them: ``check``, ``--output-format``, ``--output-file``, ``--show-source``, ``--color``, ``--add-noqa``,
``rule NAME``, the warnings when nothing is checked, the progress indicator."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from seglint import cli
from seglint.cli import main
from seglint.diagnostics import Diagnostic, FileError, FileResult, RelatedLocation, Span
from seglint.output import full, gitlab, junit
from seglint.rules import ALL_RULES
from tests.in_process import project_of, run

BAD = "import torch.nn.functional as F\nloss = F.cross_entropy(F.softmax(x, dim=1), y)\n"
GOOD = "import torch.nn.functional as F\nloss = F.cross_entropy(x, y)\n"
REDUNDANT = "import torch.nn.functional as F\nloss = F.cross_entropy(F.log_softmax(x, dim=1), y)\n"


def finding(
    path: str, line: int, column: int, end: int, code: str = "SEG001", severity: str = "error"
) -> Diagnostic:
    return Diagnostic(path, Span(line, column, line, end), code, "n", f"message of {code}", severity)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return project_of(tmp_path, monkeypatch, {"bad.py": BAD, "good.py": GOOD, "redundant.py": REDUNDANT})


# --- gitlab ------------------------------------------------------------------------------------------


def test_gitlab_fields_and_severities(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--output-format", "gitlab")
    assert status == 1
    issues = json.loads(out)
    assert [(i["check_name"], i["severity"], i["location"]) for i in issues] == [
        ("SEG001", "major", {"path": "bad.py", "lines": {"begin": 2}}),
        ("SEG004", "minor", {"path": "redundant.py", "lines": {"begin": 2}}),
    ]
    assert issues[0]["description"].startswith("SEG001 `F.cross_entropy` expects logits")
    assert all(len(i["fingerprint"]) == 64 for i in issues)


def test_gitlab_fingerprints_survive_moves_and_message_changes_and_tell_twins_apart() -> None:
    source = "a = f(p, q)\nb = f(p, q)\nc = f(r)\n"
    moved = "\n\n# a comment\na = f(p,\n      q)\nb = f(p, q)\nc = f(r)\n"
    first = [finding("m.py", 1, 5, 12), finding("m.py", 2, 5, 12), finding("m.py", 3, 5, 9)]
    second = [
        Diagnostic("m.py", Span(4, 5, 5, 9), "SEG001", "n", "another message", "error"),
        Diagnostic("m.py", Span(6, 5, 6, 12), "SEG001", "n", "another message", "error"),
        Diagnostic("m.py", Span(7, 5, 7, 9), "SEG001", "n", "another message", "error"),
    ]
    before = gitlab.fingerprints(first, {"m.py": source})
    assert gitlab.fingerprints(second, {"m.py": moved}) == before
    assert len(set(before)) == 3  # two identical `f(p, q)` are told apart by their index
    assert gitlab.fingerprints(first, {"other.py": source}) != before  # the text counts
    assert gitlab.fingerprints([finding("m.py", 1, 5, 12, "SEG004")], {"m.py": source})[0] != before[0]
    renamed = [Diagnostic("n.py", d.span, d.code, d.name, d.message, d.severity) for d in first]
    assert gitlab.fingerprints(renamed, {"n.py": source}) != before  # the path counts


def test_gitlab_reports_unreadable_files_and_findings_in_another_file() -> None:
    callee = finding("lib/losses.py", 3, 12, 20)
    results = [
        FileResult("train.py", (callee,)),
        FileResult("x.py", error=FileError("x.py", 2, 1, "syntax error")),
    ]
    issues = json.loads(gitlab.render(results, sources={"lib/losses.py": "\n\n    return F.ce(p, y)\n"}))
    assert [(i["check_name"], i["location"]["path"], i["severity"]) for i in issues] == [
        ("SEG001", "lib/losses.py", "major"),
        ("seglint:file-error", "x.py", "critical"),
    ]


# --- junit -------------------------------------------------------------------------------------------


def test_junit_one_suite_per_file_a_failure_per_finding_a_pass_per_clean_file() -> None:
    results = [
        FileResult("a.py", (finding("a.py", 2, 8, 20), finding("a.py", 5, 1, 4, "SEG004", "warning"))),
        FileResult("clean.py"),
        FileResult("broken.py", error=FileError("broken.py", 3, 5, "syntax error: invalid syntax")),
        # A caller's run that reports a finding in its callee: it belongs to the callee's suite.
        FileResult("caller.py", (finding("callee.py", 7, 12, 30),)),
        FileResult("callee.py"),
    ]
    root = ET.fromstring(junit.render(results))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("6", "3", "1")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert sorted(suites) == ["a.py", "broken.py", "callee.py", "caller.py", "clean.py"]
    failures = suites["a.py"].findall("testcase/failure")
    assert [(f.get("type"), f.get("message")) for f in failures] == [
        ("SEG001", "message of SEG001"),
        ("SEG004", "message of SEG004"),
    ]
    assert failures[0].text == "a.py:2:8: SEG001 message of SEG001"
    assert [c.get("line") for c in suites["a.py"].findall("testcase")] == ["2", "5"]
    assert suites["callee.py"].get("failures") == "1"
    for clean in ("clean.py", "caller.py"):
        (case,) = suites[clean].findall("testcase")
        assert list(case) == [] and suites[clean].get("tests") == "1"
    (error,) = suites["broken.py"].findall("testcase/error")
    assert error.get("message") == "syntax error: invalid syntax"


def test_junit_survives_characters_xml_cannot_hold() -> None:
    bad = FileResult("a\x01.py", error=FileError("a\x01.py", 0, 0, "NUL \x00 here"))
    root = ET.fromstring(junit.render([bad]))
    assert root.find("testsuite").get("name") == "a\ufffd.py"


def test_junit_through_the_cli_and_output_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["check", "--no-cache", "--output-format", "junit", "--output-file", "reports/seglint.xml"])
    out, err = capsys.readouterr()
    assert (status, out, err) == (1, "", "")
    root = ET.parse(project / "reports" / "seglint.xml").getroot()
    assert [s.get("name") for s in root.findall("testsuite")] == ["bad.py", "good.py", "redundant.py"]


# --- full ---------------------------------------------------------------------------------------------


def test_full_shows_the_frame_the_producer_and_help() -> None:
    source = (
        "import torch\n\ndef step(model, x, y):\n\tprobs = model(x)\n\treturn F.cross_entropy(probs, y)\n"
    )
    related = RelatedLocation("nets.py", Span(2, 16, 2, 35), "`softmax` makes the probabilities here")
    diagnostic = Diagnostic(
        "train.py",
        Span(5, 9, 5, 32),
        "SEG001",
        "probabilities-as-logits",
        "expects logits",
        "error",
        related=(related,),
    )
    sources = {"train.py": source, "nets.py": "def forward(self, x):\n        return torch.softmax(x, 1)\n"}
    out = full.render([FileResult("train.py", (diagnostic,))], sources=sources, rules=ALL_RULES)
    assert out.splitlines() == [
        "SEG001 expects logits",
        " --> train.py:5:9",
        "  |",
        "4 |     probs = model(x)",
        "5 |     return F.cross_entropy(probs, y)",
        "  |            ^^^^^^^^^^^^^^^^^^^^^^^ SEG001",  # under the call, tabs shown as four spaces
        "  |",
        " ::: nets.py:2:16",
        "  |",
        "1 | def forward(self, x):",
        "2 |         return torch.softmax(x, 1)",
        "  |                ^^^^^^^^^^^^^^^^^^^ `softmax` makes the probabilities here",
        "  |",
        (
            "help: Pass the logits (the input of the softmax or sigmoid) to the loss; `seglint rule SEG001` explains why"
        ),
        "",
        "Found 1 error.",
    ]


def test_full_through_the_cli_with_show_source(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--show-source", "redundant.py")
    assert status == 1
    assert "2 | loss = F.cross_entropy(F.log_softmax(x, dim=1), y)" in out
    assert out.startswith("SEG004 [*] `F.cross_entropy` applies `log_softmax` itself")
    assert " (`--fix` applies it); `seglint rule SEG004` explains why\n" in out
    assert out.endswith("Found 1 warning.\n[*] 1 fixable with the `--fix` option.\n")
    assert run(capsys, "--output-format", "full", "redundant.py")[1] == out


def test_a_long_flagged_expression_is_shown_by_its_ends() -> None:
    source = "loss = F.cross_entropy(\n" + "".join(f"    a{i},\n" for i in range(10)) + ")\n"
    diagnostic = Diagnostic("m.py", Span(1, 8, 12, 2), "SEG001", "n", "m", "error")
    lines = full.render(
        [FileResult("m.py", (diagnostic,))], sources={"m.py": source}, summary=False
    ).splitlines()
    assert lines[3:9] == [
        " 1 | loss = F.cross_entropy(",
        "   |        ^^^^^^^^^^^^^^^^",
        " 2 |     a0,",
        "   |     ^^^",
        "   :",
        "11 |     a9,",
    ]
    assert lines[11] == "   | ^ SEG001"


# --- the command line ---------------------------------------------------------------------------------


def test_check_is_an_alias(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def bare(*args: str) -> tuple[int, str, str]:
        status = main(list(args))
        return (status, *capsys.readouterr())

    assert bare("check", "--no-cache", ".") == run(capsys, ".")
    assert bare("check", "--no-cache")[:2] == (1, run(capsys)[1])
    assert bare("rule", "redundant-log-softmax") == bare("rule", "SEG004")


def test_seglint_check_examples_is_seglint_examples(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    status = main(["check", "--no-cache", "examples/"])
    checked = (status, *capsys.readouterr())
    assert checked == run(capsys, "examples/")
    assert checked[0] == 1 and "examples/one_hot_as_prediction.py:16:12: SEG002 " in checked[1]


def test_colour_always_never_auto(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "\x1b[" in run(capsys, "--color", "always", "bad.py")[1]
    assert "\x1b[" not in run(capsys, "--color", "never", "bad.py")[1]
    assert "\x1b[" not in run(capsys, "bad.py")[1]  # auto, and stdout is not a terminal
    diff = run(capsys, "--diff", "--color", "always", "redundant.py")[1]
    assert "\x1b[31m-loss = F.cross_entropy(F.log_softmax(x, dim=1), y)\x1b[0m\n" in diff
    assert "\x1b[32m+loss = F.cross_entropy(x, y)\x1b[0m\n" in diff


def test_warnings_when_nothing_is_checked(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "empty").mkdir()
    assert run(capsys, "empty") == (
        0,
        "All checks passed!\n",
        "seglint: warning: no Python files found in empty (after excludes and ignore files)\n",
    )
    (project / "build").mkdir()
    (project / "build" / "x.py").write_text(BAD)
    status, _, err = run(capsys, "--force-exclude", "build/x.py")
    assert (status, err) == (
        0,
        "seglint: warning: every path named was excluded (build/x.py); nothing was checked\n",
    )
    status, _, err = run(capsys, "--select", "SEG001", "--ignore", "SEG001", "bad.py")
    assert status == 0 and "no rule is selected" in err
    assert run(capsys, "-q", "empty")[2] == ""


def test_add_noqa_round_trip(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "mixed.py").write_bytes(
        b"import torch.nn.functional as F\r\n"
        b"loss = F.cross_entropy(F.softmax(x, dim=1), y)  # noqa: E501\r\n"
        b"other = F.cross_entropy(F.log_softmax(x, dim=1), \\\r\n"
        b"    y)\r\n"
        b"kept = 1  \r\n"
    )
    before = {p.name: p.read_bytes() for p in project.iterdir()}
    status, out, err = run(capsys, "--add-noqa")
    assert (status, out, err) == (0, "", "Added 4 noqa directives.\n")
    assert (project / "mixed.py").read_bytes() == (
        b"import torch.nn.functional as F\r\n"
        b"loss = F.cross_entropy(F.softmax(x, dim=1), y)  # noqa: E501, SEG001\r\n"
        b"other = F.cross_entropy(F.log_softmax(x, dim=1), \\\r\n"
        b"    y)  # noqa: SEG004\r\n"  # never after the backslash: at the end of the continued line
        b"kept = 1  \r\n"
    )
    assert (project / "bad.py").read_bytes() == BAD.replace(", y)\n", ", y)  # noqa: SEG001\n").encode()
    assert (project / "good.py").read_bytes() == before["good.py"]
    assert run(capsys) == (0, "All checks passed!\n", "")
    assert run(capsys, "--add-noqa") == (0, "", "Added 0 noqa directives.\n")


@pytest.mark.parametrize("layout", ["jupyter", "string"])
def test_add_noqa_in_a_notebook_goes_into_the_cells(
    project: Path, capsys: pytest.CaptureFixture[str], layout: str
) -> None:
    from tests.notebooks import notebook, sources

    cells = [
        ("markdown", "# Training\n`F.cross_entropy(F.softmax(x, dim=1), y)` in prose"),
        ("code", "%matplotlib inline\nimport torch.nn.functional as F\n!pip list"),
        # The shell escape is not Python (a triple quote that never closes): the cell's Python is what is tokenized.
        ("code", '!echo """\nloss = F.cross_entropy(F.softmax(x, dim=1), y)  # noqa: E501\nz = 2'),
        ("code", "other = F.cross_entropy(F.log_softmax(x, dim=1), y)"),
    ]
    path = project / "train.ipynb"
    path.write_text(notebook(*cells, layout=layout))
    before = path.read_text()
    assert run(capsys, "--add-noqa", "train.ipynb") == (0, "", "Added 2 noqa directives.\n")
    after = path.read_text()
    assert sources(after) == [
        cells[0][1],
        cells[1][1],
        '!echo """\nloss = F.cross_entropy(F.softmax(x, dim=1), y)  # noqa: E501, SEG001\nz = 2',
        "other = F.cross_entropy(F.log_softmax(x, dim=1), y)  # noqa: SEG004",
    ]
    changed = [(old, new) for old, new in zip(before.splitlines(), after.splitlines()) if old != new]
    assert len(before.splitlines()) == len(after.splitlines())
    assert len(changed) == 2  # the two lines that got a comment, nothing else of the JSON
    assert run(capsys, "train.ipynb") == (0, "All checks passed!\n", "")


def test_add_noqa_refuses_fix_and_stdin(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--add-noqa", "--fix")[0] == 2
    assert run(capsys, "--add-noqa", "-")[0] == 2


def test_progress_only_on_a_terminal_and_never_with_quiet(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(cli, "PROGRESS_AFTER_SECONDS", 0.0)
    for quiet, shown in ((False, True), (True, False)):
        terminal = Terminal()
        monkeypatch.setattr("sys.stderr", terminal)
        main(["--no-cache", *(["-q"] if quiet else [])])
        assert ("\rseglint: 3/3 files" in terminal.getvalue()) is shown
        assert terminal.getvalue().endswith("\r\x1b[K") is shown  # wiped before the report
    monkeypatch.undo()
    monkeypatch.chdir(project)
    monkeypatch.setattr(cli, "PROGRESS_AFTER_SECONDS", 0.0)
    assert "seglint: 3/3" not in run(capsys)[2]  # stderr captured: not a terminal


def test_a_notebook_position_in_the_ci_formats() -> None:
    from seglint.diagnostics import CellLocation
    from seglint.output import text

    cell = CellLocation(3, Span(40, 12, 40, 30))
    diagnostic = Diagnostic("train.ipynb", Span(2, 8, 2, 26), "SEG001", "n", "m", "error", notebook=cell)
    results = [FileResult("train.ipynb", (diagnostic,))]
    assert text.render(results, summary=False) == "train.ipynb:cell 3:2:8: SEG001 m\n"
    (issue,) = json.loads(gitlab.render(results, sources={}))
    assert issue["location"] == {"path": "train.ipynb", "lines": {"begin": 40}}
    case = ET.fromstring(junit.render(results)).find("testsuite/testcase")
    assert (case.get("name"), case.get("line")) == ("SEG001 at cell 3:2:8", "40")
    assert case.find("failure").text == "train.ipynb:cell 3:2:8: SEG001 m"
