"""The tool's own errors. Per-file problems are results (``FileError``), not exceptions."""


class SeglintError(Exception):
    """Base of every error seglint reports itself; the CLI turns these into exit code 2."""


class UsageError(SeglintError):
    """A command-line argument that cannot be honoured."""


class ConfigError(SeglintError):
    """A bad ``[tool.seglint]`` table: the message names the file, key, value and valid choices."""
