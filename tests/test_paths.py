"""What seglint opens: only regular files, and per path, so one bad path never hides the others.

A FIFO, a socket or a device is never opened (reading a FIFO with no writer blocks forever); named on
the command line, or reached through a symbolic link, it is an error for that path. Missing paths,
broken links and loops are errors when named, warnings when a directory walk meets them. Whatever
involves a FIFO or a device runs in a subprocess with a timeout (a regression there is a hang); the
rest runs in-process.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from seglint.cli import main
from tests.test_cli import BAD, GOOD, seglint, write

GOOD_FINDING = "good_bad.py:2:8: SEG001 "


def findings(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if ": SEG" in line]


Check = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def check(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Check:
    """``seglint ARGS`` run in this process, in ``cwd``."""

    def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        monkeypatch.chdir(cwd)
        status = main(["--no-cache", *args])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, status, out, err)

    return run


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A directory without a project marker: one file with a finding, one without."""
    write(tmp_path, {"good_bad.py": BAD, "clean.py": GOOD})
    return tmp_path


def test_a_missing_path_is_an_error_for_that_path_and_the_others_are_checked(
    tree: Path, check: Check
) -> None:
    result = check("good_bad.py", "missing.py", "clean.py", cwd=tree)
    assert result.returncode == 2
    assert result.stdout.splitlines()[:2] == [
        findings(result.stdout)[0],
        "missing.py: error: could not read: No such file or directory",
    ]
    assert findings(result.stdout)[0].startswith(GOOD_FINDING)
    assert "Found 1 error.\n1 file could not be checked.\n" in result.stdout


def test_a_fifo_found_in_a_directory_is_skipped_without_opening_it(tree: Path) -> None:
    os.mkfifo(tree / "pipe.py")
    result = seglint(".", cwd=tree)
    assert result.returncode == 1  # a warning, not an error: the walk met it, nobody asked for it
    assert findings(result.stdout)[0].startswith(GOOD_FINDING)
    assert (
        result.stderr == "seglint: warning: skipped pipe.py: it is a named pipe (FIFO), not a regular file\n"
    )


def test_a_named_fifo_socket_or_link_to_a_device_is_an_error_for_that_path(tree: Path) -> None:
    os.mkfifo(tree / "pipe.py")
    (tree / "zero.py").symlink_to("/dev/zero")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tree / "sock.py"))
        result = seglint("pipe.py", "zero.py", "sock.py", "/dev/null", "good_bad.py", cwd=tree)
    assert result.returncode == 2
    assert result.stdout.splitlines()[:5] == [
        "/dev/null: error: could not read: it is a character device, not a regular file",
        findings(result.stdout)[0],
        "pipe.py: error: could not read: it is a named pipe (FIFO), not a regular file",
        "sock.py: error: could not read: it is a socket, not a regular file",
        (
            "zero.py: error: could not read: it is a symbolic link to a character device (/dev/zero), "
            "not a regular file"
        ),
    ]
    assert findings(result.stdout)[0].startswith(GOOD_FINDING)


def test_a_link_to_a_device_found_in_a_directory_is_an_error(tree: Path) -> None:
    (tree / "zero.py").symlink_to("/dev/zero")
    result = seglint(".", cwd=tree)
    assert result.returncode == 2
    assert "zero.py: error: could not read: it is a symbolic link to a character device" in result.stdout
    assert findings(result.stdout)[0].startswith(GOOD_FINDING)


def test_broken_links_and_link_loops(tree: Path, check: Check) -> None:
    (tree / "broken.py").symlink_to("nowhere.py")
    (tree / "loop_a.py").symlink_to("loop_b.py")
    (tree / "loop_b.py").symlink_to("loop_a.py")
    walked = check(".", cwd=tree)
    assert walked.returncode == 1
    assert findings(walked.stdout)[0].startswith(GOOD_FINDING)
    assert walked.stderr.splitlines() == [
        (
            "seglint: warning: skipped broken.py: could not read: No such file or directory "
            "(a broken symbolic link to nowhere.py)"
        ),
        "seglint: warning: skipped loop_a.py: could not read: Too many levels of symbolic links",
        "seglint: warning: skipped loop_b.py: could not read: Too many levels of symbolic links",
    ]
    named = check("broken.py", "loop_a.py", "good_bad.py", cwd=tree)
    assert named.returncode == 2
    assert named.stdout.splitlines()[:3] == [
        "broken.py: error: could not read: No such file or directory (a broken symbolic link to nowhere.py)",
        findings(named.stdout)[0],
        "loop_a.py: error: could not read: Too many levels of symbolic links",
    ]


def test_a_directory_named_like_a_module_is_walked_not_read(tree: Path, check: Check) -> None:
    write(tree, {"pkg.py/inner.py": BAD})
    for args in ((".",), ("pkg.py", "good_bad.py")):
        result = check(*args, cwd=tree)
        assert result.returncode == 1, result.stdout
        assert [line.split(":")[0] for line in findings(result.stdout)] == ["good_bad.py", "pkg.py/inner.py"]
        assert result.stderr == ""


def test_a_directory_symlink_loop_is_not_followed(tree: Path, check: Check) -> None:
    (tree / "sub").mkdir()
    (tree / "sub" / "again").symlink_to("..")
    result = check(".", cwd=tree)
    assert result.returncode == 1
    assert len(findings(result.stdout)) == 1
