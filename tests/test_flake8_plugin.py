"""The real flake8, with seglint's plugin (the ``SEG`` entry point), reports what seglint reports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("flake8")

BAD = "import torch.nn.functional as F\nloss = F.cross_entropy(F.softmax(x, dim=1), y)\n"
FILES = {
    "pkg/train.py": (
        "import torch\nimport torch.nn.functional as F\nfrom monai.losses import DiceCELoss\n\n\n"
        "def step(logits, y):\n"
        "    a = F.cross_entropy(F.log_softmax(logits, dim=1), y)\n"
        "    b = DiceCELoss()(torch.softmax(logits, 1), y)\n"
        "    c = F.cross_entropy(F.softmax(logits, dim=1), y)  # seglint: ignore[SEG001]\n"
        "    d = F.cross_entropy(F.softmax(logits, dim=1), y)  # noqa: SEG001\n"
        "    return a + b + c + d\n"
    ),
    "pkg/model.py": BAD,
    "pyproject.toml": '[tool.seglint]\nlibraries = ["monai"]\n',
}


def run(tool: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    return subprocess.run(
        [sys.executable, "-X", "importtime", *tool],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("flake8")
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def findings(output: str) -> list[str]:
    return sorted(line.removeprefix("./") for line in output.splitlines() if ": SEG" in line)


def test_flake8_reports_the_same_findings_codes_and_positions(project: Path) -> None:
    flake8 = run(["-m", "flake8", "--select", "SEG", "pkg"], project)
    seglint = run(["-m", "seglint", "--no-cache", "pkg"], project)
    assert flake8.returncode == 1, flake8.stderr
    reported = findings(flake8.stdout)
    assert reported == findings(seglint.stdout.replace(" [*] ", " "))  # flake8 has no fix marker
    assert [line.split(": ", 1)[0] + " " + line.split(": ")[1].split()[0] for line in reported] == [
        "pkg/model.py:2:8 SEG001",
        "pkg/train.py:7:9 SEG004",
        "pkg/train.py:8:9 SEG001",  # the configuration's libraries = ["monai"] applies
    ]
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in flake8.stderr.splitlines()}
    assert "seglint" in imported and "torch" not in imported


def test_flake8_does_the_selection_the_per_file_ignores_and_the_noqa(project: Path) -> None:
    # One run (each costs a second): SEG004 is not selected, model.py's SEG001 is ignored for that
    # file, and with --disable-noqa flake8 shows the finding that line 10's noqa comment hides
    # (seglint leaves noqa to flake8); line 9's seglint: ignore[SEG001] is seglint's and still holds.
    options = ["--select", "SEG001", "--per-file-ignores", "pkg/model.py:SEG001", "--disable-noqa"]
    result = run(["-m", "flake8", *options, "pkg"], project)
    assert [line.split(": ")[0] for line in findings(result.stdout)] == [
        "pkg/train.py:10:9",
        "pkg/train.py:8:9",
    ]


def test_a_file_seglint_cannot_check_is_one_seg000_finding(tmp_path: Path) -> None:
    from seglint.flake8_plugin import Flake8Plugin

    def reported(path: Path) -> list[tuple[int, int, str]]:
        lines = path.read_text().splitlines(keepends=True)
        return [found[:3] for found in Flake8Plugin(None, str(path), lines).run()]

    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "pyproject.toml").write_text('[tool.seglint]\nselect = ["SEG9"]\n')
    (tmp_path / "broken" / "m.py").write_text(BAD)
    ((line, column, message),) = reported(tmp_path / "broken" / "m.py")
    assert (line, column) == (1, 0)
    assert message.startswith("SEG000 seglint could not check this file: invalid configuration: ")
    assert "[tool.seglint] select: unknown rule code 'SEG9'" in message
    (tmp_path / "small").mkdir()
    (tmp_path / "small" / ".seglint.toml").write_text("max-file-size = 20\n")
    (tmp_path / "small" / "m.py").write_text(BAD)
    ((line, column, message),) = reported(tmp_path / "small" / "m.py")
    assert message.startswith("SEG000 seglint could not check this file: not analysed: the file is 79 bytes")
