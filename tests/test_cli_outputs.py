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
from tests.in_process import project_of, run

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
    return project_of(tmp_path, monkeypatch, {"bad.py": BAD, "redundant.py": REDUNDANT, "latin.py": NOT_UTF8})


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
        "Found 1 error and 1 warning.",
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
        "  2\ttotal\t1 error and 1 warning",
    ]
    status, out, err = run(capsys, "--statistics", "--format", "json")
    assert (status, lines(err)) == (2, [NOT_UTF8_ERROR])
    assert [(row["code"], row["count"], row["fixable"]) for row in json.loads(out)] == [
        ("SEG001", 1, False),
        ("SEG004", 1, True),
    ]
    status, out, _ = run(capsys, "--statistics", "--unsafe-fixes", "bad.py")
    assert (status, lines(out)) == (1, ["  1\tSEG001\t[*] probabilities-as-logits", "  1\ttotal\t1 error"])


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
    assert lines(err) == [NOT_UTF8_ERROR, "Would fix 1 finding."]
    assert (project / "redundant.py").read_text() == REDUNDANT
    assert run(capsys, "--diff", "redundant.py")[0] == 1
    assert run(capsys, "--diff", "--quiet", "redundant.py")[2] == ""
    status, out, err = run(capsys, "--diff", "--unsafe-fixes", "bad.py", "redundant.py")
    assert (status, out.count("+++ "), lines(err)) == (1, 2, ["Would fix 2 findings."])


