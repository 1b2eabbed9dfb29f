"""The ``seglint`` command: ``seglint [check] [PATH ...]`` checks; ``seglint rule CODE`` (or NAME) and
``seglint rules`` document the rules.

The only module that prints. Exit status: 0 nothing found, 1 findings (or, with ``--diff``, changes
that ``--fix`` would make), 2 a usage or configuration error, or a file that could not be read,
parsed or written. Heavy modules (the engine, hence libcst) are imported only when linting.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from seglint import __version__
from seglint.errors import SeglintError, UsageError
from seglint.output import FORMAT_ALIASES, FORMATS

if TYPE_CHECKING:
    from seglint.config import Configurations, RuleSelection, Settings
    from seglint.diagnostics import FileError, FileResult
    from seglint.runner import CatalogueSpec

SUBCOMMANDS = ("rule", "rules")
CHECK = "check"
#: A run that takes longer than this shows files done / total on a terminal's stderr.
PROGRESS_AFTER_SECONDS = 1.0


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is a UsageError (exit 2 through ``main``), not ``sys.exit``."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return number


def _codes_option(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _check_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="seglint",
        description="Find probabilities and one-hot tensors fed to PyTorch losses that expect logits.",
        epilog="Subcommands: 'seglint check PATH' is 'seglint PATH'; 'seglint rule CODE' prints a rule's "
        "documentation; 'seglint rules' lists them. To check a directory named 'check', 'rule' or "
        "'rules', pass it as './rule'.",
    )
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or directories to check (default: .); '-' reads stdin"
    )
    parser.add_argument(
        "--stdin-filename",
        metavar="PATH",
        help="the name of the file read from stdin (for output, per-file-ignores and excludes)",
    )
    parser.add_argument(
        "--select",
        action="append",
        type=_codes_option,
        metavar="CODES",
        help="comma-separated rule codes or prefixes to enable (replaces the configuration's select)",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        type=_codes_option,
        metavar="CODES",
        help="comma-separated rule codes or prefixes to disable",
    )
    parser.add_argument(
        "--extend-select",
        action="append",
        type=_codes_option,
        metavar="CODES",
        help="comma-separated rule codes or prefixes to enable in addition",
    )
    parser.add_argument(
        "--output-format",
        "--format",
        dest="format",
        choices=(*FORMATS, *FORMAT_ALIASES),
        default="concise",
        help="output format (default: concise; text is concise)",
    )
    parser.add_argument(
        "--show-source",
        action="store_const",
        dest="format",
        const="full",
        help="the same as --output-format full: each finding with its source and a help line",
    )
    parser.add_argument("--output-file", "-o", metavar="PATH", help="write the report to PATH, not stdout")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    parser.add_argument(
        "--statistics",
        action="store_true",
        help="show how many findings each rule produced instead of the findings",
    )
    parser.add_argument(
        "--add-noqa",
        action="store_true",
        help="add a '# noqa: SEGxxx' comment for each current finding (merged into an existing '# noqa')",
    )
    parser.add_argument(
        "--color",
        choices=("always", "never", "auto"),
        default="auto",
        help="colour the output (default: auto: on a terminal, unless NO_COLOR is set)",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="use this configuration file for every file (default: each file's closest .seglint.toml, "
        "seglint.toml or pyproject.toml with [tool.seglint])",
    )
    parser.add_argument(
        "--fix", action="store_true", help="apply safe fixes (and unsafe ones with --unsafe-fixes)"
    )
    parser.add_argument(
        "--unsafe-fixes", action="store_true", help="also apply (or show) fixes that may change behaviour"
    )
    parser.add_argument(
        "--diff",
        action="store_true",
        help="print the changes --fix would make and write nothing; exit 1 if there are any",
    )
    parser.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply excludes to paths named on the command line too (for pre-commit)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print findings only: no summary, warnings or progress"
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the cache of per-file results"
    )
    parser.add_argument(
        "--cache-dir",
        metavar="PATH",
        help="where to keep the cache (default: .seglint_cache next to the configuration, or in the cwd)",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=_positive_int,
        metavar="N",
        help="worker processes (default: as many as the work pays for, up to the number of CPUs)",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    return parser


def _flatten(groups: list[list[str]] | None) -> tuple[str, ...] | None:
    return None if groups is None else tuple(code for group in groups for code in group)


@dataclass
class _Run:
    """What one check run produced, for the exit status and the output."""

    results: list[FileResult] = field(default_factory=list)
    fixed: int = 0
    diffs: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # a file's text as checked, where it is not on disk
    noqa_added: int = 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run seglint with ``argv`` (default: ``sys.argv[1:]``) and return the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] in SUBCOMMANDS:
            return _rules_command(args)
        return _check(args[1:] if args and args[0] == CHECK else args)
    except SeglintError as exc:
        print(f"seglint: error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    except BrokenPipeError:  # e.g. `seglint | head`
        sys.stderr.close()
        return 1


# --- seglint rule / rules -------------------------------------------------------------------------


def _rules_command(args: list[str]) -> int:
    from seglint.rules import ALL_RULES, RULES_BY_CODE

    if args[0] == "rule":
        parser = _Parser(prog="seglint rule", description="Print a rule's documentation.")
        parser.add_argument(
            "code", metavar="CODE", help="a rule's code (SEG001) or name (probabilities-as-logits)"
        )
        parser.add_argument(
            "--output-format", "--format", dest="format", choices=("text", "json"), default="text"
        )
        options = parser.parse_args(args[1:])
        by_name = {r.name: r for r in ALL_RULES}
        rule = RULES_BY_CODE.get(options.code.upper()) or by_name.get(options.code.lower())
        if rule is None:
            valid = ", ".join(r.code for r in ALL_RULES)
            raise UsageError(
                f"unknown rule {options.code!r}; valid: {valid} or their names ({', '.join(by_name)})"
            )
        if options.format == "json":
            _write(sys.stdout, _rule_json([rule], single=True))
        else:
            _write(sys.stdout, _rule_text(rule))
        return 0

    parser = _Parser(prog="seglint rules", description="List every rule.")
    parser.add_argument(
        "--output-format", "--format", dest="format", choices=("text", "json"), default="text"
    )
    options = parser.parse_args(args[1:])
    if options.format == "json":
        _write(sys.stdout, _rule_json(ALL_RULES, single=False))
        return 0
    name_width = max(len(r.name) for r in ALL_RULES)
    lines = []
    for rule in ALL_RULES:
        marker = "[*]" if rule.fix_availability != "none" else "   "
        lines.append(f"{rule.code}  {marker}  {rule.name:<{name_width}}  {rule.summary}")
    lines.append("")
    lines.append(
        "[*] a fix is available for some findings. `seglint rule CODE` prints a rule's documentation."
    )
    _write(sys.stdout, "\n".join(lines) + "\n")
    return 0


def _rule_text(rule: Any) -> str:
    """A rule's documentation under a title naming it both ways, as ``ruff rule`` prints it."""
    fix = "Fix is sometimes available.\n\n" if rule.fix_availability != "none" else ""
    return f"# {rule.name} ({rule.code})\n\n{fix}" + rule.doc.rstrip("\n") + "\n"


