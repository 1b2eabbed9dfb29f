"""Command-line options and subcommands, run in-process through ``seglint.cli.main`` (fast)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from seglint.rules import ALL_RULES
from tests import in_process
from tests.in_process import project_of

BAD = "import torch.nn.functional as F\nloss = F.cross_entropy(F.softmax(x, dim=1), y)\n"
GOOD = "import torch.nn.functional as F\nloss = F.cross_entropy(x, y)\n"
REDUNDANT = "import torch.nn.functional as F\nloss = F.cross_entropy(F.log_softmax(x, dim=1), y)\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return project_of(tmp_path, monkeypatch, {"bad.py": BAD, "good.py": GOOD})


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return in_process.run(capsys, *args, cache=True)


# --- subcommands ----------------------------------------------------------------------------------


def test_rule_prints_the_documentation(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "rule", "SEG001")
    assert status == 0
    doc = ALL_RULES[0].doc.rstrip("\n") + "\n"
    assert out == "# probabilities-as-logits (SEG001)\n\nFix is sometimes available.\n\n" + doc
    assert "## What it does" in out
    doc = ALL_RULES[3].doc.rstrip("\n") + "\n"
    assert (
        run(capsys, "rule", "seg004")[1]
        == "# redundant-log-softmax (SEG004)\n\nFix is sometimes available.\n\n" + doc
    )
    assert run(capsys, "rule", "one-hot-as-logits")[1].startswith(
        "# one-hot-as-logits (SEG002)\n\n## What it does\n"
    )
    status, out, _ = run(capsys, "rule", "SEG004", "--format", "json")
    assert json.loads(out)["name"] == "redundant-log-softmax"


def test_rule_with_an_unknown_code_lists_the_valid_ones(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "rule", "SEG999") == (
        2,
        "",
        (
            "seglint: error: unknown rule 'SEG999'; valid: SEG001, SEG002, SEG003, SEG004, SEG005 or their names "
            "(probabilities-as-logits, one-hot-as-logits, probabilities-as-log-probabilities, "
            "redundant-log-softmax, log-of-softmax)\n"
        ),
    )
    status, _, err = run(capsys, "rule")
    assert status == 2 and "CODE" in err


def test_rules_lists_code_fix_marker_name_and_summary(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "rules")
    assert status == 0
    lines = out.splitlines()
    assert len(lines) == len(ALL_RULES) + 2 and lines[-2:] == [
        "",
        "[*] a fix is available for some findings. `seglint rule CODE` prints a rule's documentation.",
    ]
    for rule, line in zip(ALL_RULES, lines[: len(ALL_RULES)], strict=True):
        assert line.startswith(rule.code)
        assert rule.name in line and line.endswith(rule.summary)
        assert ("[*]" in line) == (rule.fix_availability != "none")
    data = json.loads(run(capsys, "rules", "--format", "json")[1])
    assert [r["code"] for r in data] == ["SEG001", "SEG002", "SEG003", "SEG004", "SEG005"]


def test_a_directory_named_rule_is_checked_when_passed_as_a_path(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "rule").mkdir()
    (project / "rule" / "m.py").write_text(BAD)
    status, out, _ = run(capsys, "./rule")
    assert status == 1 and out.startswith("rule/m.py:2:8: SEG001 ")


# --- options --------------------------------------------------------------------------------------


def test_version(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--version") == (0, "seglint 0.1.0\n", "")


def test_help_exits_0(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--help")
    assert status == 0 and "--stdin-filename" in out and "--force-exclude" in out


def test_quiet_prints_findings_only(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--quiet")
    assert status == 1
    assert len(out.splitlines()) == 1 and out.startswith("bad.py:2:8: SEG001 ")
    assert run(capsys, "--quiet", "good.py") == (0, "", "")


def test_statistics(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "bad2.py").write_text(BAD + BAD.splitlines()[1] + "\n")
    (project / "redundant.py").write_text(REDUNDANT)
    status, out, _ = run(capsys, "--statistics")
    assert status == 1
    assert out == (
        "  3\tSEG001\t[ ] probabilities-as-logits\n  1\tSEG004\t[*] redundant-log-softmax\n"
        "  4\ttotal\t3 errors and 1 warning\n"
    )
    status, out, _ = run(capsys, "--statistics", "--format", "json")
    assert [(row["code"], row["count"]) for row in json.loads(out)] == [("SEG001", 3), ("SEG004", 1)]


def test_repeated_and_comma_separated_selectors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "redundant.py").write_text(REDUNDANT)
    assert run(capsys, "--select", "SEG002,SEG003", "--select", "SEG005")[:2] == (0, "All checks passed!\n")
    status, out, _ = run(capsys, "--select", "SEG002", "--extend-select", "SEG004", "--quiet")
    assert status == 1 and out.startswith("redundant.py:2:8: SEG004")
    assert run(capsys, "--ignore", "SEG")[:2] == (0, "All checks passed!\n")


def test_colour_only_when_forced_or_on_a_terminal_and_never_with_no_color(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "\x1b[" not in run(capsys, "bad.py")[1]  # captured output is not a terminal
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[1mbad.py:2:8:\x1b[0m" in run(capsys, "bad.py")[1]
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run(capsys, "bad.py")[1]


def test_force_exclude(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text('[tool.seglint]\nextend-exclude = ["bad.py"]\n')
    assert run(capsys, ".")[:2] == (0, "All checks passed!\n")
    assert run(capsys, "bad.py")[0] == 1  # named explicitly: linted, as ruff does
    assert run(capsys, "--force-exclude", "bad.py", "good.py")[:2] == (0, "All checks passed!\n")


def test_config_option(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "ci.toml").write_text('[tool.seglint]\nignore = ["SEG001"]\n')
    assert run(capsys, "--config", "ci.toml")[:2] == (0, "All checks passed!\n")
    status, _, err = run(capsys, "--config", "missing.toml")
    assert (status, err) == (2, "seglint: error: config file 'missing.toml' does not exist\n")


def test_fix_with_unsafe_fixes_writes_only_code_that_parses(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "redundant.py").write_text(REDUNDANT)
    status, out, _ = run(capsys, "--fix", "--unsafe-fixes", "--quiet")
    fixed_bad = (project / "bad.py").read_text()
    assert fixed_bad != BAD  # SEG001's unsafe fix was applied
    assert (project / "redundant.py").read_text() == GOOD
    import libcst

    libcst.parse_module(fixed_bad)
    assert status == 0 and out == ""


def test_diff_with_nothing_to_fix(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--diff", "good.py") == (0, "", "No fixes would be made.\n")


def test_stdin_usage_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "-", "good.py")
    assert (status, err) == (2, "seglint: error: '-' (stdin) cannot be combined with other paths\n")
    status, _, err = run(capsys, "--stdin-filename", "x.py", "good.py")
    assert (status, err) == (2, "seglint: error: --stdin-filename needs '-' (stdin) as the only path\n")


def test_stdin_filename_honours_per_file_ignores_and_force_exclude(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.seglint]\nextend-exclude = ["vendor"]\n[tool.seglint.per-file-ignores]\n"tests/*" = ["SEG001"]\n'
    )

    def stdin(text: str) -> None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))

    stdin(BAD)
    assert run(capsys, "-", "--stdin-filename", "tests/t.py")[:2] == (0, "All checks passed!\n")
    stdin(BAD)
    assert run(capsys, "-", "--stdin-filename", "vendor/t.py", "--force-exclude")[:2] == (
        0,
        "All checks passed!\n",
    )
    stdin(BAD)
    assert run(capsys, "-", "--stdin-filename", "vendor/t.py")[0] == 1


def test_an_engine_crash_is_that_files_error(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import seglint.engine

    def crash(source: str, path: str, **options: object) -> None:
        if path == "bad.py":
            raise RuntimeError("boom")
        return original(source, path, **options)

    original = seglint.engine.lint_source
    monkeypatch.setattr(seglint.engine, "lint_source", crash)
    status, out, _ = run(capsys)
    assert status == 2
    assert out.splitlines() == [
        "bad.py: error: internal error: RuntimeError: boom",
        "1 file could not be checked.",
    ]


def test_stdin_that_is_not_utf8(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x = '\xff'\n")))
    assert run(capsys, "-", "--stdin-filename", "m.py") == (
        2,
        (
            "m.py:1:6: error: invalid UTF-8 at byte 5; add a coding cookie or re-encode the file\n"
            "1 file could not be checked.\n"
        ),
        "",
    )
