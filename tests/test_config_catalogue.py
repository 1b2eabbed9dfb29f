"""The configuration keys that extend the catalogue: libraries and the user's own names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from seglint.config import load_settings
from seglint.errors import ConfigError
from seglint.rules import RULES_BY_CODE

CODES = tuple(RULES_BY_CODE)


def settings_from(tmp_path: Path, table: str):
    (tmp_path / "pyproject.toml").write_text("[tool.seglint]\n" + table)
    return load_settings(cwd=tmp_path, codes=CODES)


def test_catalogue_keys_are_read(tmp_path: Path) -> None:
    settings = settings_from(
        tmp_path,
        'libraries = ["monai", "torchvision"]\n'
        'logits-losses = ["mypkg.losses.FocalLoss"]\n'
        'log-probability-losses = ["mypkg.losses.nll2d"]\n'
        'probability-functions = ["mypkg.ops.predict_proba"]\n',
    )
    assert settings.libraries == ("monai", "torchvision")
    assert settings.logits_losses == ("mypkg.losses.FocalLoss",)
    assert settings.log_probability_losses == ("mypkg.losses.nll2d",)
    assert settings.probability_functions == ("mypkg.ops.predict_proba",)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            'libraries = ["keras"]',
            (
                "pyproject.toml: [tool.seglint] libraries: unknown library 'keras'; "
                "valid: monai, segmentation_models_pytorch, timm, torchvision"
            ),
        ),
        (
            'libraries = "monai"',
            (
                "pyproject.toml: [tool.seglint] libraries: expected a list of strings, got 'monai' (a string); "
                "valid: monai, segmentation_models_pytorch, timm, torchvision"
            ),
        ),
        (
            'logits-losses = ["FocalLoss"]',
            (
                "pyproject.toml: [tool.seglint] logits-losses: 'FocalLoss' is not a qualified name; "
                'valid: qualified names, e.g. ["mypkg.losses.FocalLoss"]'
            ),
        ),
        (
            "probability-functions = [3]",
            (
                "pyproject.toml: [tool.seglint] probability-functions: expected a list of strings, got item 3 "
                '(an integer); valid: qualified names, e.g. ["mypkg.losses.FocalLoss"]'
            ),
        ),
    ],
)
def test_bad_catalogue_entries_name_the_key_the_value_and_the_choices(
    tmp_path: Path, table: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as error:
        settings_from(tmp_path, table + "\n")
    assert str(error.value) == expected


def run_seglint(cwd: Path, *paths: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seglint", "--no-cache", *paths],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_library_losses_are_on_by_default_and_the_key_replaces_the_set(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(
        "import torch\nfrom monai.losses import DiceCELoss\n\n"
        "def step(logits, y):\n    return DiceCELoss(to_onehot_y=True)(torch.softmax(logits, 1), y)\n"
    )
    finding = "train.py:5:12: SEG001 `monai.losses.DiceCELoss` expects logits"
    for table, found in (
        ("", True),
        ('libraries = ["monai"]\n', True),
        ('libraries = ["timm", "torchvision"]\n', False),
        ("libraries = []\n", False),
    ):
        (tmp_path / "pyproject.toml").write_text("[tool.seglint]\n" + table)
        completed = run_seglint(tmp_path, "train.py")
        assert (completed.returncode, finding in completed.stdout) == ((1, True) if found else (0, False)), (
            table
        )


def test_a_library_imported_by_another_module_of_the_project_applies(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'seg'\n")
    (tmp_path / "losses.py").write_text("from monai.losses import DiceCELoss\n")
    (tmp_path / "train.py").write_text(
        "import torch\nfrom losses import DiceCELoss\n\n"
        "def step(logits, y):\n    return DiceCELoss()(torch.softmax(logits, 1), y)\n"
    )
    completed = run_seglint(tmp_path, "train.py")
    assert "train.py:5:12: SEG001 `monai.losses.DiceCELoss` expects logits" in completed.stdout