def _rule_json(rules: Sequence[Any], *, single: bool) -> str:
    import json

    data = [
        {
            "code": r.code,
            "name": r.name,
            "summary": r.summary,
            "severity": r.severity,
            "fix_availability": r.fix_availability,
            "doc": r.doc,
        }
        for r in rules
    ]
    return json.dumps(data[0] if single else data, indent=2) + "\n"


# --- seglint [PATH ...] ---------------------------------------------------------------------------


def _check(argv: list[str]) -> int:
    options = _check_parser().parse_args(argv)
    if options.version:
        _write(sys.stdout, f"seglint {__version__}\n")
        return 0
    if options.format in FORMAT_ALIASES:
        options.format = FORMAT_ALIASES[options.format]
    exclusive = [name for name, on in (("--fix", options.fix), ("--diff", options.diff)) if on]
    if options.add_noqa and exclusive:
        raise UsageError(f"--add-noqa cannot be combined with {' or '.join(exclusive)}")

    from seglint.config import Configurations, RuleSelection, validate_selectors
    from seglint.rules import ALL_RULES

    codes = tuple(rule.code for rule in ALL_RULES)
    cwd = Path.cwd()
    configurations = Configurations(
        cwd=cwd, codes=codes, config=Path(options.config) if options.config else None
    )
    select = _flatten(options.select)
    cli = RuleSelection(
        select=None if select is None else validate_selectors("--select", select, codes),
        extend_select=validate_selectors("--extend-select", _flatten(options.extend_select) or (), codes),
        ignore=validate_selectors("--ignore", _flatten(options.ignore) or (), codes),
    )
    stdin = options.paths == ["-"] or (not options.paths and options.stdin_filename is not None)
    if "-" in options.paths and not stdin:
        raise UsageError("'-' (stdin) cannot be combined with other paths")
    if options.stdin_filename is not None and not stdin:
        raise UsageError("--stdin-filename needs '-' (stdin) as the only path")
    if stdin:
        if options.add_noqa:
            raise UsageError("--add-noqa writes files: it cannot read stdin")
        return _check_stdin(options, configurations, cli, codes, cwd)

    from seglint.diagnostics import FileResult
    from seglint.discovery import discover

    found = discover(options.paths, configurations, cwd=cwd, force_exclude=options.force_exclude)
    for warning in found.warnings:
        _warn(warning, options)
    run = _Run(results=[FileResult(error.path, error=error) for error in found.errors])
    groups = _by_settings(found.files, configurations, cwd)
    selections = {
        path: _enabled(path, settings, cli, codes, cwd) for _, members in groups for path, settings in members
    }
    _warn_if_nothing_checked(options, found.files, found.excluded, found.errors, selections)
    progress = _Progress(len(found.files), quiet=options.quiet)
    if options.fix or options.diff:
        from seglint.runner import text_linter

        for shared, members in groups:
            spec = _catalogue_spec(shared)
            lint = text_linter(spec, limits=shared.limits, checked=found.files, warn=_warner(options))
            for path, _settings in members:
                run.results.append(_check_file(path, selections[path], options, run, lint))
                progress.advance()
        progress.done()
        return _report(run, options, ALL_RULES)

    from seglint.runner import Job, lint_files

    for shared, members in groups:
        run.results += lint_files(
            [Job(path, selections[path]) for path, _settings in members],
            _catalogue_spec(shared),
            cache_dir=_cache_dir(options, configurations.run, cwd),
            workers=options.jobs,
            limits=shared.limits,
            warn=_warner(options),
            progress=progress.advance,
        )
    progress.done()
    if options.add_noqa:
        return _add_noqa(run, options)
    return _report(run, options, ALL_RULES)


