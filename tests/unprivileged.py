"""Run ``seglint`` where permission bits mean something, also when the tests run as root (as CI does).

Mode bits deny root nothing, so a forked child of the test process drops to the ``nobody`` user
before it runs :func:`seglint.cli.main` on a tree that user may enter (the interpreter itself may live
where ``nobody`` cannot go, which rules out starting a new one as that user: the fork inherits every
module already imported). Run as any other user, the child keeps that user.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

from seglint.cli import main


def _nobody() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        return 65534, 65534
    return entry.pw_uid, entry.pw_gid


@contextlib.contextmanager
def shared_tree() -> Iterator[Path]:
    """A temporary directory the unprivileged user owns (pytest's own are private to this user)."""
    directory = Path(tempfile.mkdtemp(prefix="seglint-unprivileged-"))
    try:
        directory.chmod(0o755)
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def hand_over(directory: Path) -> None:
    """Give everything below ``directory`` to the user the child will run as."""
    if os.geteuid() != 0:
        return
    uid, gid = _nobody()
    for path in [directory, *directory.rglob("*")]:
        os.lchown(path, uid, gid)


def _warm_up() -> None:
    """Import, in this process, everything a run imports lazily: the child may not read the files."""
    previous = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        Path(scratch, "m.py").write_text(
            "import torch.nn.functional as F\nloss = F.cross_entropy(F.log_softmax(x, 1), y)\n"
        )
        os.chdir(scratch)
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                for args in (["--no-cache", "--diff", "."], ["--no-cache", "--format", "sarif", "."]):
                    main(args)
        finally:
            os.chdir(previous)


def run_unprivileged(
    args: list[str], *, cwd: Path, during: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    """``seglint ARGS`` in ``cwd``, in a child that is not root. ``during`` runs in the child after
    discovery has listed the files and before any is read."""
    _warm_up()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        try:
            os.close(reader)
            if os.geteuid() == 0:
                uid, gid = _nobody()
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
            os.chdir(cwd)
            if during is not None:
                import seglint.discovery

                listed = seglint.discovery.discover

                def discover_then_change(*a: object, **k: object) -> object:
                    found = listed(*a, **k)  # type: ignore[arg-type]
                    during()
                    return found

                seglint.discovery.discover = discover_then_change  # type: ignore[assignment]
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = main(args)
            payload = [status, out.getvalue(), err.getvalue()]
        except BaseException:  # noqa: BLE001 - reported to the parent
            payload = [99, "", traceback.format_exc()]
        with os.fdopen(writer, "w") as stream:
            json.dump(payload, stream)
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as stream:
        status, out, err = json.load(stream)
    os.waitpid(pid, 0)
    return subprocess.CompletedProcess(args, status, out, err)
