"""The README runs: every fenced code block is classified in ``BLOCKS``, by its language and first line.

- ``Compare``: run, and its output compared (a command shown in or next to the block);
- ``Run``: run, checking it succeeds (or exits as stated);
- ``Parse``: YAML and TOML examples, parsed, with their seglint invocations and tables checked;
- ``ComparedBy``: compared by another test, which the row names (it must exist and quote the block);
- ``NotRun``: left out, with the reason.

A block in no class fails ``test_every_block_is_classified`` with its line and first line: add a row.
Python samples run in a temporary directory outside the checkout, as a reader pasting them would.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from seglint import __version__

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"


@dataclass(frozen=True)
class Block:
    line: int  # of the first line inside the fence
    language: str
    text: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.language, next((line for line in self.text.splitlines() if line.strip()), ""))


@dataclass(frozen=True)
class NotRun:
    reason: str


@dataclass(frozen=True)
class Run:
    """``how``: the name of a runner below."""

    how: str


@dataclass(frozen=True)
class ComparedBy:
    """``test``: ``tests/FILE.py::test_name``, a test that compares this block's output already (in
    process, where a subprocess would cost seconds of torch's import)."""

    test: str


Compare = Run  # a runner that compares output: the distinction is the runner's, named for the table
Parse = Run


def readme_blocks() -> list[Block]:
    blocks, lines, i = [], README.read_text().splitlines(), 0
    while i < len(lines):
        fence = re.match(r"^```(\w*)\s*$", lines[i])
        if fence:
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
            blocks.append(Block(i + 2, fence.group(1), "\n".join(lines[i + 1 : end]) + "\n"))
            i = end
        i += 1
    return blocks


SETUP = "the set-up commands: .ci/run runs them verbatim on a fresh machine"
BLOCKS: dict[tuple[str, str], NotRun | Run | ComparedBy] = {
    # Quick start
    ("bash", "git clone https://github.com/seglint/seglint"): NotRun(
        "getting the code: CI starts from a clone"
    ),
    ("bash", "pip install torch==2.13.0"): NotRun(SETUP),
    ("bash", "seglint examples/"): Run("examples_exit_1"),
    ("bash", "pytest"): NotRun("pytest itself: CI runs it, and this test is part of it"),
    # Rules, command line, output
    (
        "text",
        "train.py:19:16: SEG001 `nn.CrossEntropyLoss` expects logits but receives probabilities from `self.model`, which returns the output of `softmax` (segpkg/nets.py:13)",
    ): NotRun("a message from a project of two modules (tests/fixtures/projects/ has such projects)"),
    (
        "text",
        "seglint [check] [PATH ...]      check files and directories (default: .); `check` is optional, as in ruff",
    ): NotRun("a synopsis; tests/test_report_formats.py runs each form"),
    (
        "text",
        "SEG004 [*] `F.cross_entropy` applies `log_softmax` itself; the `log_softmax` (line 2) before it is redundant",
    ): Compare("full_output"),
    ("python", "# %% [markdown]"): Compare("notebook_finding"),
    ("text", "$ seglint train.ipynb"): NotRun(
        "the output of the notebook above: notebook_finding compares it"
    ),
    ("yaml", "# .github/workflows/seglint.yml"): Parse("ci_yaml"),
    ("yaml", "# .gitlab-ci.yml"): Parse("ci_yaml"),
    # Configuration
    ("toml", "[tool.seglint]"): Parse("seglint_toml"),
    (
        "text",
        "seglint: error: pyproject.toml: [tool.seglint] select: unknown rule code 'SEG01'; valid: SEG, SEG0, SEG00, SEG001, SEG002, SEG003, SEG004, SEG005",
    ): Compare("config_error"),
    ("python", "loss = F.cross_entropy(F.softmax(x, dim=1), y)  # noqa: SEG001"): Compare("suppressions"),
    ("yaml", "repos:"): Parse("pre_commit_yaml"),
    ("bash", "flake8 --select SEG examples/"): Run("flake8_examples"),
    ("toml", "[tool.ruff.lint]"): Parse("toml_only"),
    # Property suite
    ("python", "import torch"): Run("strategies_sample"),
    ("bash", 'pytest properties --ce-impl=mypkg.losses:cross_entropy -m "not reference"'): NotRun(
        "needs the reader's own package (mypkg)"
    ),
    ("bash", "pytest --hypothesis-profile thorough --hypothesis-seed 1234"): NotRun(
        "the thorough profile takes minutes"
    ),
    (
        "bash",
        'pytest -p seglint.pytest_plugin properties --ce-impl mypkg.losses:cross_entropy -m "not reference"',
    ): NotRun("needs the reader's own package (mypkg)"),
    ("python", "# tests/test_my_cross_entropy.py"): NotRun("imports the reader's own package (mypkg)"),
    ("python", "# mylosses.py"): NotRun("needs timm (tests/test_third_party.py, opt-in)"),
    (
        "bash",
        'pytest -p seglint.pytest_plugin properties --ce-impl mylosses:TIMM_LABEL_SMOOTHING -m "not reference"',
    ): NotRun("needs timm (tests/test_third_party.py, opt-in)"),
    (
        "bash",
        "bash tools/third_party_env.sh full /tmp/venv-full    # installs the 5.6 GB of wheels named above",
    ): NotRun("builds a 5.6 GB environment"),
    # Runtime guard
    ("python", "from seglint.guard import watch"): NotRun("a fragment: train_one_epoch is the reader's"),
    (
        "bash",
        "python -m seglint.guard train.py --epochs 10            # a script you won't edit (Hydra, Lightning CLI)",
    ): NotRun("the reader's script; tests/test_guard_entry_points.py runs each form"),
    ("text", "$ python -m seglint.guard examples/one_hot_as_prediction.py"): ComparedBy(
        "tests/test_guard_entry_points.py::test_the_readme_shows_what_the_guard_prints_on_the_one_hot_example"
    ),
    ("python", "# train.py"): ComparedBy(
        "tests/test_guard_entry_points.py::test_the_readme_model_from_a_config_prints_what_it_shows"
    ),
    ("text", "$ python train.py"): ComparedBy(
        "tests/test_guard_entry_points.py::test_the_readme_model_from_a_config_prints_what_it_shows"
    ),
    # Development
    ("bash", "pip install -e '.[test,mutation]'"): NotRun("mutation testing takes hours"),
}


