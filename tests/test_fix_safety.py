"""seglint never runs the code it checks, and ``--fix`` never loses a byte: it writes only the files it
checks, never through a link out of the project, refuses read-only files, and a fixer killed while
writing leaves the old file or the new one (a real process, really killed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from seglint.fixer import write_source
from tests.test_cli import BAD, REDUNDANT, REDUNDANT_FIXED, REPO, seglint, write
from tests.unprivileged import hand_over, run_unprivileged, shared_tree

# Each leaves a ``.ran`` file next to itself when imported or run.
SIDE_EFFECT = "import pathlib\npathlib.Path(__file__).with_suffix('.ran').touch()\n"


def snapshot(directory: Path) -> dict[str, tuple[bool, bytes]]:
    """Every entry below ``directory``: whether it is a link, and its bytes (a link's target text)."""
    state: dict[str, tuple[bool, bytes]] = {}
    for path in sorted(directory.rglob("*")):
        if path.is_symlink():
            state[str(path.relative_to(directory))] = (True, os.readlink(path).encode())
        elif path.is_file():
            state[str(path.relative_to(directory))] = (False, path.read_bytes())
    return state


def test_seglint_never_imports_or_runs_the_code_it_checks(tmp_path: Path) -> None:
    shadows = ["argparse", "ast", "json", "libcst", "tokenize", "tempfile", "difflib", "sitecustomize"]
    files: dict[str, str | bytes] = {f"{name}.py": SIDE_EFFECT for name in shadows}
    files.update(
        {
            "setup.py": SIDE_EFFECT,  # a project marker: looked at, never run
            "conftest.py": SIDE_EFFECT,
            "pkg/__init__.py": SIDE_EFFECT,
            "pkg/models.py": SIDE_EFFECT
            + "import torch\n\ndef predict(x):\n    return torch.softmax(x, 1)\n",
            "train.py": SIDE_EFFECT
            + "import torch.nn.functional as F\nfrom pkg.models import predict\n\n"
            + "loss = F.cross_entropy(predict(x), y)\nredundant = F.cross_entropy(F.log_softmax(x, dim=1), y)\n",
        }
    )
    write(tmp_path, files)
    found = seglint("--no-cache", ".", cwd=tmp_path)  # python -m seglint: the cwd comes first on sys.path
    assert found.returncode == 1, found.stderr
    assert "train.py:6:8: SEG001 " in found.stdout  # through pkg/models.py, read but never imported
    assert seglint("--fix", ".", cwd=tmp_path).returncode == 1
    assert "F.cross_entropy(x, y)" in (tmp_path / "train.py").read_text()
    assert seglint("-", "--stdin-filename", "train.py", cwd=tmp_path, stdin=BAD.encode()).returncode == 1
    assert sorted(path.name for path in tmp_path.rglob("*.ran")) == []


def test_fix_writes_only_the_files_it_checks_and_never_through_a_link_out_of_the_project(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        {
            "outside/target.py": REDUNDANT,
            "project/pyproject.toml": "[tool.seglint]\n",
            "project/inside.py": REDUNDANT,
            "project/sub/real.py": REDUNDANT,
            "project/notes.txt": REDUNDANT,
        },
    )
    project = tmp_path / "project"
    (project / "link_in.py").symlink_to("sub/real.py")
    (project / "link_out.py").symlink_to("../outside/target.py")
    before = snapshot(tmp_path)

    result = seglint("--fix", ".", cwd=project)
    assert result.returncode == 2
    outside = (tmp_path / "outside" / "target.py").resolve()
    assert result.stdout.splitlines()[0] == (
        f"link_out.py: error: could not write the fix: it is a symbolic link to {outside}, outside the "
        f"project ({project.resolve()}); fix that file itself"
    )
    after = snapshot(tmp_path)
    changed = {name for name in before if before[name] != after.get(name)}
    assert changed == {"project/inside.py", "project/sub/real.py"}
    assert set(after) == set(before)  # nothing new: no temporary file left, links still links
    assert (project / "inside.py").read_text() == (project / "sub" / "real.py").read_text() == REDUNDANT_FIXED


def test_fix_reports_a_read_only_file_or_directory_instead_of_failing() -> None:
    with shared_tree() as tree:
        write(tree, {"read_only.py": REDUNDANT, "locked/m.py": REDUNDANT, "writable.py": REDUNDANT})
        hand_over(tree)
        (tree / "read_only.py").chmod(0o444)
        (tree / "locked").chmod(0o555)
        result = run_unprivileged(["--no-cache", "--fix", "."], cwd=tree)
        assert result.returncode == 2, result.stderr
        assert result.stdout.splitlines()[:2] == [
            "locked/m.py: error: could not write the fix: Permission denied",
            "read_only.py: error: could not write the fix: Permission denied",
        ]
        assert (tree / "read_only.py").read_text() == (tree / "locked" / "m.py").read_text() == REDUNDANT
        assert (tree / "writable.py").read_text() == REDUNDANT_FIXED
        assert sorted(p.name for p in tree.rglob("*") if p.is_file()) == [
            "m.py",
            "read_only.py",
            "writable.py",
        ]


# A real fixer, made to stop halfway through writing the new file; the test kills it there.
HALFWAY = textwrap.dedent(
    """
    import os, sys, time
    from seglint import fixer
    from seglint.sources import read_source

    real_fdopen = os.fdopen

    class Halfway:
        def __init__(self, fd):
            self.fd = fd
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return False
        def write(self, data):
            os.write(self.fd, data[: len(data) // 2])
            print("halfway", flush=True)
            time.sleep(120)

    os.fdopen = lambda fd, mode="r", *a, **k: Halfway(fd) if "w" in mode else real_fdopen(fd, mode, *a, **k)
    source = read_source(sys.argv[1])
    fixer.write_source(sys.argv[1], source.text.replace("F.log_softmax(x, dim=1)", "x"), source.encoding)
    """
)


def test_a_fixer_killed_in_the_middle_of_writing_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "m.py"
    old = (REDUNDANT * 2000).encode()
    target.write_bytes(old)
    child = subprocess.Popen(
        [sys.executable, "-c", HALFWAY, str(target)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "halfway\n"
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    assert target.read_bytes() == old
    (leftover,) = [p for p in tmp_path.iterdir() if p != target]  # the half-written new file, beside it
    assert leftover.name.startswith(".m.py.") and leftover.name.endswith(".seglint-tmp")
    assert 0 < leftover.stat().st_size < len(old)


def test_seglint_fix_killed_while_it_writes_leaves_the_old_or_the_new_file(tmp_path: Path) -> None:
    target = tmp_path / "m.py"
    old = REDUNDANT * 100
    target.write_text(old)
    command = [sys.executable, "-m", "seglint", "--no-cache", "--fix", "m.py"]
    child = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(REPO)}
    )
    try:  # kill it the moment its temporary file appears, if it does before the run ends
        while child.poll() is None and not any(p.name.endswith(".seglint-tmp") for p in tmp_path.iterdir()):
            time.sleep(0.0005)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=60)
    assert target.read_text() in (old, REDUNDANT_FIXED * 100)


def test_a_file_changed_since_it_was_read_is_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "m.py"
    target.write_text("edited meanwhile\n")
    with pytest.raises(OSError, match="the file changed while it was being fixed; run seglint again"):
        write_source(str(target), REDUNDANT_FIXED, "utf-8", original=REDUNDANT)
    assert target.read_text() == "edited meanwhile\n"
    assert list(tmp_path.iterdir()) == [target]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can fix a file another user owns")
def test_a_fixed_file_keeps_its_owner(tmp_path: Path) -> None:
    target = tmp_path / "m.py"
    target.write_text(REDUNDANT)
    os.chown(target, 65534, 65534)
    write_source(str(target), REDUNDANT_FIXED, "utf-8", original=REDUNDANT)
    assert (target.read_text(), target.stat().st_uid, target.stat().st_gid) == (REDUNDANT_FIXED, 65534, 65534)
