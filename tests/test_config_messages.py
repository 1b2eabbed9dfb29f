"""Every configuration error message, whole: the file, the key, the value with its kind, and what is
valid. (``tests/test_config.py`` covers loading and resolution; these pin the words.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from seglint.config import load_settings
from seglint.errors import ConfigError
from seglint.limits import DEFAULT_ANALYSIS_TIMEOUT, DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_PROJECT_FILES, Limits

CODES = ("SEG001", "SEG002", "SEG003", "SEG004", "SEG005")
WHERE = "pyproject.toml: [tool.seglint]"


def error_of(directory: Path, body: str) -> str:
    (directory / "pyproject.toml").write_text("[tool.seglint]\n" + body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(cwd=directory, codes=CODES)
    return str(info.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "max-file-size = 0\n",
            (
                f"{WHERE} max-file-size: expected a positive integer, got 0 (an integer); "
                "valid: e.g. 4194304 (bytes)"
            ),
        ),
        (
            "max-file-size = 1.5\n",
            f"{WHERE} max-file-size: expected a positive integer, got 1.5 (a float); valid: e.g. 4194304 (bytes)",
        ),
        (
            "max-project-files = true\n",
            f"{WHERE} max-project-files: expected a positive integer, got True (a boolean); valid: e.g. 50000",
        ),
        (
            "max-project-files = {a = 1}\n",
            (
                f"{WHERE} max-project-files: expected a positive integer, got {{'a': 1}} (a table); "
                "valid: e.g. 50000"
            ),
        ),
        (
            "max-file-size = 2024-01-01\n",
            (
                f"{WHERE} max-file-size: expected a positive integer, got datetime.date(2024, 1, 1) (date); "
                "valid: e.g. 4194304 (bytes)"
            ),
        ),
        (
            'log-probability-losses = ["nll2d"]\n',
            (
                f"{WHERE} log-probability-losses: 'nll2d' is not a qualified name; "
                'valid: qualified names, e.g. ["mypkg.losses.FocalLoss"]'
            ),
        ),
        (
            '[tool.seglint.per-file-ignores]\n"" = ["SEG001"]\n',
            f"{WHERE} per-file-ignores: expected a non-empty glob pattern, got ''",
        ),
        (
            "per-file-ignores = 3\n",
            (
                f"{WHERE} per-file-ignores: expected a table of glob = [codes], got 3 (an integer); "
                'valid: e.g. per-file-ignores = { "tests/*" = ["SEG001"] }'
            ),
        ),
        ('exclude = [""]\n', f"{WHERE} exclude: expected a non-empty glob pattern, got ''"),
        ("nope = 1\n", f"{WHERE}: unknown key 'nope'; valid: analysis-timeout, exclude, extend-exclude, "),
        (
            "analysis-timeout = 0\n",
            f"{WHERE} analysis-timeout: expected a positive integer, got 0 (an integer); valid: e.g. 120 (seconds)",
        ),
    ],
)
def test_configuration_errors(tmp_path: Path, body: str, message: str) -> None:
    assert error_of(tmp_path, body).startswith(message)


def test_the_limits_default_and_are_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.seglint]\n")
    settings = load_settings(cwd=tmp_path, codes=CODES)
    assert settings.limits == Limits(
        DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_PROJECT_FILES, DEFAULT_ANALYSIS_TIMEOUT
    )
    assert DEFAULT_ANALYSIS_TIMEOUT == 60
    (tmp_path / "pyproject.toml").write_text(
        "[tool.seglint]\nmax-file-size = 10\nmax-project-files = 7\nanalysis-timeout = 5\n"
    )
    settings = load_settings(cwd=tmp_path, codes=CODES)
    assert settings.limits == Limits(max_file_size=10, max_project_files=7, analysis_timeout=5)


def test_a_config_file_is_the_root_of_its_patterns(tmp_path: Path) -> None:
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "other.toml").write_text("[tool.ruff]\nline-length = 100\n[tool.seglint]\n")
    settings = load_settings(cwd=tmp_path, codes=CODES, config=Path("ci/other.toml"))
    assert settings.root == tmp_path / "ci" and settings.config_file == tmp_path / "ci" / "other.toml"


@pytest.mark.parametrize("name", ["pyproject.toml", "ci/other.toml"])
def test_a_named_config_file_without_a_seglint_table_is_an_error(tmp_path: Path, name: str) -> None:
    (tmp_path / name).parent.mkdir(exist_ok=True)
    (tmp_path / name).write_text("[tool.ruff]\nline-length = 100\n")
    with pytest.raises(
        ConfigError, match=rf"^{name}: has no \[tool.seglint\] table, so it configures nothing"
    ):
        load_settings(cwd=tmp_path, codes=CODES, config=Path(name))


def test_a_config_file_that_cannot_be_read_or_ends_early(tmp_path: Path) -> None:
    (tmp_path / "dir.toml").mkdir()
    with pytest.raises(ConfigError, match=r"^dir.toml: could not read: Is a directory$"):
        load_settings(cwd=tmp_path, codes=CODES, config=Path("dir.toml"))
    (tmp_path / "short.toml").write_text("[tool.seglint")
    with pytest.raises(ConfigError, match=r"\(at end of document, line 1\)$"):
        load_settings(cwd=tmp_path, codes=CODES, config=Path("short.toml"))
