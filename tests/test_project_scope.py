"""How far seglint reads beyond the files it is given.

Without a project marker, a file is a project of its own directory: it and what it imports are read,
nothing is walked. Under a marker, the scan for loss providers walks the tree in sorted order and stops
at ``max-project-files`` with one warning naming the root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seglint.analysis.catalogue import TORCH
from seglint.cli import main
from seglint.limits import Limits
from seglint.provider_scan import imported_names, project_providers
from seglint.roots import find_root
from tests.test_cli import BAD, REPO, seglint, write

# Names no loss: only the provider scan makes it worth analysing.
TRAIN = (
    "import torch\nfrom losses import build_loss\n\n"
    "criterion = build_loss()\nloss = criterion(torch.softmax(x, dim=1), y)\n"
)
LOSSES = "import torch.nn as nn\nfrom common import WEIGHT\n\n\ndef build_loss():\n    return nn.CrossEntropyLoss()\n"
PROVIDER = "import torch.nn as nn\n\n\ndef build_{name}():\n    return nn.CrossEntropyLoss()\n"

# Runs seglint in this interpreter and records every file it opens and directory it lists.
AUDITED_RUN = textwrap.dedent(
    """
    import json, os, sys
    seen = {"open": [], "list": []}
    def audit(event, args):
        if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            seen["open"].append(os.path.abspath(os.fsdecode(args[0])))
        elif event in ("os.scandir", "os.listdir"):
            seen["list"].append(os.path.abspath(os.fsdecode(args[0] if args[0] is not None else ".")))
    sys.addaudithook(audit)
    from seglint.cli import main
    status = main(sys.argv[1:])
    sys.stdout.flush()
    print(json.dumps(seen), file=sys.stderr)
    sys.exit(status)
    """
)


def test_a_directory_without_a_marker_is_not_a_project_root_for_its_subtree(tmp_path: Path) -> None:
    assert find_root(tmp_path / "train.py").marker is None  # what the tests below rely on


def test_one_file_next_to_a_directory_holding_a_fifo_returns_at_once(tmp_path: Path) -> None:
    write(tmp_path, {"train.py": BAD, "data/readme.txt": "x"})
    os.mkfifo(tmp_path / "data" / "stream.py")
    os.mkfifo(tmp_path / "data" / "stream")
    result = seglint("train.py", cwd=tmp_path)  # a hang would end at the helper's timeout
    assert result.returncode == 1
    assert result.stdout.startswith("train.py:2:8: SEG001 ")
    assert result.stderr == ""


@pytest.fixture
def crowded(tmp_path: Path) -> Iterator[Path]:
    """A directory without a marker: a training script, the module it imports (and that one's import),
    and 50,000 unrelated modules that each define a loss provider."""
    write(tmp_path, {"train.py": TRAIN, "losses.py": LOSSES, "common.py": "WEIGHT = 1\n"})
    unrelated = tmp_path / "unrelated.src"
    unrelated.write_text(PROVIDER.format(name="other"))
    for index in range(50_000):
        os.link(unrelated, tmp_path / f"m{index:05d}.py")  # hard links: fast to make and to remove
    yield tmp_path
    shutil.rmtree(tmp_path)  # now, rather than in a later session's clean-up of old temporary trees


def test_one_file_in_a_directory_of_50000_files_reads_only_it_and_what_it_imports(crowded: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", AUDITED_RUN, "--no-cache", "train.py"],
        cwd=crowded,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert completed.returncode == 1, completed.stderr
    assert completed.stdout.startswith("train.py:5:8: SEG001 ")  # the provider was found through the import
    seen = json.loads(completed.stderr.splitlines()[-1])
    directory = str(crowded.resolve())
    opened = {Path(path).name for path in seen["open"] if Path(path).parent == Path(directory)}
    assert opened == {"train.py", "losses.py", "common.py"}
    assert directory not in seen["list"]


def test_stdin_without_a_marker_uses_the_modules_it_imports(tmp_path: Path) -> None:
    write(tmp_path, {"losses.py": LOSSES, "common.py": "WEIGHT = 1\n"})
    result = seglint("-", "--stdin-filename", "train.py", cwd=tmp_path, stdin=TRAIN.encode())
    assert result.returncode == 1
    assert result.stdout.startswith("train.py:5:8: SEG001 ")


@pytest.fixture
def marked(tmp_path: Path) -> Path:
    """A project with a marker whose sorted walk meets ``m/`` (60 files) before ``zzz/``."""
    files: dict[str, str | bytes] = {
        "aaa_losses.py": PROVIDER.format(name="early"),
        "b_train_early.py": TRAIN.replace(
            "losses import build_loss", "aaa_losses import build_early"
        ).replace("build_loss()", "build_early()"),
        "b_train_late.py": TRAIN.replace(
            "losses import build_loss", "zzz.zzz_losses import build_late"
        ).replace("build_loss()", "build_late()"),
        "zzz/zzz_losses.py": PROVIDER.format(name="late"),
    }
    files.update({f"m/m{index:02d}.py": "x = 1\n" for index in range(60)})
    return write(tmp_path, files)


def test_under_a_marker_the_walk_stops_at_max_project_files_with_one_warning(
    marked: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(marked)
    write(marked, {"pyproject.toml": "[tool.seglint]\nmax-project-files = 40\n"})
    for jobs in ("1", "2"):  # with two workers, the parent scans: still one warning
        assert main(["--no-cache", "--jobs", jobs, "b_train_early.py", "b_train_late.py"]) == 1
        out, err = capsys.readouterr()
        assert [line.split(":")[0] for line in out.splitlines() if ": SEG" in line] == ["b_train_early.py"]
        assert err == (
            f"seglint: warning: the scan of {marked.resolve()} for loss providers stopped after 40 files "
            "and directories (max-project-files); files that use a loss built elsewhere in the project "
            "may be missed\n"
        )
    write(marked, {"pyproject.toml": "[tool.seglint]\n"})  # the default bound is far above
    assert main(["--no-cache", "b_train_early.py", "b_train_late.py"]) == 1
    out, err = capsys.readouterr()
    assert err == "" and len([line for line in out.splitlines() if ": SEG" in line]) == 2


def test_the_bounded_walk_reads_nothing_past_the_bound(marked: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(marked, {"pyproject.toml": ""})
    read: list[str] = []
    import seglint.provider_scan

    original = seglint.provider_scan.read_text

    def recorded(path: Path, **size: int) -> str | None:
        read.append(path.name)
        return original(path, **size)

    monkeypatch.setattr(seglint.provider_scan, "read_text", recorded)
    warnings: list[str] = []
    limits = Limits(max_project_files=40)
    providers = project_providers(find_root(marked), TORCH, None, limits=limits, warn=warnings.append)
    assert providers.functions == {"build_early"}
    assert len(warnings) == 1
    # 6 entries at the top (3 files and 2 directories read or entered, the marker), then 34 of m/.
    assert read[:3] == ["aaa_losses.py", "b_train_early.py", "b_train_late.py"]
    assert len(read) == 3 + 34 and "zzz_losses.py" not in read


@pytest.mark.parametrize(
    ("text", "package", "expected"),
    [
        ("import a.b.c as d, e\n", [], ["a", "a.b", "a.b.c", "e"]),
        ("from m import (x,\n    y as z)\n", [], ["m", "m.x", "m.y"]),
        ("from . import losses\n", ["pkg"], ["pkg", "pkg.losses"]),
        ("from .sub.mod import f\n", ["pkg"], ["pkg", "pkg.sub", "pkg.sub.mod", "pkg.sub.mod.f"]),
        ("from .. import up\n", ["pkg", "inner"], ["pkg", "pkg.up"]),
        ("from .. import beyond\n", [], []),  # above the root
        ("from m import *\n", [], ["m"]),
        ('"""\nimport docstring\n"""\n# import comment\nx = "import string"\n', [], []),
        ("if x:\n    import late; import other\n", [], ["late"]),
    ],
)
def test_imported_names(text: str, package: list[str], expected: list[str]) -> None:
    assert list(imported_names(text, package)) == expected


_PARTS = st.sampled_from(["a", "b", "torch", "pkg", "2x", "_", "nn"])
_DOTTED = st.lists(_PARTS, min_size=1, max_size=3).map(".".join)
_STATEMENTS = st.one_of(
    st.builds("import {} as z, {}".format, _DOTTED, _DOTTED),
    st.builds(
        "from {}{} import ({}, {} as w)".format,
        st.sampled_from(["", ".", ".."]),
        _DOTTED | st.just(""),
        _PARTS,
        _PARTS,
    ),
    st.builds("from {} import *".format, _DOTTED),
)


@given(
    statements=st.lists(_STATEMENTS, max_size=4),
    package=st.lists(_PARTS, max_size=2),
    tops=st.frozensets(_PARTS, max_size=3),
)
def test_naming_the_tops_yields_the_names_below_them_and_no_others(
    statements: list[str], package: list[str], tops: frozenset[str]
) -> None:
    text = "\n".join(statements) + "\n"
    every = imported_names(text, package, raw=True)
    assert list(imported_names(text, package, raw=True, tops=tops)) == [
        name for name in every if name.split(".", 1)[0] in tops
    ]
