"""[tool.seglint]: loading, validation errors that name file/key/value/choices, and rule resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from seglint.config import (
    DEFAULT_EXCLUDE,
    RuleSelection,
    Settings,
    enabled_codes,
    find_config,
    load_settings,
    valid_selectors,
    validate_selectors,
)
from seglint.errors import ConfigError

CODES = ("SEG001", "SEG002", "SEG003", "SEG004", "SEG005")
ALL = frozenset(CODES)


def write_config(directory: Path, body: str) -> Path:
    path = directory / "pyproject.toml"
    path.write_text("[project]\nname = 'demo'\n\n[tool.seglint]\n" + body, encoding="utf-8")
    return path


def load(directory: Path, body: str) -> Settings:
    write_config(directory, body)
    return load_settings(cwd=directory, codes=CODES)


def error_of(directory: Path, body: str) -> str:
    write_config(directory, body)
    with pytest.raises(ConfigError) as info:
        load_settings(cwd=directory, codes=CODES)
    return str(info.value)


# --- loading ---------------------------------------------------------------------------------------


def test_without_a_config_every_rule_runs_and_default_excludes_apply(tmp_path: Path) -> None:
    settings = load_settings(cwd=tmp_path, codes=CODES)
    assert settings.config_file is None
    assert settings.root == tmp_path
    assert settings.exclude == DEFAULT_EXCLUDE
    assert {".git", ".venv", "venv", "__pycache__", "build", "dist", ".tox", "node_modules"} <= set(
        DEFAULT_EXCLUDE
    )
    assert enabled_codes(settings, tmp_path / "a.py", codes=CODES) == ALL


def test_the_nearest_pyproject_with_a_seglint_table_is_used(tmp_path: Path) -> None:
    write_config(tmp_path, 'select = ["SEG001"]\n')
    sub = tmp_path / "pkg" / "sub"
    sub.mkdir(parents=True)
    (tmp_path / "pkg" / "pyproject.toml").write_text("[project]\nname = 'inner'\n")  # no [tool.seglint]
    assert find_config(sub) == tmp_path / "pyproject.toml"
    settings = load_settings(cwd=sub, codes=CODES)
    assert settings.config_file == tmp_path / "pyproject.toml"
    assert settings.root == tmp_path
    assert settings.selection == RuleSelection(select=("SEG001",))


def test_config_option_overrides_discovery(tmp_path: Path) -> None:
    write_config(tmp_path, 'select = ["SEG001"]\n')
    other = tmp_path / "other"
    other.mkdir()
    write_config(other, 'ignore = ["SEG002"]\n')
    settings = load_settings(cwd=tmp_path, codes=CODES, config=Path("other/pyproject.toml"))
    assert settings.root == other
    assert settings.selection == RuleSelection(ignore=("SEG002",))


def test_every_key_is_read(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        'select = ["SEG00"]\nignore = ["SEG005"]\nextend-select = ["SEG001"]\n'
        'exclude = ["gen"]\nextend-exclude = ["tests/fixtures/*"]\n'
        '[tool.seglint.per-file-ignores]\n"tests/*" = ["SEG001", "SEG002"]\n',
    )
    assert settings.selection == RuleSelection(("SEG00",), ("SEG001",), ("SEG005",))
    assert settings.exclude == ("gen",)
    assert settings.extend_exclude == ("tests/fixtures/*",)
    assert settings.per_file_ignores == (("tests/*", ("SEG001", "SEG002")),)


def test_a_missing_config_option_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file 'nope.toml' does not exist"):
        load_settings(cwd=tmp_path, codes=CODES, config=Path("nope.toml"))


# --- errors name the file, the key, the value and the valid choices -------------------------------


def test_unknown_rule_code(tmp_path: Path) -> None:
    message = error_of(tmp_path, 'select = ["SEG01"]\n')
    assert message == (
        "pyproject.toml: [tool.seglint] select: unknown rule code 'SEG01'; "
        "valid: SEG, SEG0, SEG00, SEG001, SEG002, SEG003, SEG004, SEG005"
    )


@pytest.mark.parametrize("key", ["ignore", "extend-select"])
def test_unknown_rule_code_in_other_selector_keys(tmp_path: Path, key: str) -> None:
    message = error_of(tmp_path, f'{key} = ["E501"]\n')
    assert message.startswith(f"pyproject.toml: [tool.seglint] {key}: unknown rule code 'E501'; valid: SEG, ")


def test_unknown_key(tmp_path: Path) -> None:
    message = error_of(tmp_path, 'selec = ["SEG001"]\n')
    assert message == (
        "pyproject.toml: [tool.seglint]: unknown key 'selec'; valid: analysis-timeout, exclude, extend-exclude, "
        "extend-select, ignore, libraries, log-probability-losses, logits-losses, max-file-size, "
        "max-project-files, per-file-ignores, probability-functions, respect-gitignore, select"
    )


@pytest.mark.parametrize(
    ("body", "key", "shown"),
    [
        ('select = "SEG001"\n', "select", "'SEG001' (a string)"),
        ("ignore = [1]\n", "ignore", "item 1 (an integer)"),
        ("exclude = true\n", "exclude", "True (a boolean)"),
        ('extend-exclude = [["a"]]\n', "extend-exclude", "item ['a'] (a list)"),
    ],
)
def test_wrong_types(tmp_path: Path, body: str, key: str, shown: str) -> None:
    message = error_of(tmp_path, body)
    assert message.startswith(
        f"pyproject.toml: [tool.seglint] {key}: expected a list of strings, got {shown}; valid: "
    )


def test_per_file_ignores_must_be_a_table_of_code_lists(tmp_path: Path) -> None:
    message = error_of(tmp_path, 'per-file-ignores = ["SEG001"]\n')
    assert message.startswith(
        "pyproject.toml: [tool.seglint] per-file-ignores: expected a table of glob = [codes], got ['SEG001'] (a list); valid: "
    )
    message = error_of(tmp_path, '[tool.seglint.per-file-ignores]\n"tests/*" = ["SEG9"]\n')
    assert message.startswith(
        "pyproject.toml: [tool.seglint] per-file-ignores.\"tests/*\": unknown rule code 'SEG9'; valid: SEG, "
    )
    message = error_of(tmp_path, '[tool.seglint.per-file-ignores]\n"tests/*" = "SEG001"\n')
    assert "per-file-ignores.\"tests/*\": expected a list of strings, got 'SEG001' (a string)" in message


def test_the_table_itself_must_be_a_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool]\nseglint = "yes"\n')
    with pytest.raises(
        ConfigError,
        match=r"^pyproject.toml: \[tool.seglint\]: expected a table, got 'yes' \(a string\); valid: a table with keys analysis-timeout, exclude, ",
    ):
        load_settings(cwd=tmp_path, codes=CODES)


def test_malformed_toml_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.seglint]\nselect = ["SEG001"\nignore = 3\n')
    with pytest.raises(ConfigError) as info:
        load_settings(cwd=tmp_path, codes=CODES)
    assert str(info.value).startswith("pyproject.toml: invalid TOML: ")
    assert "line 3" in str(info.value)
    (tmp_path / "pyproject.toml").write_text('[tool.seglint]\nselect = ["SEG001",\n')
    with pytest.raises(
        ConfigError, match=r"^pyproject.toml: invalid TOML: .*\(at end of document, line 2\)$"
    ):
        load_settings(cwd=tmp_path, codes=CODES)
    (tmp_path / "pyproject.toml").write_bytes(b"[tool.seglint]\n# caf\xe9\n")
    with pytest.raises(ConfigError, match=r"^pyproject.toml: invalid UTF-8 at line 2 \(byte 20\)$"):
        load_settings(cwd=tmp_path, codes=CODES)


def test_errors_in_a_config_outside_cwd_show_its_path(tmp_path: Path) -> None:
    write_config(tmp_path, "select = 1\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    with pytest.raises(ConfigError) as info:
        load_settings(cwd=sub, codes=CODES)
    assert str(info.value).startswith(f"{tmp_path / 'pyproject.toml'}: [tool.seglint] select: ")


def test_command_line_selectors_are_validated_with_the_option_name() -> None:
    assert validate_selectors("--select", ["SEG", "SEG004"], CODES) == ("SEG", "SEG004")
    with pytest.raises(
        ConfigError, match=r"^--ignore: unknown rule code 'seg001'; valid: SEG, SEG0, SEG00, SEG001"
    ):
        validate_selectors("--ignore", ["seg001"], CODES)


def test_valid_selectors_are_codes_and_their_prefixes() -> None:
    assert valid_selectors(("SEG001", "SEG010")) == ("SEG", "SEG0", "SEG00", "SEG01", "SEG001", "SEG010")


# --- resolution -------------------------------------------------------------------------------------


NO_CLI = RuleSelection()


def resolve(
    config: RuleSelection, cli: RuleSelection = NO_CLI, path: str = "a.py", **extra: object
) -> set[str]:
    settings = Settings(root=Path("/project"), selection=config, **extra)  # type: ignore[arg-type]
    return set(enabled_codes(settings, Path("/project") / path, codes=CODES, cli=cli))


def test_select_ignore_and_extend_select() -> None:
    assert resolve(RuleSelection(select=("SEG001",))) == {"SEG001"}
    assert resolve(RuleSelection(ignore=("SEG00",))) == set()
    assert resolve(RuleSelection(select=("SEG001",), extend_select=("SEG002",))) == {"SEG001", "SEG002"}
    assert resolve(RuleSelection(select=())) == set()


def test_the_more_specific_selector_wins_and_ignore_wins_ties() -> None:
    assert resolve(RuleSelection(select=("SEG001",), ignore=("SEG",))) == {"SEG001"}
    assert resolve(RuleSelection(select=("SEG",), ignore=("SEG001",))) == ALL - {"SEG001"}
    assert resolve(RuleSelection(select=("SEG001",), ignore=("SEG001",))) == set()


def test_command_line_select_replaces_the_configuration() -> None:
    config = RuleSelection(select=("SEG001", "SEG002"), ignore=("SEG003",))
    # ruff: the config's ignore belongs to the select the command line replaced.
    assert resolve(config, RuleSelection(select=("SEG003",))) == {"SEG003"}
    assert resolve(config, RuleSelection(extend_select=("SEG004",))) == {"SEG001", "SEG002", "SEG004"}
    assert resolve(config, RuleSelection(ignore=("SEG001",))) == {"SEG002"}
    assert resolve(RuleSelection(ignore=("SEG005",)), RuleSelection(extend_select=("SEG005",))) == ALL


def test_per_file_ignores_apply_to_matching_paths_only() -> None:
    extra = {
        "per_file_ignores": (
            ("tests/*", ("SEG001",)),
            ("examples/*.py", ("SEG004",)),
            ("conftest.py", ("SEG",)),
            ("legacy", ("SEG002",)),
        )
    }
    assert resolve(RuleSelection(), path="tests/test_a.py", **extra) == ALL - {"SEG001"}
    # "tests/*" matches the directory tests/deep, which covers what is inside it
    assert resolve(RuleSelection(), path="tests/deep/test_a.py", **extra) == ALL - {"SEG001"}
    assert resolve(RuleSelection(), path="examples/a.py", **extra) == ALL - {"SEG004"}
    assert resolve(RuleSelection(), path="examples/deep/a.py", **extra) == ALL
    assert resolve(RuleSelection(), path="src/conftest.py", **extra) == set()
    assert resolve(RuleSelection(), path="legacy/deep/x.py", **extra) == ALL - {"SEG002"}
    assert resolve(RuleSelection(), path="src/a.py", **extra) == ALL
    # per-file-ignores beat a command-line select, as in ruff
    assert resolve(RuleSelection(), RuleSelection(select=("SEG001",)), path="tests/t.py", **extra) == set()