def _warn_if_nothing_checked(
    options: argparse.Namespace,
    files: Sequence[str],
    excluded: Sequence[str],
    errors: Sequence[object],
    selections: dict[str, frozenset[str]],
) -> None:
    """What ruff users miss: a run that checked nothing says so (and still exits 0)."""
    named = options.paths or ["."]
    if files and not any(selections.values()):
        _warn("no rule is selected: check --select, --ignore and the configuration's select", options)
    elif files or errors:
        return
    elif excluded and len(excluded) == len(named):
        _warn(f"every path named was excluded ({', '.join(excluded)}); nothing was checked", options)
    else:
        where = ", ".join(named)
        _warn(f"no Python files found in {where} (after excludes and ignore files)", options)


class _Progress:
    """Files done / total on stderr, on a terminal only, once a run has taken more than
    PROGRESS_AFTER_SECONDS; wiped when the run ends so the report starts on a clean line."""

    def __init__(self, total: int, *, quiet: bool) -> None:
        import time

        self._clock = time.monotonic
        self._start = self._clock()
        self._total = total
        self._done = 0
        self._shown = False
        self._enabled = total > 1 and not quiet and _isatty(sys.stderr)

    def advance(self) -> None:
        self._done += 1
        if self._enabled and self._clock() - self._start >= PROGRESS_AFTER_SECONDS:
            sys.stderr.write(f"\rseglint: {self._done}/{self._total} files")
            sys.stderr.flush()
            self._shown = True

    def done(self) -> None:
        if self._shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self._shown = False