def test_every_block_is_classified() -> None:
    missing = [block for block in readme_blocks() if block.key not in BLOCKS]
    assert not missing, "\n".join(
        f"README.md:{b.line}: the ```{b.language} block starting {b.key[1]!r} is in no class; "
        "add it to BLOCKS in tests/test_readme.py (Compare, Run, Parse or NotRun with a reason)"
        for b in missing
    )
    stale = set(BLOCKS) - {block.key for block in readme_blocks()}
    assert not stale, f"rows for blocks the README no longer has: {sorted(stale)}"


def test_blocks_compared_elsewhere_are_compared_there() -> None:
    import ast

    for block in readme_blocks():
        row = BLOCKS.get(block.key)
        if not isinstance(row, ComparedBy):
            continue
        file, name = row.test.split("::")
        tree = ast.parse((REPO / file).read_text())
        (test,) = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == name]
        quoted = {n.value for n in ast.walk(test) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        first = block.key[1]
        assert any(first in text for text in quoted), f"{row.test} does not quote {first!r}"


def test_the_set_up_blocks_are_what_ci_runs() -> None:
    """The blocks left out as set-up are run by .ci/run, line for line."""
    ci = {line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()}
    set_up = [block for block in readme_blocks() if BLOCKS.get(block.key) == NotRun(SETUP)]
    assert set_up
    for block in set_up:
        for line in block.text.splitlines():
            command = line.split("#")[0].strip()
            assert not command or command in ci, f"README.md:{block.line}: .ci/run does not run {command!r}"


def seglint(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "seglint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        check=False,
        timeout=300,
    )


# --- runners ----------------------------------------------------------------------------------------


def examples_exit_1(block: Block, tmp_path: Path) -> None:
    result = seglint("--cache-dir", str(tmp_path / "cache"), *shlex.split(block.text)[1:], cwd=REPO)
    assert result.returncode == 1, result.stdout + result.stderr


def flake8_examples(block: Block, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *shlex.split(block.text)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and "SEG002" in result.stdout, result.stdout + result.stderr


def full_output(block: Block, tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "import torch.nn.functional as F\nloss = F.cross_entropy(F.log_softmax(x, dim=1), y)\n"
    )
    result = seglint("--no-cache", "--output-format", "full", "m.py", cwd=tmp_path)
    assert result.stdout == block.text


def percent_format_cells(text: str) -> list[tuple[str, str]]:
    """The cells of a notebook written in the percent format (``# %%`` starts a code cell, ``# %%
    [markdown]`` a markdown cell whose lines are comments)."""
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("# %%"):
            cells.append(("markdown" if "[markdown]" in line else "code", []))
        else:
            cells[-1][1].append(line)
    found = []
    for kind, lines in cells:
        source = "".join(lines).rstrip("\n")
        if kind == "markdown":
            source = "\n".join(line.removeprefix("# ") for line in source.splitlines())
        found.append((kind, source))
    return found


def notebook_finding(block: Block, tmp_path: Path) -> None:
    from tests.notebooks import notebook

    blocks = readme_blocks()
    output = blocks[blocks.index(block) + 1]
    command, *expected = output.text.splitlines()
    assert command == "$ seglint train.ipynb"
    (tmp_path / "train.ipynb").write_text(notebook(*percent_format_cells(block.text)))
    result = seglint("--no-cache", "train.ipynb", cwd=tmp_path)
    assert (result.returncode, result.stdout.splitlines()) == (1, expected), result.stderr


def config_error(block: Block, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.seglint]\nselect = ["SEG01"]\n')
    result = seglint("--no-cache", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (2, block.text)


def suppressions(block: Block, tmp_path: Path) -> None:
    header = "import torch.nn.functional as F\n"
    (tmp_path / "m.py").write_text(header + block.text)
    assert seglint("--no-cache", "m.py", cwd=tmp_path).returncode == 0
    bare = "".join(line.split("  #")[0] + "\n" for line in block.text.splitlines())
    (tmp_path / "m.py").write_text(header + bare)
    assert seglint("--no-cache", "m.py", cwd=tmp_path).stdout.count(": SEG001 ") == 3  # the comments did it


def _seglint_invocations(document: object) -> list[str]:
    found: list[str] = []
    if isinstance(document, dict):
        for value in document.values():
            found += _seglint_invocations(value)
    elif isinstance(document, list):
        for value in document:
            found += _seglint_invocations(value)
    elif isinstance(document, str) and document.startswith("seglint "):
        found.append(document)
    return found


def ci_yaml(block: Block, tmp_path: Path) -> None:
    """A GitHub workflow (annotations, and a SARIF file that the upload step names) or a GitLab job
    (a Code Quality report that the job's artifacts name)."""
    from seglint.cli import _check_parser

    document = yaml.safe_load(block.text)
    invocations = _seglint_invocations(document)
    assert invocations
    reports = {}
    for command in invocations:
        args = shlex.split(command)[1:]
        options = _check_parser().parse_args(args[1:] if args[:1] == ["check"] else args)
        reports[options.format] = options.output_file
    if "jobs" in document:  # GitHub Actions
        (job,) = document["jobs"].values()
        uploads = [step for step in job["steps"] if "upload-sarif" in step.get("uses", "")]
        assert reports.keys() == {"github", "sarif"} and reports["github"] is None
        assert [step["with"]["sarif_file"] for step in uploads] == [reports["sarif"]]
    else:  # GitLab CI
        (job,) = document.values()
        assert reports.keys() == {"gitlab"}
        assert job["artifacts"]["reports"]["codequality"] == reports["gitlab"]


def pre_commit_yaml(block: Block, tmp_path: Path) -> None:
    (repo,) = yaml.safe_load(block.text)["repos"]
    assert repo["rev"] == f"v{__version__}"  # the tag of this version
    hooks = {hook["id"] for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert {hook["id"] for hook in repo["hooks"]} <= hooks
    assert "seglint-fix" in block.text and "seglint-fix" in hooks


def seglint_toml(block: Block, tmp_path: Path) -> None:
    from seglint.config import parse_table
    from seglint.rules import ALL_RULES

    table = tomllib.loads(block.text)["tool"]["seglint"]
    parse_table(table, file="README.md", root=tmp_path, codes=[r.code for r in ALL_RULES])


def toml_only(block: Block, tmp_path: Path) -> None:
    tomllib.loads(block.text)


def strategies_sample(block: Block, tmp_path: Path) -> None:
    # Ten examples, not a hundred: what fails outside the checkout (a deadline that the first
    # examples, paying for torch's warm-up, exceed) fails at once; the mathematics is properties/'s.
    (tmp_path / "conftest.py").write_text(
        "from hypothesis import settings\n\n"
        'settings.register_profile("readme", max_examples=10)\nsettings.load_profile("readme")\n'
    )
    (tmp_path / "test_sample.py").write_text(block.text)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE", "PYTHONPATH")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_sample.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


RUNNERS = {name: function for name, function in globals().items() if callable(function)}


@pytest.mark.parametrize(
    "block",
    [b for b in readme_blocks() if isinstance(BLOCKS.get(b.key), Run)],
    ids=lambda b: f"line{b.line}",
)
def test_block(block: Block, tmp_path: Path) -> None:
    classification = BLOCKS[block.key]
    assert isinstance(classification, Run)
    RUNNERS[classification.how](block, tmp_path)
