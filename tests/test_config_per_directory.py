"""Configuration per directory, as in ruff (the closest configuration file at or above each file), and
the files people never want linted (``.gitignore``, ``.ignore``, ``.git/info/exclude``).

In-process ``seglint --no-cache`` runs over small trees; every case names which files were reported.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from seglint.cli import main

BAD = "import torch.nn.functional as F\nloss = F.cross_entropy(F.softmax(x, dim=1), y)\n"
REDUNDANT = "import torch.nn.functional as F\nloss = F.cross_entropy(F.log_softmax(x, dim=1), y)\n"
MONAI = "import torch\nfrom monai.losses import DiceCELoss\nloss = DiceCELoss()(torch.softmax(x, 1), y)\n"

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def tree(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """``tree(files, *args, cwd=".")``: write ``files`` under tmp_path, run seglint in ``cwd``."""

    def run(files: dict[str, str], *args: str, cwd: str = ".") -> subprocess.CompletedProcess[str]:
        for name, text in files.items():
            if name.endswith("/"):
                (tmp_path / name).mkdir(parents=True, exist_ok=True)
                continue
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(text)
        monkeypatch.chdir(tmp_path / cwd)
        status = main(["--no-cache", *args])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, status, out, err)

    return run


def reported(result: subprocess.CompletedProcess[str]) -> list[str]:
    """``path CODE`` of each finding, in output order."""
    return [
        f"{line.split(':', 1)[0]} {line.split(': ', 1)[1].split()[0]}"
        for line in result.stdout.splitlines()
        if ": SEG" in line
    ]


def test_a_subdirectory_named_from_its_parent_uses_its_own_pyproject(tree: Run) -> None:
    files = {
        "real/pyproject.toml": '[tool.seglint]\nextend-exclude = ["legacy"]\nignore = ["SEG004"]\n',
        "real/legacy/old.py": BAD,
        "real/train.py": BAD,
        "real/redundant.py": REDUNDANT,
        "top.py": REDUNDANT,
    }
    result = tree(files, "real/", "top.py")
    assert reported(result) == ["real/train.py SEG001", "top.py SEG004"]
    # The same from inside: the configuration does not depend on where the run starts.
    assert reported(tree({}, ".", cwd="real")) == ["train.py SEG001"]


def test_the_closest_configuration_wins_and_patterns_are_relative_to_it(tree: Run) -> None:
    files = {
        "pyproject.toml": '[tool.seglint]\nselect = ["SEG001"]\n[tool.seglint.per-file-ignores]\n"pkg/*" = ["SEG001"]\n',
        "pkg/a.py": BAD,
        "pkg/sub/.seglint.toml": '[per-file-ignores]\n"gen_*.py" = ["SEG"]\n',
        "pkg/sub/gen_x.py": BAD,
        "pkg/sub/b.py": REDUNDANT,  # the nested file does not inherit select: every rule runs there
        "c.py": REDUNDANT,
    }
    assert reported(tree(files)) == ["pkg/sub/b.py SEG004"]


def test_seglint_files_take_the_keys_at_top_level_in_their_order(tree: Run) -> None:
    files = {
        "d/pyproject.toml": '[tool.seglint]\nselect = ["SEG004"]\n',
        "d/seglint.toml": 'select = ["SEG002"]\n',
        "d/bad.py": BAD,
        "d/redundant.py": REDUNDANT,
    }
    assert reported(tree(files)) == []  # seglint.toml beats pyproject.toml
    (Path.cwd() / "d" / ".seglint.toml").write_text('select = ["SEG001"]\n')
    assert reported(tree({})) == ["d/bad.py SEG001"]  # .seglint.toml beats both


def test_a_pyproject_without_the_table_does_not_stop_the_search(tree: Run) -> None:
    files = {
        "pyproject.toml": '[tool.seglint]\nignore = ["SEG001"]\n',
        "pkg/pyproject.toml": "[project]\nname = 'pkg'\n",
        "pkg/bad.py": BAD,
    }
    assert tree(files).returncode == 0


def test_nested_catalogues_are_each_used_for_their_own_files(tree: Run) -> None:
    files = {
        "a/pyproject.toml": '[tool.seglint]\nlibraries = ["monai"]\n',
        "a/train.py": MONAI,
        "b/pyproject.toml": "[tool.seglint]\nlibraries = []\n",
        "b/train.py": MONAI,
        "c/pyproject.toml": "[tool.seglint]\n",  # every library by default
        "c/train.py": MONAI,
    }
    assert reported(tree(files)) == ["a/train.py SEG001", "c/train.py SEG001"]


def test_config_applies_one_file_to_everything(tree: Run) -> None:
    files = {
        "ci.toml": 'extend-exclude = ["vendored"]\n',
        "pkg/pyproject.toml": '[tool.seglint]\nselect = ["SEG004"]\n',
        "pkg/bad.py": BAD,
        "vendored/bad.py": BAD,
    }
    assert reported(tree(files)) == ["vendored/bad.py SEG001"]  # pkg/ selects only SEG004
    result = tree({}, "--config", "ci.toml")
    assert reported(result) == ["pkg/bad.py SEG001"]


def test_force_exclude_uses_the_configuration_of_each_named_file(tree: Run) -> None:
    files = {
        "pkg/pyproject.toml": '[tool.seglint]\nextend-exclude = ["gen"]\n',
        "pkg/gen/x.py": BAD,
        "gen/y.py": BAD,  # the root configuration (none) does not exclude it
    }
    result = tree(files, "--force-exclude", "pkg/gen/x.py", "gen/y.py")
    assert reported(result) == ["gen/y.py SEG001"]


def test_an_invalid_configuration_of_the_run_stops_it(tree: Run) -> None:
    result = tree({".seglint.toml": 'select = ["SEG01"]\n', "bad.py": BAD})
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("seglint: error: .seglint.toml: select: unknown rule code 'SEG01'")


# --- ignore files -----------------------------------------------------------------------------------


def test_gitignore_inside_a_repository(tree: Run) -> None:
    files = {
        ".git/": "",
        ".gitignore": "generated/\n*_pb2.py\n!keep_pb2.py\n",
        "generated/a.py": BAD,
        "m_pb2.py": BAD,
        "keep_pb2.py": BAD,
        "pkg/.gitignore": "local.py\n",
        "pkg/local.py": BAD,
        "pkg/sub/local.py": BAD,  # a pattern without a slash matches below its directory too
        "pkg/ok.py": BAD,
        "other/local.py": BAD,
        ".git/info/exclude": "scratch.py\n",
        "scratch.py": BAD,
    }
    assert reported(tree(files)) == ["keep_pb2.py SEG001", "other/local.py SEG001", "pkg/ok.py SEG001"]
    # Walking a subdirectory, the ignore files above it still count.
    assert reported(tree({}, "pkg")) == ["pkg/ok.py SEG001"]
    assert reported(tree({}, ".", cwd="pkg")) == ["ok.py SEG001"]
    # A file named on the command line is checked, as in ruff.
    assert reported(tree({}, "m_pb2.py")) == ["m_pb2.py SEG001"]


def test_a_deeper_ignore_file_can_re_include(tree: Run) -> None:
    files = {".git/": "", ".gitignore": "*.py\n", "pkg/.gitignore": "!*.py\n", "a.py": BAD, "pkg/b.py": BAD}
    assert reported(tree(files)) == ["pkg/b.py SEG001"]


def test_gitignore_outside_a_repository_means_nothing_but_dot_ignore_does(tree: Run) -> None:
    files = {".gitignore": "a.py\n", ".ignore": "b.py\n", "a.py": BAD, "b.py": BAD}
    assert reported(tree(files)) == ["a.py SEG001"]


def test_ignore_beats_gitignore_in_one_directory(tree: Run) -> None:
    files = {".git/": "", ".gitignore": "a.py\n", ".ignore": "!a.py\n", "a.py": BAD}
    assert reported(tree(files)) == ["a.py SEG001"]


def test_respect_gitignore_false(tree: Run) -> None:
    files = {
        ".git/": "",
        ".gitignore": "generated/\n",
        "generated/a.py": BAD,
        "pyproject.toml": "[tool.seglint]\nrespect-gitignore = false\n",
    }
    assert reported(tree(files)) == ["generated/a.py SEG001"]
    (Path.cwd() / "pyproject.toml").write_text("[tool.seglint]\nrespect-gitignore = 1\n")
    result = tree({})
    assert result.returncode == 2
    assert "respect-gitignore: expected a boolean, got 1 (an integer); valid: true, false" in result.stderr