def _isatty(stream: object) -> bool:
    try:
        return bool(getattr(stream, "isatty", lambda: False)())
    except (OSError, ValueError):  # a closed stream
        return False


def _add_noqa(run: _Run, options: argparse.Namespace) -> int:
    """Add a ``# noqa`` for each finding, file by file, writing as ``--fix`` does."""
    from seglint.diagnostics import FileError, FileResult
    from seglint.noqa import add_noqa, add_notebook_noqa
    from seglint.notebook import is_notebook
    from seglint.output._shared import diagnostics_of
    from seglint.sources import read_source

    by_path: dict[str, list[Any]] = {}
    for diagnostic in diagnostics_of(run.results):
        by_path.setdefault(diagnostic.path, []).append(diagnostic)
    failed = [r for r in run.results if r.error is not None]
    for path, diagnostics in sorted(by_path.items()):
        source = read_source(path)
        if isinstance(source, FileError):
            failed.append(FileResult(path, error=source))
            continue
        if is_notebook(path):
            edited = add_notebook_noqa(source.text, diagnostics, path=path)
            if isinstance(edited, FileError):
                failed.append(FileResult(path, error=edited))
                continue
            text, added = edited
        else:
            text, added = add_noqa(source.text, diagnostics)
        error = _write_fixed(path, text, source.encoding, source.text)
        if error is not None:
            failed.append(FileResult(path, error=error))
        else:
            run.noqa_added += added
    _write(sys.stderr, _error_lines(failed))
    if not options.quiet:
        count = run.noqa_added
        _write(sys.stderr, f"Added {count} noqa directive{'s' if count != 1 else ''}.\n")
    return 2 if failed else 0


def _by_settings(
    files: Sequence[str], configurations: Configurations, cwd: Path
) -> list[tuple[Settings, list[tuple[str, Settings]]]]:
    """The files, each with its own settings (for rule selection), grouped by what the runner needs
    the same for all of them: the catalogue and the limits. Usually one group."""
    groups: dict[tuple[object, ...], tuple[Settings, list[tuple[str, Settings]]]] = {}
    for path in files:
        settings = configurations.for_path(Path(os.path.abspath(cwd / path)))
        if isinstance(settings, SeglintError):  # pragma: no cover - discovery held those files back
            raise settings
        key = (_catalogue_spec(settings), settings.limits)
        groups.setdefault(key, (settings, []))[1].append((path, settings))
    return list(groups.values())


def _catalogue_spec(settings: Settings) -> CatalogueSpec:
    from seglint.runner import CatalogueSpec

    return CatalogueSpec(
        libraries=settings.libraries,
        logits_losses=settings.logits_losses,
        log_probability_losses=settings.log_probability_losses,
        probability_functions=settings.probability_functions,
    )


def _cache_dir(options: argparse.Namespace, settings: Settings, cwd: Path) -> Path | None:
    if options.no_cache:
        return None
    if options.cache_dir:
        return Path(os.path.abspath(cwd / options.cache_dir))
    return settings.root / ".seglint_cache"


def _enabled(
    path: str, settings: Settings, cli: RuleSelection, codes: tuple[str, ...], cwd: Path
) -> frozenset[str]:
    """The rules for ``path``, under the settings that govern it."""
    from seglint.config import enabled_codes

    return enabled_codes(settings, Path(os.path.abspath(cwd / path)), codes=codes, cli=cli)


def _check_file(
    path: str,
    select: frozenset[str],
    options: argparse.Namespace,
    run: _Run,
    lint: Callable[[str, str, frozenset[str]], FileResult],
) -> FileResult:
    """Fix (or, with --diff, show the fixes for) one file."""
    from seglint.diagnostics import FileError, FileResult
    from seglint.fixer import file_diff, fix_file_text
    from seglint.sources import read_source

    source = read_source(path)
    if isinstance(source, FileError):
        return FileResult(path, error=source)
    outcome = fix_file_text(
        source.text, lambda text: lint(text, path, select), path=path, unsafe_fixes=options.unsafe_fixes
    )
    if outcome.fixed:
        if options.diff:
            run.diffs.append(file_diff(source.text, outcome.source, path))
            run.texts[path] = outcome.source
        else:
            error = _write_fixed(path, outcome.source, source.encoding, source.text)
            if error is not None:
                return FileResult(path, error=error)
        run.fixed += outcome.fixed
    return outcome.result