def test_fix_writes_the_files_and_reports_what_remains(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "--fix", "bad.py", "redundant.py")
    assert (status, err) == (1, "")
    assert (project / "redundant.py").read_text() == REDUNDANT_FIXED
    assert (project / "bad.py").read_text() == BAD  # its fix is unsafe
    assert lines(out) == [
        SEG001_LINE,
        "Fixed 1 finding; 1 error remaining.",
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
    assert lines(err) == ["Fixed 1 finding; none remaining."]
    feed(monkeypatch, REDUNDANT.encode())
    status, out, err = run(capsys, "-", "--stdin-filename", "redundant.py", "--diff")
    assert status == 1 and "+loss = F.cross_entropy(x, y)" in lines(out)
    assert lines(err) == ["Would fix 1 finding."]
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
        status, out, err = run_subcommand(capsys, "rule", rule.code.lower())
        assert (status, err) == (0, "") and out.startswith(f"# {rule.name} ({rule.code})\n\n")
        assert out.endswith("\n\n" + rule.doc.rstrip("\n") + "\n")
        assert run_subcommand(capsys, "rule", rule.name) == (status, out, err)
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


# --- where the cache goes -------------------------------------------------------------------------


def cache_entries(directory: Path) -> list[Path]:
    return sorted((directory / "v1").glob("*.json")) if directory.exists() else []


def test_the_cache_goes_next_to_the_configuration_or_where_asked(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "latin.py").unlink()
    (project / "pyproject.toml").write_text("[tool.seglint]\n")
    (project / "sub").mkdir()
    monkeypatch.chdir(project / "sub")
    assert main(["../bad.py"]) == 1
    assert len(cache_entries(project / ".seglint_cache")) == 1
    assert main(["--cache-dir", "here", "../bad.py"]) == 1
    assert len(cache_entries(project / "sub" / "here")) == 1
    assert main(["--no-cache", "--cache-dir", "elsewhere", "../bad.py"]) == 1
    assert not (project / "sub" / "elsewhere").exists()
    capsys.readouterr()


def test_without_a_configuration_the_cache_goes_to_the_working_directory(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bad.py"]) == 1
    assert len(cache_entries(project / ".seglint_cache")) == 1
    capsys.readouterr()


# --- usage errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--jobs", "0", "."], "argument -j/--jobs: expected a positive integer, got '0'"),
        (["--jobs", "two", "."], "argument -j/--jobs: expected a positive integer, got 'two'"),
        (["--format", "xml", "."], "argument --output-format/--format: invalid choice: 'xml'"),
        (["--select", "SEG001,SEG01", "."], "--select: unknown rule code 'SEG01'; valid: SEG, SEG0, SEG00"),
        (["--extend-select", "X1", "."], "--extend-select: unknown rule code 'X1'"),
        (["--ignore", " SEG001 , SEG9 ", "."], "--ignore: unknown rule code 'SEG9'"),
        (["--no-such-option"], "unrecognized arguments: --no-such-option"),
    ],
)
def test_usage_errors_exit_2_with_one_line_naming_the_option(
    project: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    status, out, err = run_subcommand(capsys, *args)
    assert (status, out) == (2, "")
    assert err.startswith("seglint: error: ") and message in err and err.count("\n") == 1


def test_selectors_may_be_repeated_spaced_and_comma_separated(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "--select", " SEG004 ,", "--select", "SEG002", "--quiet")
    assert (status, lines(out)) == (2, [NOT_UTF8_ERROR, SEG004_LINE])
    status, out, _ = run(
        capsys, "--ignore", "SEG001", "--ignore", "SEG004", "--quiet", "bad.py", "redundant.py"
    )
    assert (status, out) == (0, "")
    status, out, _ = run(capsys, "--select", "SEG002", "--extend-select", "SEG001", "--quiet", "bad.py")
    assert (status, lines(out)) == (1, [SEG001_LINE])


def test_help_and_version_exit_0(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_subcommand(capsys, "--help")
    assert (
        status == 0
        and out.startswith("usage: seglint ")
        and "To check a directory named 'check', 'rule' or 'rules'" in " ".join(out.split())
    )
    status, out, _ = run_subcommand(capsys, "rule", "--help")
    assert status == 0 and out.startswith("usage: seglint rule ")
    assert run_subcommand(capsys, "--version", "bad.py") == (0, "seglint 0.1.0\n", "")


def test_a_closed_pipe_ends_the_run_quietly(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import seglint.cli

    def closed(*args: object, **options: object) -> int:
        raise BrokenPipeError

    monkeypatch.setattr(seglint.cli, "_check", closed)
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)  # closed by main, so that nothing more is printed
    assert main(["bad.py"]) == 1
    assert stderr.closed


# --- colour ---------------------------------------------------------------------------------------


def test_colour_follows_the_stream_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from seglint.cli import _use_color

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    assert _use_color(Terminal()) and not _use_color(io.StringIO()) and not _use_color(object())  # type: ignore[arg-type]
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert _use_color(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not _use_color(Terminal())


# --- a fix that cannot be written -----------------------------------------------------------------


def test_a_fix_that_cannot_be_written_is_that_files_error(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import seglint.fixer

    def refuse(path: str, text: str, encoding: str, **options: object) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(seglint.fixer, "write_source", refuse)
    status, out, _ = run(capsys, "--fix", "redundant.py", "bad.py")
    assert status == 2
    assert lines(out)[:2] == [
        SEG001_LINE,
        "redundant.py: error: could not write the fix: Read-only file system",
    ]
    assert (project / "redundant.py").read_text() == REDUNDANT


def test_stdin_fix_that_cannot_be_encoded_prints_the_input_unchanged(
    project: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = (
        "# coding: latin-1\nimport torch.nn.functional as F\nloss = F.cross_entropy(F.log_softmax(x, 1), y)\n"
    )
    data = source.encode("latin-1")
    import seglint.cli
    import seglint.sources

    def unencodable(text: str, encoding: str) -> bytes:
        raise UnicodeEncodeError(encoding, text, 0, 1, "cannot encode")

    monkeypatch.setattr(seglint.sources, "encode_source", unencodable)
    feed(monkeypatch, data)
    status = main(["-", "--stdin-filename", "m.py", "--fix"])
    out, err = capsysbinary.readouterr()
    assert (status, out) == (2, data)
    assert err.decode().startswith("m.py: error: could not encode the fix: ")


def test_stdin_excluded_by_force_exclude_is_printed_unchanged_by_fix(
    project: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "pyproject.toml").write_text('[tool.seglint]\nextend-exclude = ["vendor"]\n')
    feed(monkeypatch, REDUNDANT.encode())
    status = main(["-", "--stdin-filename", "vendor/m.py", "--force-exclude", "--fix"])
    out, err = capsysbinary.readouterr()
    assert (status, out) == (0, REDUNDANT.encode())
    assert err == b"All checks passed!\n"


def test_the_subcommands_help_and_their_usage_errors(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run_subcommand(capsys, "rule", "--help")
    assert status == 0
    assert out.startswith("usage: seglint rule [-h] [--output-format {text,json}] CODE\n")
    assert "Print a rule's documentation." in out
    status, out, _ = run_subcommand(capsys, "rules", "--help")
    assert status == 0
    assert (
        out.startswith("usage: seglint rules [-h] [--output-format {text,json}]\n")
        and "List every rule." in out
    )
    status, _, err = run_subcommand(capsys, "rule", "SEG001", "--format", "xml")
    assert (
        status == 2
        and "argument --output-format/--format: invalid choice: 'xml' (choose from 'text', 'json')" in err
    )
    status, _, err = run_subcommand(capsys, "rules", "--format", "text", "extra")
    assert status == 2 and "unrecognized arguments: extra" in err


def test_the_configured_catalogue_reaches_the_analysis(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text(
        "[tool.seglint]\n"
        'logits-losses = ["mylosses.focal"]\n'
        'log-probability-losses = ["mylosses.nll2d"]\n'
        'probability-functions = ["myops.predict_proba"]\n'
    )
    (project / "custom.py").write_text(
        "import torch\nimport torch.nn.functional as F\nfrom mylosses import focal, nll2d\n"
        "from myops import predict_proba\n\n\ndef step(x, y):\n"
        "    a = focal(torch.sigmoid(x), y)\n"
        "    b = nll2d(torch.softmax(x, 1), y)\n"
        "    return a + b + F.cross_entropy(predict_proba(x), y)\n"
    )
    status, out, _ = run(capsys, "--quiet", "custom.py")
    assert status == 1
    assert [line.split(" ")[:2] for line in lines(out)] == [
        ["custom.py:8:9:", "SEG001"],
        ["custom.py:9:9:", "SEG003"],
        ["custom.py:10:20:", "SEG001"],
    ]
    status, out, _ = run(capsys, "--diff", "--unsafe-fixes", "custom.py")  # the fixing path reads it too
    assert status == 1 and "+    b = nll2d(torch.log_softmax(x, 1), y)" in lines(out)


def test_stdin_without_a_name_and_in_sarif(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    feed(monkeypatch, BAD.encode())
    status, out, _ = run(capsys, "-", "--quiet")
    assert (status, lines(out)) == (1, [SEG001_LINE.replace("bad.py", "-", 1)])
    feed(monkeypatch, BAD.encode())
    status, out, _ = run(capsys, "-", "--stdin-filename", "bad.py", "--format", "sarif")
    (log_run,) = json.loads(out)["runs"]
    assert status == 1 and [rule["id"] for rule in log_run["tool"]["driver"]["rules"]] == [
        r.code for r in ALL_RULES
    ]
    feed(monkeypatch, NOT_UTF8)
    status, out, _ = run(capsys, "-", "--stdin-filename", "latin.py", "--format", "sarif")
    (log_run,) = json.loads(out)["runs"]
    assert status == 2 and [rule["id"] for rule in log_run["tool"]["driver"]["rules"]] == [
        r.code for r in ALL_RULES
    ]
    assert log_run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"].startswith(
        "latin.py: "
    )
