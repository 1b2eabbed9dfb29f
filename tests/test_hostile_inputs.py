"""Hostile inputs, each next to a file with a finding: the message for it, the exit status, and that the
other file was still checked.

What could crash the process (nesting thousands deep, which crashes libcst's native parser) runs in a
subprocess; permission cases run under an unprivileged user (``tests.unprivileged``), also in CI,
which runs as root.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from seglint.cli import main
from tests.test_cli import BAD, seglint, write
from tests.test_positions import python_says
from tests.unprivileged import hand_over, run_unprivileged, shared_tree

LOSS = "import torch\nimport torch.nn.functional as F\n"
OTHER_FINDING = "other.py:2:8: SEG001 "

Check = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def check(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Check:
    """``seglint --no-cache .`` in-process over ``files`` and ``other.py`` (which has a finding)."""

    def run(files: dict[str, str | bytes], *args: str) -> subprocess.CompletedProcess[str]:
        write(tmp_path, {"other.py": BAD, **files})
        monkeypatch.chdir(tmp_path)
        status = main(["--no-cache", *(args or (".",))])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, status, out, err)

    return run


def lines_of(result: subprocess.CompletedProcess[str], path: str) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith(f"{path}:")]


def assert_reported(result: subprocess.CompletedProcess[str], line: str) -> None:
    """``line`` is the only output about its file, the run exits 2, and other.py was checked."""
    path = line.split(":")[0]
    assert lines_of(result, path) == [line], result.stdout
    assert result.returncode == 2
    assert any(entry.startswith(OTHER_FINDING) for entry in result.stdout.splitlines()), result.stdout


def test_nul_bytes(check: Check) -> None:
    result = check({"nul.py": (LOSS + "x = 1\0\nloss = F.cross_entropy(x, y)\n").encode()})
    assert_reported(result, "nul.py:3:6: error: syntax error: source code cannot contain null bytes")


def test_binary_content_that_names_a_loss(check: Check) -> None:
    result = check({"blob.py": bytes(range(256)) * 4 + b"\nF.cross_entropy(x, y)\n"})
    assert_reported(
        result,
        "blob.py:3:115: error: invalid UTF-8 at byte 128; add a coding cookie or re-encode the file",
    )


def test_python_2_code_that_names_a_loss(check: Check) -> None:
    source = LOSS + 'print "loss", F.cross_entropy(x, y)\n'
    line, column, message = python_says(source)
    assert_reported(check({"py2.py": source}), f"py2.py:{line}:{column}: error: syntax error: {message}")


def test_latin_1_without_a_coding_cookie(check: Check) -> None:
    result = check({"latin.py": b"# caf\xe9\n" + LOSS.encode() + b"F.cross_entropy(x, y)\n"})
    assert_reported(
        result, "latin.py:1:6: error: invalid UTF-8 at byte 5; add a coding cookie or re-encode the file"
    )


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n", b"\n\n"], ids=repr)
def test_empty_and_bom_only_files_are_clean(check: Check, content: bytes) -> None:
    result = check({"empty.py": content})
    assert result.returncode == 1  # other.py's finding
    assert lines_of(result, "empty.py") == []
    assert result.stderr == ""


def test_a_one_megabyte_line(check: Check) -> None:
    data = "DATA = [" + ", ".join(map(str, range(140_000))) + "]\n"
    blob = "BLOB = '" + "a" * 1_000_000 + "'; loss = F.cross_entropy(F.softmax(x, dim=1), y)\n"
    assert len(data) > 1_000_000
    result = check(
        {"data.py": LOSS + data + "loss = F.cross_entropy(F.softmax(x, dim=1), y)\n", "blob.py": LOSS + blob}
    )
    assert result.returncode == 1
    assert [line.split(" ")[:2] for line in lines_of(result, "data.py")] == [["data.py:4:8:", "SEG001"]]
    column = blob.index("F.cross_entropy") + 1
    assert [line.split(" ")[:2] for line in lines_of(result, "blob.py")] == [
        [f"blob.py:3:{column}:", "SEG001"]
    ]


def test_a_20_megabyte_generated_file(check: Check) -> None:
    generated = LOSS + "def loss(x, y):\n    return F.cross_entropy(x, y)\n\n\n" * 400_000
    table = "TABLE = {\n" + "    12345: 0.5,\n" * 1_400_000 + "}\n"
    assert len(generated) > 20_000_000 and len(table) > 20_000_000
    result = check({"generated.py": generated, "table.py": table})
    assert_reported(
        result,
        f"generated.py: error: not analysed: the file is {len(generated):,} bytes, larger than "
        "max-file-size (2,097,152 bytes); exclude it, or raise max-file-size in [tool.seglint]",
    )
    assert lines_of(result, "table.py") == []  # as large, but it names no loss: nothing to analyse


def test_max_file_size_is_configurable(check: Check) -> None:
    source = LOSS + "loss = F.cross_entropy(F.softmax(x, dim=1), y)\n" + "# padding\n" * 200
    result = check({"pyproject.toml": "[tool.seglint]\nmax-file-size = 1000\n", "padded.py": source})
    assert_reported(
        result,
        f"padded.py: error: not analysed: the file is {len(source):,} bytes, larger than max-file-size "
        "(1,000 bytes); "
        "exclude it, or raise max-file-size in [tool.seglint]",
    )


@pytest.fixture
def deep_tree(tmp_path: Path) -> Path:
    return write(
        tmp_path,
        {
            "other.py": BAD,
            "brackets.py": LOSS + "loss = F.cross_entropy(" + "(" * 5000 + "x" + ")" * 5000 + ", y)\n",
            "unary.py": LOSS + "loss = F.cross_entropy(" + "-" * 5000 + "torch.softmax(x, 1), y)\n",
            "chained.py": LOSS + "loss = F.cross_entropy(torch.softmax(x, 1)" + " + x" * 3000 + ", y)\n",
            "deep.py": LOSS + "loss = F.cross_entropy(torch.softmax(x, 1)" + " + x" * 400 + ", y)\n",
        },
    )


def test_nesting_thousands_deep_is_reported_and_never_reaches_libcst(deep_tree: Path) -> None:
    result = seglint("--no-cache", ".", cwd=deep_tree)  # a subprocess: libcst would crash it
    too_deep = "error: could not analyse: the code is nested too deeply"
    line, column, message = python_says((deep_tree / "brackets.py").read_text())
    assert_reported(result, f"brackets.py:{line}:{column}: error: syntax error: {message}")
    for name in ("unary.py", "chained.py"):  # Python's own parser gives up on these
        (entry,) = lines_of(result, name)
        assert entry.startswith(f"{name}: {too_deep}"), entry
    # Python parses this one; seglint's bound stops it long before the analysis would recurse.
    assert lines_of(result, "deep.py") == [f"deep.py:3:24: {too_deep} (more than 200 levels)"]


def test_configuration_that_is_invalid_stops_the_run(tmp_path: Path) -> None:
    write(tmp_path, {"other.py": BAD, "pyproject.toml": '[tool.seglint]\nmax-file-size = "1 MB"\n'})
    result = seglint(cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "seglint: error: pyproject.toml: [tool.seglint] max-file-size: expected a positive integer, "
        "got '1 MB' (a string); valid: e.g. 4194304 (bytes)\n"
    )
    # Not TOML at all: tests/test_cli.py::test_config_errors_exit_2_naming_file_key_value_and_choices.


def test_a_broken_pyproject_that_never_names_seglint_is_not_a_configuration(check: Check) -> None:
    result = check({"vendored/pyproject.toml": "[project\n", "vendored/bad.py": BAD})
    assert result.returncode == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines() if ": SEG" in line] == [
        "other.py",
        "vendored/bad.py",
    ]


def test_an_invalid_nested_configuration_holds_back_its_files_only(check: Check) -> None:
    result = check({"vendored/pyproject.toml": "[tool.seglint\n", "vendored/bad.py": BAD})
    assert result.returncode == 2
    assert [line.split(":")[0] for line in result.stdout.splitlines() if ": SEG" in line] == ["other.py"]
    (line,) = lines_of(result, "vendored/pyproject.toml")
    assert line == (
        "vendored/pyproject.toml: error: invalid configuration: invalid TOML: Expected ']' at the end of "
        "a table declaration (at line 1, column 14) (1 Python file below it not checked)"
    )


def test_files_deleted_or_made_unreadable_during_the_run() -> None:
    with shared_tree() as tree:
        write(tree, {"other.py": BAD, "gone.py": BAD, "locked.py": BAD, "locked_dir/m.py": BAD})
        hand_over(tree)

        def change() -> None:  # after discovery, before reading
            (tree / "gone.py").unlink()
            (tree / "locked.py").chmod(0)

        result = run_unprivileged(["--no-cache", "."], cwd=tree, during=change)
        assert_reported(result, "gone.py: error: could not read: No such file or directory")
        assert_reported(result, "locked.py: error: could not read: Permission denied")

        (tree / "locked_dir").chmod(0)
        walked = run_unprivileged(["--no-cache", "."], cwd=tree)
        assert (
            walked.stderr == "seglint: warning: skipped locked_dir/: could not list it: Permission denied\n"
        )
        named = run_unprivileged(["--no-cache", "locked_dir", "other.py"], cwd=tree)
        assert_reported(named, "locked_dir: error: could not read: Permission denied")


def test_the_unprivileged_child_is_really_unprivileged() -> None:
    """The permission cases above prove something only if the child cannot read a mode-000 file."""
    with shared_tree() as tree:
        write(tree, {"secret.py": BAD})
        hand_over(tree)
        (tree / "secret.py").chmod(0)
        result = run_unprivileged(["--no-cache", "secret.py"], cwd=tree)
        assert (result.returncode, result.stdout.splitlines()[0]) == (
            2,
            "secret.py: error: could not read: Permission denied",
        )
        if os.geteuid() == 0:
            assert (tree / "secret.py").read_bytes() == BAD.encode()  # root, here, still can
    assert sys.platform != "win32"
