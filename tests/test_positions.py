"""Syntax errors carry the position and the message of the Python running seglint, in every output
format; where libcst and Python disagree, the message says which parser rejects the code."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import libcst
import pytest

import seglint.parse
from seglint.cli import main
from tests.test_cli import write

LOSS = "import torch.nn.functional as F\n"
MAGIC = LOSS + "%matplotlib inline\nloss = F.cross_entropy(x, y)\n"  # a notebook's line magic, line 2
UNCLOSED = LOSS + "x = 1\ny = 2\nz = F.cross_entropy(\n\na = 3\nb = 4\n"  # '(' opened on line 4


def python_says(source: str) -> tuple[int, int, str]:
    try:
        compile(source, "m.py", "exec")
    except SyntaxError as error:
        return error.lineno or 0, error.offset or 0, error.msg
    raise AssertionError("compiles")


Run = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """``seglint --no-cache ARGS`` in-process, in ``tmp_path``."""
    monkeypatch.chdir(tmp_path)

    def seglint(*args: str) -> subprocess.CompletedProcess[str]:
        status = main(["--no-cache", *args])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, status, out, err)

    return seglint


@pytest.mark.parametrize(("name", "source"), [("magic.py", MAGIC), ("unclosed.py", UNCLOSED)])
def test_every_format_carries_pythons_position_and_message(
    tmp_path: Path, run: Run, name: str, source: str
) -> None:
    write(tmp_path, {name: source})
    line, column, message = python_says(source)
    reason = f"syntax error: {message}"
    expected = f"{name}:{line}:{column}: error: {reason}"

    text = run(name)
    assert (text.returncode, text.stdout.splitlines()[0]) == (2, expected)

    as_json = run("--format", "json", name)  # findings on stdout; files that could not be checked on stderr
    assert (as_json.returncode, json.loads(as_json.stdout), as_json.stderr.splitlines()) == (
        2,
        [],
        [expected],
    )

    sarif = run("--format", "sarif", name)
    (notification,) = json.loads(sarif.stdout)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert notification["message"]["text"] == f"{name}: {reason}"
    assert notification["locations"][0]["physicalLocation"]["region"] == {
        "startLine": line,
        "startColumn": column,
    }

    github = run("--format", "github", name)
    assert github.stdout == f"::error file={name},line={line},col={column},title=seglint::{reason}\n"


def test_the_reported_examples_are_where_python_puts_them() -> None:
    assert python_says(MAGIC)[:2] == (2, 1)
    assert python_says(UNCLOSED)[:2] == (4, 20)


# Syntax of a newer Python that libcst already parses, by the Python that first accepted it.
NEWER_SYNTAX = {
    (3, 12): "type Pair = tuple[int, int]\n",
    (3, 14): "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n",
}


def test_code_only_a_newer_python_accepts_says_so(tmp_path: Path, run: Run) -> None:
    newer = [code for version, code in sorted(NEWER_SYNTAX.items()) if sys.version_info < version]
    if not newer:
        pytest.skip(f"no syntax newer than Python {sys.version_info[:2]} is known to this test")
    source = LOSS + newer[0] + "loss = F.cross_entropy(x, y)\n"
    libcst.parse_module(source)  # the premise: libcst accepts it
    write(tmp_path, {"newer.py": source})
    line, column, message = python_says(source)
    version = f"Python {sys.version_info.major}.{sys.version_info.minor}"
    result = run("newer.py")
    assert result.returncode == 2
    assert result.stdout.splitlines()[0] == (
        f"newer.py:{line}:{column}: error: syntax error: {message} ({version} rejects this and libcst "
        f"{seglint.parse._libcst_version()} accepts it: if it is syntax of a newer Python, run seglint "
        "with that Python)"
    )


def test_code_both_parsers_reject_gets_pythons_message_alone(tmp_path: Path, run: Run) -> None:
    write(tmp_path, {"magic.py": MAGIC})
    assert run("magic.py").stdout.splitlines()[0].endswith(f"syntax error: {python_says(MAGIC)[2]}")


def test_code_python_accepts_and_libcst_rejects_says_so(
    tmp_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = LOSS + "(x): int = 1\nloss = F.cross_entropy(F.softmax(x, dim=1), y)\n"  # valid since 3.8
    compile(source, "m.py", "exec")
    write(tmp_path, {"paren.py": source})
    try:
        libcst.parse_module(source)
    except libcst.ParserSyntaxError:
        pass
    else:  # a libcst that has learnt it: make it fail here, as it did when this test was written
        real = libcst.parse_module

        def refuse(text: str, *args: object, **kwargs: object) -> libcst.Module:
            if "(x): int" in text:
                raise libcst.ParserSyntaxError(
                    "error at 2:5: expected NEWLINE", lines=[], raw_line=2, raw_column=4
                )
            return real(text, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(seglint.parse.cst, "parse_module", refuse)
    result = run("paren.py")
    assert result.returncode == 2
    (entry,) = result.stdout.splitlines()[:1]
    version = f"Python {sys.version_info.major}.{sys.version_info.minor}"
    assert entry.startswith(
        f"paren.py:2:5: error: syntax error: libcst {seglint.parse._libcst_version()} cannot parse this, "
        f"though {version} accepts it (syntax newer than libcst supports?): expected "
    )
