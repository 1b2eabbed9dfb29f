"""Every output path of every subcommand, checked for its content and its stream, not only the exit
status: a finding, a fixable finding and a file that cannot be read, in each format and mode.

In-process through ``seglint.cli.main`` (fast, and visible to mutation testing). The expected lines are
written out from the findings' fields here, not produced by seglint's renderers.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from seglint.cli import main
from seglint.engine import lint_source
from seglint.rules import ALL_RULES, RULES_BY_CODE

BAD = "import torch.nn.functional as F\nloss = F.cross_entropy(F.softmax(x, dim=1), y)\n"
REDUNDANT = "import torch.nn.functional as F\nloss = F.cross_entropy(F.log_softmax(x, dim=1), y)\n"
REDUNDANT_FIXED = "import torch.nn.functional as F\nloss = F.cross_entropy(x, y)\n"
NOT_UTF8 = b'x = "\xff"\nimport torch.nn.functional as F\n'
NOT_UTF8_ERROR = "latin.py:1:6: error: invalid UTF-8 at byte 5; add a coding cookie or re-encode the file"


def message(source: str, code: str) -> str:
    (diagnostic,) = lint_source(source, "m.py", select=frozenset(RULES_BY_CODE)).diagnostics
    assert diagnostic.code == code
    return diagnostic.message


SEG001_LINE = f"bad.py:2:8: SEG001 {message(BAD, 'SEG001')}"
SEG004_LINE = f"redundant.py:2:8: SEG004 [*] {message(REDUNDANT, 'SEG004')}"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "bad.py").write_text(BAD)
    (tmp_path / "redundant.py").write_text(REDUNDANT)
    (tmp_path / "latin.py").write_bytes(NOT_UTF8)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["--no-cache", *args])
    out, err = capsys.readouterr()
    return status, out, err


def lines(text: str) -> list[str]:
    return text.splitlines()


# --- exit statuses --------------------------------------------------------------------------------


def test_exit_zero_turns_findings_into_0_but_never_an_unreadable_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "--exit-zero", "bad.py")[0] == 0
    assert run(capsys, "bad.py")[0] == 1
    assert run(capsys, "--exit-zero", "latin.py")[0] == 2
    assert run(capsys, "--exit-zero")[0] == 2
    for output in ("json", "sarif", "github"):
        assert run(capsys, "--exit-zero", "--format", output)[0] == 2
        assert run(capsys, "--exit-zero", "--format", output, "bad.py")[0] == 0
    assert run(capsys, "--exit-zero", "--statistics")[0] == 2


# --- text -----------------------------------------------------------------------------------------


def test_text_puts_findings_errors_and_summary_on_stdout(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys)
    assert status == 2 and err == ""
    assert lines(out) == [
        SEG001_LINE,
        NOT_UTF8_ERROR,
        SEG004_LINE,
        "Found 2 errors.",
        "1 file could not be checked.",
        (
            "[*] 1 fixable with the `--fix` option "
            "(1 hidden fix can be enabled with the `--unsafe-fixes` option)."
        ),
    ]
    status, out, err = run(capsys, "--quiet")
    assert (status, lines(out), err) == (2, [SEG001_LINE, NOT_UTF8_ERROR, SEG004_LINE], "")


# --- json -----------------------------------------------------------------------------------------


def test_json_puts_findings_on_stdout_and_unreadable_files_on_stderr(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "--format", "json")
    assert status == 2
    findings = json.loads(out)
    assert [(f["path"], f["line"], f["column"], f["code"]) for f in findings] == [
        ("bad.py", 2, 8, "SEG001"),
        ("redundant.py", 2, 8, "SEG004"),
    ]
    assert [f["fix"]["applicability"] for f in findings] == ["unsafe", "safe"]
    assert lines(err) == [NOT_UTF8_ERROR]
    status, out, err = run(capsys, "--format", "json", "latin.py")
    assert (status, json.loads(out), lines(err)) == (2, [], [NOT_UTF8_ERROR])


# --- sarif ----------------------------------------------------------------------------------------


def test_sarif_puts_findings_and_unreadable_files_in_the_log(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "--format", "sarif")
    assert status == 2 and err == ""
    (log_run,) = json.loads(out)["runs"]
    assert [rule["id"] for rule in log_run["tool"]["driver"]["rules"]] == [r.code for r in ALL_RULES]
    assert [
        (
            result["ruleId"],
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            result["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for result in log_run["results"]
    ] == [("SEG001", "bad.py", 2), ("SEG004", "redundant.py", 2)]
    (notification,) = log_run["invocations"][0]["toolExecutionNotifications"]
    assert notification["message"]["text"].startswith("latin.py: ")
    assert "invalid UTF-8" in notification["message"]["text"]


# --- github ---------------------------------------------------------------------------------------


def test_github_puts_findings_and_unreadable_files_on_stdout(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "--format", "github")
    assert status == 2 and err == ""
    assert [line.split("::")[1] for line in lines(out)] == [
        "error file=bad.py,line=2,col=8,endLine=2,endColumn=47,title=seglint (SEG001)",
        "error file=latin.py,line=1,col=6,title=seglint",
        "warning file=redundant.py,line=2,col=8,endLine=2,endColumn=51,title=seglint (SEG004)",
    ]
    assert lines(out)[1].endswith("::invalid UTF-8 at byte 5; add a coding cookie or re-encode the file")


# --- statistics -----------------------------------------------------------------------------------


def test_statistics_count_on_stdout_and_unreadable_files_on_stderr(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "--statistics")
    assert (status, lines(err)) == (2, [NOT_UTF8_ERROR])
    assert lines(out) == [
        "  1\tSEG001\t[ ] probabilities-as-logits",
        "  1\tSEG004\t[*] redundant-log-softmax",
    ]
    status, out, err = run(capsys, "--statistics", "--format", "json")
    assert (status, lines(err)) == (2, [NOT_UTF8_ERROR])
    assert [(row["code"], row["count"], row["fixable"]) for row in json.loads(out)] == [
        ("SEG001", 1, False),
        ("SEG004", 1, True),
    ]
    status, out, _ = run(capsys, "--statistics", "--unsafe-fixes", "bad.py")
    assert (status, lines(out)) == (1, ["  1\tSEG001\t[*] probabilities-as-logits"])


# --- --diff and --fix -----------------------------------------------------------------------------


def test_diff_prints_the_diff_on_stdout_and_the_rest_on_stderr(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "--diff")
    assert status == 2
    assert lines(out) == [
        "--- redundant.py",
        "+++ redundant.py",
        "@@ -1,2 +1,2 @@",
        " import torch.nn.functional as F",
        "-loss = F.cross_entropy(F.log_softmax(x, dim=1), y)",
        "+loss = F.cross_entropy(x, y)",
    ]
    assert lines(err) == [NOT_UTF8_ERROR, "Would fix 1 error."]
    assert (project / "redundant.py").read_text() == REDUNDANT
    assert run(capsys, "--diff", "redundant.py")[0] == 1
    assert run(capsys, "--diff", "--quiet", "redundant.py")[2] == ""
    status, out, err = run(capsys, "--diff", "--unsafe-fixes", "bad.py", "redundant.py")
    assert (status, out.count("+++ "), lines(err)) == (1, 2, ["Would fix 2 errors."])


def test_fix_writes_the_files_and_reports_what_remains(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "--fix", "bad.py", "redundant.py")
    assert (status, err) == (1, "")
    assert (project / "redundant.py").read_text() == REDUNDANT_FIXED
    assert (project / "bad.py").read_text() == BAD  # its fix is unsafe
    assert lines(out) == [
        SEG001_LINE,
        "Found 2 errors (1 fixed, 1 remaining).",
        "No fixes available (1 hidden fix can be enabled with the `--unsafe-fixes` option).",
    ]
    status, out, _ = run(capsys, "--fix", "--exit-zero", "bad.py", "latin.py")
    assert status == 2 and NOT_UTF8_ERROR in lines(out)


# --- stdin ----------------------------------------------------------------------------------------


def feed(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_stdin_outputs(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    feed(monkeypatch, REDUNDANT.encode())
    status, out, err = run(capsys, "-", "--stdin-filename", "redundant.py", "--quiet")
    assert (status, lines(out), err) == (1, [SEG004_LINE], "")
    feed(monkeypatch, REDUNDANT.encode())
    status, out, err = run(capsys, "-", "--stdin-filename", "redundant.py", "--fix")
    assert (status, out) == (0, REDUNDANT_FIXED)
    assert lines(err) == ["Found 1 error (1 fixed, 0 remaining)."]
    feed(monkeypatch, REDUNDANT.encode())
    status, out, err = run(capsys, "-", "--stdin-filename", "redundant.py", "--diff")
    assert status == 1 and "+loss = F.cross_entropy(x, y)" in lines(out)
    assert lines(err) == ["Would fix 1 error."]
    feed(monkeypatch, BAD.encode())
    status, out, _ = run(capsys, "-", "--stdin-filename", "bad.py", "--format", "json", "--exit-zero")
    assert status == 0 and [f["code"] for f in json.loads(out)] == ["SEG001"]


def test_stdin_fix_of_an_undecodable_input_prints_it_unchanged(
    project: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    feed(monkeypatch, NOT_UTF8)
    status = main(["-", "--stdin-filename", "latin.py", "--fix"])
    out, err = capsysbinary.readouterr()
    assert (status, out) == (2, NOT_UTF8)
    assert err.decode().splitlines() == [NOT_UTF8_ERROR, "1 file could not be checked."]


# --- rule / rules ---------------------------------------------------------------------------------


def test_rules_prints_one_line_per_rule_then_the_legend(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run_subcommand(capsys, "rules")
    width = max(len(rule.name) for rule in ALL_RULES)
    assert (status, err) == (0, "")
    assert lines(out) == [
        *(
            f"{r.code}  {'[*]' if r.fix_availability != 'none' else '   '}  {r.name:<{width}}  {r.summary}"
            for r in ALL_RULES
        ),
        "",
        "[*] a fix is available for some findings. `seglint rule CODE` prints a rule's documentation.",
    ]
    assert len(ALL_RULES) == 5
    status, out, _ = run_subcommand(capsys, "rules", "--format", "json")
    assert status == 0
    assert json.loads(out) == [
        {
            "code": r.code,
            "name": r.name,
            "summary": r.summary,
            "severity": r.severity,
            "fix_availability": r.fix_availability,
            "doc": r.doc,
        }
        for r in ALL_RULES
    ]


def test_rule_prints_one_rules_documentation(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for rule in ALL_RULES:
        assert run_subcommand(capsys, "rule", rule.code.lower()) == (0, rule.doc.rstrip("\n") + "\n", "")
        status, out, _ = run_subcommand(capsys, "rule", rule.code, "--format", "json")
        assert status == 0 and json.loads(out) == {
            "code": rule.code,
            "name": rule.name,
            "summary": rule.summary,
            "severity": rule.severity,
            "fix_availability": rule.fix_availability,
            "doc": rule.doc,
        }
    status, _, err = run_subcommand(capsys, "rules", "--format", "sarif")
    assert status == 2 and "--format" in err


def run_subcommand(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err
