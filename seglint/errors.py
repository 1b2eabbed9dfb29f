"""The tool's own errors. Per-file problems are results (``FileError``), not exceptions."""

from __future__ import annotations

from pathlib import Path


class SeglintError(Exception):
    """Base of every error seglint reports itself; the CLI turns these into exit code 2."""


class UsageError(SeglintError):
    """A command-line argument that cannot be honoured."""


class ConfigError(SeglintError):
    """A bad ``[tool.seglint]`` table: the message names the file, key, value and valid choices.

    ``file`` (absolute) and ``shown`` (as the message names it) say which configuration file it is,
    where that is known."""

    file: Path | None = None
    shown: str | None = None
