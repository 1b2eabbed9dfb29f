"""Load ``[tool.seglint]`` and resolve which rules apply to a file.

Loading validates everything up front: an unknown key, an unknown rule code or a value of the wrong
type raises :class:`~seglint.errors.ConfigError` naming the file, the key, the value and the valid
choices. Resolution (:func:`enabled_codes`) is a pure function of the settings, the command-line
selection and the path, and follows ruff: a ``select`` replaces what came before it (the command line
comes after the configuration file), ``extend-select`` adds, ``ignore`` removes, and within one layer
the more specific selector wins (``ignore = ["SEG"]`` with ``select = ["SEG001"]`` keeps SEG001).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from seglint.analysis.libraries import LIBRARIES
from seglint.errors import ConfigError
from seglint.globs import Glob, compile_globs, matches_path_or_parent
from seglint.limits import DEFAULT_ANALYSIS_TIMEOUT, DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_PROJECT_FILES, Limits

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

CONFIG_FILENAME = "pyproject.toml"
#: The configuration files one directory may hold, in the order the first present one wins. The two
#: seglint files take the keys at top level; ``pyproject.toml`` counts only with a ``[tool.seglint]``.
CONFIG_FILENAMES: tuple[str, ...] = (".seglint.toml", "seglint.toml", CONFIG_FILENAME)

#: Directories and files never linted unless named on the command line (ruff's list, plus ours).
DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pyenv",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".seglint_cache",
    ".svn",
    ".tox",
    ".venv",
    ".vscode",
    "__pycache__",
    "__pypackages__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)

_LIST_KEYS = ("select", "ignore", "extend-select", "exclude", "extend-exclude")
_CATALOGUE_KEYS = ("libraries", "logits-losses", "log-probability-losses", "probability-functions")
_LIMIT_KEYS = ("max-file-size", "max-project-files", "analysis-timeout")
_BOOLEAN_KEYS = ("respect-gitignore",)
VALID_KEYS: tuple[str, ...] = tuple(
    sorted((*_LIST_KEYS, *_CATALOGUE_KEYS, *_LIMIT_KEYS, *_BOOLEAN_KEYS, "per-file-ignores"))
)
_QUALIFIED_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")
_MIN_PREFIX = 3  # "SEG": a selector must at least name the linter


@dataclass(frozen=True)
class RuleSelection:
    """One layer of rule selection (the configuration file, or the command line).

    ``select`` is ``None`` when the layer does not set it (the previous layer's rules carry over).
    """

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    """Validated ``[tool.seglint]``; ``root`` is the directory patterns are relative to."""

    root: Path
    config_file: Path | None = None
    selection: RuleSelection = RuleSelection()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    libraries: tuple[str, ...] = LIBRARIES  # every catalogued library unless the table says
    logits_losses: tuple[str, ...] = ()
    log_probability_losses: tuple[str, ...] = ()
    probability_functions: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    max_project_files: int = DEFAULT_MAX_PROJECT_FILES
    analysis_timeout: int = DEFAULT_ANALYSIS_TIMEOUT
    respect_gitignore: bool = True

    @property
    def exclude_globs(self) -> tuple[Glob, ...]:
        return compile_globs((*self.exclude, *self.extend_exclude))

    @property
    def limits(self) -> Limits:
        return Limits(
            max_file_size=self.max_file_size,
            max_project_files=self.max_project_files,
            analysis_timeout=self.analysis_timeout,
        )


def valid_selectors(codes: Sequence[str]) -> tuple[str, ...]:
    """Every accepted selector: each code and each of its prefixes of at least three characters."""
    found: set[str] = set()
    for code in codes:
        for end in range(min(_MIN_PREFIX, len(code)), len(code) + 1):
            found.add(code[:end])
    return tuple(sorted(found, key=lambda s: (s.rstrip("0123456789"), len(s), s)))


def unknown_selector_message(where: str, value: str, codes: Sequence[str]) -> str:
    return f"{where}: unknown rule code {value!r}; valid: {', '.join(valid_selectors(codes))}"


def _describe(value: Any) -> str:
    kinds = {
        bool: "a boolean",
        int: "an integer",
        float: "a float",
        str: "a string",
        list: "a list",
        dict: "a table",
    }
    kind = next((name for typ, name in kinds.items() if type(value) is typ), type(value).__name__)
    return f"{value!r} ({kind})"


class _Validator:
    def __init__(self, file: str, codes: Sequence[str], table: str) -> None:
        self.file = file
        self.table = table
        self.codes = tuple(codes)
        self.selectors = frozenset(valid_selectors(codes))

    def where(self, key: str) -> str:
        """``pyproject.toml: [tool.seglint] select``, or ``.seglint.toml: select``."""
        named = " ".join(part for part in (self.table, key) if part)
        return f"{self.file}: {named}" if named else self.file

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.where(key)}: {message}")

    def strings(self, key: str, value: Any, choices: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.error(key, f"expected a list of strings, got {_describe(value)}; valid: {choices}")
        for item in value:
            if not isinstance(item, str):
                raise self.error(
                    key, f"expected a list of strings, got item {_describe(item)}; valid: {choices}"
                )
        return tuple(value)

    def selectors_list(self, key: str, value: Any) -> tuple[str, ...]:
        items = self.strings(key, value, 'rule codes or prefixes, e.g. ["SEG001"]')
        for item in items:
            if item not in self.selectors:
                raise ConfigError(unknown_selector_message(self.where(key), item, self.codes))
        return items

    def libraries(self, key: str, value: Any) -> tuple[str, ...]:
        choices = ", ".join(LIBRARIES)
        items = self.strings(key, value, choices)
        for item in items:
            if item not in LIBRARIES:
                raise self.error(key, f"unknown library {item!r}; valid: {choices}")
        return items

    def qualified_names(self, key: str, value: Any) -> tuple[str, ...]:
        example = 'qualified names, e.g. ["mypkg.losses.FocalLoss"]'
        items = self.strings(key, value, example)
        for item in items:
            if not _QUALIFIED_NAME.fullmatch(item):
                raise self.error(key, f"{item!r} is not a qualified name; valid: {example}")
        return items

    def positive_integer(self, key: str, value: Any, example: str) -> int:
        if type(value) is not int or value < 1:
            raise self.error(
                key, f"expected a positive integer, got {_describe(value)}; valid: e.g. {example}"
            )
        return value

    def boolean(self, key: str, value: Any) -> bool:
        if type(value) is not bool:
            raise self.error(key, f"expected a boolean, got {_describe(value)}; valid: true, false")
        return value

    def patterns(self, key: str, value: Any) -> tuple[str, ...]:
        items = self.strings(key, value, 'glob patterns, e.g. ["tests/fixtures/*"]')
        for item in items:
            if not item:
                raise self.error(key, "expected a non-empty glob pattern, got ''")
        return items


def parse_table(
    table: Any, *, file: str, root: Path, codes: Sequence[str], name: str = "[tool.seglint]"
) -> Settings:
    """Validate a ``[tool.seglint]`` table (already parsed from TOML) into :class:`Settings`; ``name``
    is how messages name the table (``""`` for a seglint file, whose keys are at top level)."""
    check = _Validator(file, codes, name)
    if not isinstance(table, dict):
        raise check.error(
            "", f"expected a table, got {_describe(table)}; valid: a table with keys {', '.join(VALID_KEYS)}"
        )
    for key in table:
        if key not in VALID_KEYS:
            raise check.error("", f"unknown key {key!r}; valid: {', '.join(VALID_KEYS)}")

    select = check.selectors_list("select", table["select"]) if "select" in table else None
    extend_select = check.selectors_list("extend-select", table.get("extend-select", []))
    ignore = check.selectors_list("ignore", table.get("ignore", []))
    exclude = check.patterns("exclude", table["exclude"]) if "exclude" in table else DEFAULT_EXCLUDE
    extend_exclude = check.patterns("extend-exclude", table.get("extend-exclude", []))

    per_file: list[tuple[str, tuple[str, ...]]] = []
    raw_per_file = table.get("per-file-ignores", {})
    if not isinstance(raw_per_file, dict):
        raise check.error(
            "per-file-ignores",
            f"expected a table of glob = [codes], got {_describe(raw_per_file)}; "
            'valid: e.g. per-file-ignores = { "tests/*" = ["SEG001"] }',
        )
    for pattern, value in raw_per_file.items():
        if not pattern:
            raise check.error("per-file-ignores", "expected a non-empty glob pattern, got ''")
        per_file.append((pattern, check.selectors_list(f'per-file-ignores."{pattern}"', value)))

    return Settings(
        root=root,
        selection=RuleSelection(select, extend_select, ignore),
        exclude=exclude,
        extend_exclude=extend_exclude,
        per_file_ignores=tuple(per_file),
        libraries=check.libraries("libraries", table["libraries"]) if "libraries" in table else LIBRARIES,
        logits_losses=check.qualified_names("logits-losses", table.get("logits-losses", [])),
        log_probability_losses=check.qualified_names(
            "log-probability-losses", table.get("log-probability-losses", [])
        ),
        probability_functions=check.qualified_names(
            "probability-functions", table.get("probability-functions", [])
        ),
        max_file_size=check.positive_integer(
            "max-file-size", table.get("max-file-size", DEFAULT_MAX_FILE_SIZE), "4194304 (bytes)"
        ),
        max_project_files=check.positive_integer(
            "max-project-files", table.get("max-project-files", DEFAULT_MAX_PROJECT_FILES), "50000"
        ),
        analysis_timeout=check.positive_integer(
            "analysis-timeout", table.get("analysis-timeout", DEFAULT_ANALYSIS_TIMEOUT), "120 (seconds)"
        ),
        respect_gitignore=check.boolean("respect-gitignore", table.get("respect-gitignore", True)),
    )


def _display(path: Path, cwd: Path) -> str:
    try:
        return os.path.relpath(path, cwd) if path.is_relative_to(cwd) else str(path)
    except ValueError:  # pragma: no cover - different drives on Windows
        return str(path)


def _read_toml(path: Path, cwd: Path) -> dict[str, Any]:
    shown = _display(path, cwd)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file {shown!r} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"{shown}: could not read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{shown}: invalid UTF-8 at line {line} (byte {exc.start})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib says "(at line L, column C)", or "(at end of document)": then name the last line.
        message = str(exc).replace(
            "at end of document", f"at end of document, line {len(text.splitlines()) or 1}"
        )
        raise ConfigError(f"{shown}: invalid TOML: {message}") from None


def _seglint_table(document: dict[str, Any]) -> Any:
    tool = document.get("tool")
    if isinstance(tool, dict) and "seglint" in tool:
        return tool["seglint"]
    return None


def _names_seglint(path: Path) -> bool:
    """Whether a ``pyproject.toml`` could hold a ``[tool.seglint]`` table: one that never says
    "seglint" is not read as TOML, so another project's broken ``pyproject.toml`` is not our error."""
    try:
        return b"seglint" in path.read_bytes()
    except OSError:
        return True  # let the read report it


def config_file_in(directory: Path) -> Path | None:
    """The configuration file of ``directory`` itself, without reading any TOML: ``.seglint.toml``,
    else ``seglint.toml``, else a ``pyproject.toml`` that mentions seglint (its table is checked when
    it is loaded; see :func:`read_config`)."""
    for name in CONFIG_FILENAMES:
        candidate = directory / name
        if candidate.is_file() and (name != CONFIG_FILENAME or _names_seglint(candidate)):
            return candidate
    return None


def read_config(path: Path, *, cwd: Path, codes: Sequence[str], required: bool = False) -> Settings | None:
    """The settings of one configuration file; ``None`` for a ``pyproject.toml`` without a
    ``[tool.seglint]`` table, which configures nothing (an error when ``required``, as for
    ``--config``). ``.seglint.toml`` and ``seglint.toml`` take the keys at top level; a file of another
    name (``--config ci/lint.toml``) is read as ``pyproject.toml`` is when it has a ``[tool]`` table,
    else as a seglint file."""
    shown = _display(path, cwd)
    document = _read_toml(path, cwd)
    pyproject_style = path.name == CONFIG_FILENAME or (
        path.name not in CONFIG_FILENAMES and "tool" in document
    )
    if pyproject_style:
        table, name = _seglint_table(document), "[tool.seglint]"
        if table is None:
            if required:
                raise ConfigError(
                    f"{shown}: has no [tool.seglint] table, so it configures nothing; add one, or name a "
                    ".seglint.toml or seglint.toml file (keys at top level)"
                )
            return None
    else:
        table, name = document, ""
    settings = parse_table(table, file=shown, root=path.parent, codes=codes, name=name)
    return replace(settings, config_file=path)


def find_config(start: Path, cwd: Path | None = None) -> Path | None:
    """The nearest configuration file at or above ``start`` (see :func:`config_file_in`) that
    configures seglint: a ``pyproject.toml`` counts only with a ``[tool.seglint]`` table."""
    cwd = cwd or start
    for directory in (start, *start.parents):
        candidate = config_file_in(directory)
        if candidate is None:
            continue
        if candidate.name != CONFIG_FILENAME or _seglint_table(_read_toml(candidate, cwd)) is not None:
            return candidate
    return None


class Configurations:
    """Which settings govern each file, as in ruff: the closest configuration file at or above the
    file's directory, or, with ``--config``, that one file for everything.

    The configuration that governs ``cwd`` is :attr:`run` (for the cache, stdin and the defaults); it
    must be valid, or the run stops. Any other invalid configuration is that directory's
    :class:`ConfigError`, returned by :meth:`for_directory`, so the files below it are reported as not
    checked and the others are checked. Without any configuration file the defaults apply, with
    patterns relative to ``cwd``.
    """

    def __init__(self, *, cwd: Path, codes: Sequence[str], config: Path | None = None) -> None:
        self.cwd = Path(os.path.abspath(cwd))
        self.codes = tuple(codes)
        self._fixed: Settings | None = None
        self._by_directory: dict[Path, Settings | ConfigError] = {}
        self._by_file: dict[Path, Settings | ConfigError] = {}
        if config is not None:
            path = Path(os.path.abspath(self.cwd / config))
            self._fixed = read_config(path, cwd=self.cwd, codes=self.codes, required=True)
        governing = self.for_directory(self.cwd)
        if isinstance(governing, ConfigError):
            raise governing
        self.run: Settings = governing

    @classmethod
    def fixed(cls, settings: Settings) -> Configurations:
        """One ``settings`` for every file (what ``--config`` does; tests)."""
        instance = cls.__new__(cls)
        instance.cwd = settings.root
        instance.codes = ()
        instance._fixed = settings
        instance._by_directory = {}
        instance._by_file = {}
        instance.run = settings
        return instance

    def for_directory(self, directory: Path) -> Settings | ConfigError:
        """The settings for the entries of ``directory`` (absolute)."""
        if self._fixed is not None:
            return self._fixed
        if directory in self._by_directory:
            return self._by_directory[directory]
        candidate = config_file_in(directory)
        found: Settings | ConfigError | None = None
        if candidate is not None:
            found = self._load(candidate)
        if found is None:
            parent = directory.parent
            found = self.for_directory(parent) if parent != directory else Settings(root=self.cwd)
        self._by_directory[directory] = found
        return found

    def for_path(self, path: Path) -> Settings | ConfigError:
        """The settings for the file ``path`` (absolute): those of its directory."""
        return self.for_directory(path.parent)

    def _load(self, path: Path) -> Settings | ConfigError | None:
        if path not in self._by_file:
            try:
                loaded: Settings | ConfigError | None = read_config(path, cwd=self.cwd, codes=self.codes)
            except ConfigError as error:
                error.file, error.shown = path, _display(path, self.cwd)
                loaded = error
            if loaded is not None:
                self._by_file[path] = loaded
            else:
                return None
        return self._by_file[path]


def load_settings(*, cwd: Path, codes: Sequence[str], config: Path | None = None) -> Settings:
    """The settings that govern ``cwd``: from ``config`` if given, else the nearest configuration file
    at or above it. Raises ConfigError for an invalid one.

    Without a configuration file every rule is selected, the default excludes apply and patterns are
    relative to ``cwd``.
    """
    return Configurations(cwd=cwd, codes=codes, config=config).run


def validate_selectors(option: str, values: Sequence[str], codes: Sequence[str]) -> tuple[str, ...]:
    """Check command-line selectors, raising ConfigError naming the option for an unknown one."""
    known = frozenset(valid_selectors(codes))
    for value in values:
        if value not in known:
            raise ConfigError(unknown_selector_message(option, value, codes))
    return tuple(values)


def _matching(selector: str, codes: Sequence[str]) -> set[str]:
    return {code for code in codes if code.startswith(selector)}


def _apply_layer(enabled: set[str], layer: RuleSelection, codes: Sequence[str]) -> set[str]:
    if layer.select is not None:
        enabled = set()
        adding = (*layer.select, *layer.extend_select)
    else:
        enabled = set(enabled)
        adding = layer.extend_select
    # Less specific selectors first, so a more specific one (longer) has the last word; at equal
    # specificity, ignore wins.
    for length in sorted({len(s) for s in (*adding, *layer.ignore)}):
        for selector in adding:
            if len(selector) == length:
                enabled |= _matching(selector, codes)
        for selector in layer.ignore:
            if len(selector) == length:
                enabled -= _matching(selector, codes)
    return enabled


def enabled_codes(
    settings: Settings,
    path: Path,
    *,
    codes: Sequence[str],
    cli: RuleSelection = RuleSelection(),
) -> frozenset[str]:
    """The rule codes to run on ``path`` (absolute): all rules, then the config, then the command
    line, then the ``per-file-ignores`` that match the path."""
    enabled = set(codes)
    for layer in (settings.selection, cli):
        enabled = _apply_layer(enabled, layer, codes)
    for pattern, ignored in settings.per_file_ignores:
        if matches_path_or_parent(compile_globs((pattern,)), path, settings.root):
            for selector in ignored:
                enabled -= _matching(selector, codes)
    return frozenset(enabled)
