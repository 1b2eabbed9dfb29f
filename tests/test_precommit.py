"""The real ``pre-commit`` tool, using this repository as a hook source: ``seglint`` fails on the bug
and passes on correct code (and honours the project's excludes for files it passes by name);
``seglint-fix`` fixes what has a safe fix.

The hook source is a throw-away git repository holding a copy of this checkout's files (tracked and
untracked-but-not-ignored) in one commit, tagged ``v`` + ``seglint.__version__`` as the README's
``rev:`` names it (a CI clone may lack the repository's own tags), so the test exercises the working
tree, committed or not. Both hooks share one environment (one repository, one ``rev``).
pre-commit builds the hook's environment with pip (libcst comes from the package index); the
environments are cached under pytest's temporary directory for the session. Without a package index
that pip can reach, the tests are skipped, saying so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from seglint import __version__
from tests.notebooks import notebook

REPO = Path(__file__).resolve().parents[1]

BAD = "import torch.nn.functional as F\n\nloss = F.cross_entropy(F.softmax(x, dim=1), y)\n"
GOOD = "import torch.nn.functional as F\n\nloss = F.cross_entropy(x, y)\n"
REDUNDANT = "import torch.nn.functional as F\n\nloss = F.cross_entropy(F.log_softmax(x, dim=1), y)\n"
TAG = f"v{__version__}"
# A notebook whose bug spans two cells (the probabilities are made in cell 2, the loss is in cell 4).
NOTEBOOK_BAD = notebook(
    ("markdown", "# Train"),
    ("code", "%matplotlib inline\nimport torch.nn.functional as F\nprobs = F.softmax(x, dim=1)"),
    ("markdown", "## Loss"),
    ("code", "loss = F.cross_entropy(probs, y)"),
)
NOTEBOOK_REDUNDANT = notebook(("code", REDUNDANT))

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "seglint tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "seglint tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **_GIT_ENV}, check=True
    )
    return result.stdout


def _repository_files() -> list[str]:
    """This checkout's files as git sees them: tracked, plus untracked ones that are not ignored."""
    listing = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO)
    return sorted(name for name in set(listing.split("\0")) if name and (REPO / name).is_file())


@pytest.fixture(scope="session")
def hook_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository with this checkout's files committed; returns (path, commit)."""
    source = tmp_path_factory.mktemp("hook-source")
    for name in _repository_files():
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    assert (source / ".pre-commit-hooks.yaml").is_file()
    git("init", "-q", "-b", "main", cwd=source)
    git("add", "-A", cwd=source)
    git("commit", "-q", "--no-verify", "-m", "seglint under test", cwd=source)
    git("tag", TAG, cwd=source)
    return source, TAG


def libcst_is_on_a_package_index() -> bool:
    """Whether pip, configured as it is here, finds libcst (the hook's environment installs it)."""
    try:
        found = subprocess.run(
            [sys.executable, "-m", "pip", "index", "versions", "libcst"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
            env={**os.environ, "PIP_RETRIES": "0", "PIP_TIMEOUT": "10"},
        )
    except subprocess.TimeoutExpired:
        return False
    return found.returncode == 0 and found.stdout.startswith("libcst (")


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not libcst_is_on_a_package_index():
        pytest.skip(
            "no package index: pip cannot find libcst, which pre-commit installs into the hook's environment"
        )
    return tmp_path_factory.mktemp("pre-commit-home")


def pre_commit(project: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **_GIT_ENV, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    env.pop("PYTHONPATH", None)  # the hook must run from its own environment, not this checkout
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args, "--color", "never"],
        cwd=project,
        capture_output=True,
        check=False,
        text=True,
        env=env,
        timeout=600,
    )


def make_project(
    directory: Path, source: tuple[Path, str], files: dict[str, str], hook: str = "seglint"
) -> Path:
    path, rev = source
    directory.mkdir()
    (directory / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {path.as_uri()}\n    rev: {rev}\n    hooks:\n      - id: {hook}\n"
    )
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text)
    git("init", "-q", "-b", "main", cwd=directory)
    git("add", "-A", cwd=directory)
    return directory


def test_pre_commit_fails_on_the_bug_and_passes_on_correct_code(
    tmp_path: Path, hook_source: tuple[Path, str], pre_commit_home: Path
) -> None:
    bad = make_project(tmp_path / "bad", hook_source, {"train.py": BAD, "model.py": GOOD})
    result = pre_commit(bad, pre_commit_home, "run", "--all-files")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "seglint" in result.stdout and "Failed" in result.stdout
    assert "train.py:3:8: SEG001 " in result.stdout
    assert "model.py" not in result.stdout

    good = make_project(tmp_path / "good", hook_source, {"train.py": GOOD, "model.py": GOOD})
    result = pre_commit(good, pre_commit_home, "run", "--all-files")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "seglint" in result.stdout and "Passed" in result.stdout


def test_pre_commit_checks_notebooks(
    tmp_path: Path, hook_source: tuple[Path, str], pre_commit_home: Path
) -> None:
    files = {"train.ipynb": NOTEBOOK_BAD, "eda.ipynb": notebook(("code", GOOD)), "model.py": GOOD}
    project = make_project(tmp_path / "notebooks", hook_source, files)
    result = pre_commit(project, pre_commit_home, "run", "--all-files")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "train.ipynb:cell 4:1:8: SEG001 " in result.stdout
    assert "(cell 2, line 3)" in result.stdout
    assert "eda.ipynb" not in result.stdout and "model.py" not in result.stdout


def test_the_fix_hook_fixes_a_notebook_in_its_cell(
    tmp_path: Path, hook_source: tuple[Path, str], pre_commit_home: Path
) -> None:
    project = make_project(
        tmp_path / "fix-notebook", hook_source, {"eda.ipynb": NOTEBOOK_REDUNDANT}, "seglint-fix"
    )
    result = pre_commit(project, pre_commit_home, "run", "--all-files")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "files were modified by this hook" in result.stdout
    fixed = NOTEBOOK_REDUNDANT.replace("F.log_softmax(x, dim=1)", "x")
    assert fixed != NOTEBOOK_REDUNDANT and (project / "eda.ipynb").read_text() == fixed


def test_pre_commit_honours_the_projects_excludes(
    tmp_path: Path, hook_source: tuple[Path, str], pre_commit_home: Path
) -> None:
    files = {
        "pyproject.toml": '[tool.seglint]\nextend-exclude = ["legacy"]\n',
        "legacy/old.py": BAD,
        "train.py": GOOD,
    }
    project = make_project(tmp_path / "excludes", hook_source, files)
    result = pre_commit(project, pre_commit_home, "run", "--all-files")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_the_fix_hook_applies_the_safe_fix_and_then_passes(
    tmp_path: Path, hook_source: tuple[Path, str], pre_commit_home: Path
) -> None:
    files = {"train.py": REDUNDANT, "bad.py": BAD}
    project = make_project(tmp_path / "fix", hook_source, files, hook="seglint-fix")
    result = pre_commit(project, pre_commit_home, "run", "--all-files")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "seglint (fix)" in result.stdout and "files were modified by this hook" in result.stdout
    assert (project / "train.py").read_text() == GOOD
    assert (project / "bad.py").read_text() == BAD  # SEG001's fix is unsafe: not applied, still reported
    assert "bad.py:3:8: SEG001 " in result.stdout
    (project / "bad.py").write_text(GOOD)
    git("add", "-A", cwd=project)
    result = pre_commit(project, pre_commit_home, "run", "--all-files")
    assert result.returncode == 0, result.stdout + result.stderr