def _write_fixed(path: str, text: str, encoding: str, original: str) -> FileError | None:
    """Write a changed file as the fixer does (atomically, never out of the project through a link,
    never over a file changed meanwhile); the reason it could not be, as that file's error."""
    from seglint.diagnostics import FileError
    from seglint.fixer import write_source
    from seglint.roots import find_root

    try:
        root = find_root(Path(os.path.abspath(path)).parent).path  # where the link is, not its target
        write_source(path, text, encoding, inside=root, original=original)
    except (OSError, UnicodeEncodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return FileError(path, 0, 0, f"could not write the fix: {reason}")
    return None


def _check_stdin(
    options: argparse.Namespace,
    configurations: Configurations,
    cli: RuleSelection,
    codes: tuple[str, ...],
    cwd: Path,
) -> int:
    from seglint.diagnostics import FileError, FileResult
    from seglint.discovery import is_excluded
    from seglint.rules import ALL_RULES
    from seglint.sources import decode_source, encode_source

    data = sys.stdin.buffer.read()
    path = options.stdin_filename or "-"
    named = Path(os.path.abspath(cwd / path))
    governing = configurations.for_path(named) if options.stdin_filename else configurations.run
    if isinstance(governing, SeglintError):
        raise governing  # the configuration of the one file there is
    settings = governing
    fixing = options.fix and not options.diff
    excluded = (
        options.stdin_filename is not None and options.force_exclude and is_excluded(named, configurations)
    )
    source = decode_source(data, path)
    if excluded or isinstance(source, FileError):
        if fixing:
            _write_bytes(data)  # the input, unchanged
        results = [FileResult(path, error=source)] if isinstance(source, FileError) and not excluded else []
        return _report(_Run(results=results), options, ALL_RULES, stream=sys.stderr if fixing else sys.stdout)

    from seglint.runner import text_linter

    select = _enabled(path, settings, cli, codes, cwd)
    lint = text_linter(_catalogue_spec(settings), limits=settings.limits, warn=_warner(options))
    if not (options.fix or options.diff):
        checked = _Run(results=[lint(source.text, path, select)], texts={path: source.text})
        return _report(checked, options, ALL_RULES)

    from seglint.fixer import file_diff, fix_file_text

    outcome = fix_file_text(
        source.text, lambda text: lint(text, path, select), path=path, unsafe_fixes=options.unsafe_fixes
    )
    run = _Run(results=[outcome.result], fixed=outcome.fixed, texts={path: outcome.source})
    if options.diff:
        if outcome.fixed:
            run.diffs.append(file_diff(source.text, outcome.source, path))
        return _report(run, options, ALL_RULES)
    try:
        fixed_bytes = encode_source(outcome.source, source.encoding)
    except UnicodeEncodeError as exc:
        fixed_bytes = data
        run.results = [FileResult(path, error=FileError(path, 0, 0, f"could not encode the fix: {exc}"))]
    _write_bytes(fixed_bytes)
    return _report(run, options, ALL_RULES, stream=sys.stderr)


# --- reporting ------------------------------------------------------------------------------------


def _use_color(stream: TextIO, choice: str = "auto") -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _isatty(stream)


def _error_lines(results: Sequence[FileResult], choice: str = "auto") -> str:
    from seglint.output import text

    failed = [r for r in results if r.error is not None]
    return text.render(failed, summary=False, color=_use_color(sys.stderr, choice))


def _sources(run: _Run) -> dict[str, str]:
    """The text of each file a finding (or its evidence) is in, for frames and fingerprints: as
    checked where the run holds it (stdin, --diff), else as on disk now."""
    from seglint.output._shared import diagnostics_of
    from seglint.sources import read_text

    wanted = {place.path for d in diagnostics_of(run.results) for place in (d, *d.related)}
    found = {}
    for path in sorted(wanted):
        text = run.texts.get(path)
        if text is None:
            text = read_text(Path(path))
        if text is not None:
            found[path] = text
    return found


def _color_diff(diff: str) -> str:
    from seglint.output.text import BOLD, CYAN, RED, RESET

    green = "\x1b[32m"
    lines = []
    for line in diff.splitlines(keepends=True):
        body, end = line.rstrip("\r\n"), line[len(line.rstrip("\r\n")) :]
        style = (
            BOLD
            if line.startswith(("---", "+++"))
            else CYAN
            if line.startswith("@@")
            else RED
            if line.startswith("-")
            else green
            if line.startswith("+")
            else ""
        )
        lines.append(f"{style}{body}{RESET}{end}" if style else line)
    return "".join(lines)


def _render(
    run: _Run, results: list[FileResult], options: argparse.Namespace, rules: Sequence[Any], color: bool
) -> str:
    from seglint.output import full, github, gitlab, junit, sarif, statistics, text
    from seglint.output import json as json_output

    if options.statistics:
        render = statistics.render_json if options.format == "json" else statistics.render
        return render(results, unsafe_fixes=options.unsafe_fixes)
    summary = {"unsafe_fixes": options.unsafe_fixes, "summary": not options.quiet, "fixed": run.fixed}
    if options.format == "concise":
        return text.render(results, color=color, **summary)
    if options.format == "full":
        return full.render(results, sources=_sources(run), rules=rules, color=color, **summary)
    if options.format == "json":
        return json_output.render(results)
    if options.format == "sarif":
        return sarif.render(results, rules=rules, tool_version=__version__)
    if options.format == "gitlab":
        return gitlab.render(results, sources=_sources(run))
    if options.format == "junit":
        return junit.render(results)
    return github.render(results)


#: Formats whose document already carries the files that could not be checked.
_ERRORS_INSIDE = ("concise", "full", "sarif", "github", "gitlab", "junit")


def _report(
    run: _Run, options: argparse.Namespace, rules: Sequence[Any], *, stream: TextIO | None = None
) -> int:
    """Print the run's output (to ``--output-file`` when given) and return the exit status."""
    from seglint.output._shared import diagnostics_of, errors_of

    results = sorted(run.results, key=lambda r: r.path)
    errors = errors_of(results)
    remaining = diagnostics_of(results)
    to_file = options.output_file is not None
    out = stream or sys.stdout
    color = False if to_file else _use_color(out, options.color)

    if options.diff:
        diff = "".join(run.diffs)
        _emit(options, out, _color_diff(diff) if color else diff)
        _write(sys.stderr, _error_lines(results, options.color))
        if not options.quiet:
            would = (
                f"Would fix {run.fixed} finding{'s' if run.fixed != 1 else ''}."
                if run.fixed
                else "No fixes would be made."
            )
            _write(sys.stderr, would + "\n")
        return 2 if errors else (1 if run.diffs else 0)

    _emit(options, out, _render(run, results, options, rules, color))
    if options.statistics or options.format not in _ERRORS_INSIDE:
        _write(sys.stderr, _error_lines(results, options.color))
    if errors:
        return 2
    if remaining and not options.exit_zero:
        return 1
    return 0


def _emit(options: argparse.Namespace, out: TextIO, report: str) -> None:
    """The report to ``--output-file`` (its directories made as needed) or to ``out``."""
    if options.output_file is None:
        _write(out, report)
        return
    target = Path(options.output_file)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(report, encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"--output-file {options.output_file}: could not write: {exc.strerror or exc}"
        ) from None


def _warner(options: argparse.Namespace) -> Callable[[str], None]:
    return lambda message: _warn(message, options)


def _warn(message: str, options: argparse.Namespace | None = None) -> None:
    if options is not None and options.quiet:
        return
    _write(sys.stderr, f"seglint: warning: {message}\n")


def _write(stream: TextIO, text: str) -> None:
    if text:
        stream.write(text)
        stream.flush()


def _write_bytes(data: bytes) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
