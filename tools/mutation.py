"""Mutation testing of seglint's modules with mutmut, one module at a time.

    pip install -e '.[test,mutation]'
    python tools/mutation.py                 # every module in tools/mutation.toml
    python tools/mutation.py cache fixer     # only these
    python tools/mutation.py --list          # the modules and their tests
    python tools/mutation.py invariants --only 'seglint.invariants.contracts.*'   # some mutants only

For each module, a scratch copy of the working tree (tracked and untracked files that git does not
ignore) is made under ``--workdir`` (default ``.mutation/``), its ``pyproject.toml`` gets a
``[tool.mutmut]`` table with that module's files and tests, and ``mutmut run`` runs there, so the
checkout itself is never modified and modules never share mutmut's state. The Hypothesis ``ci``
profile (derandomized) is used, so a run is repeatable. The score of a module is the share of its
mutants that a test killed (a timeout counts as killed); the survivors, with their diffs, are written
to ``WORKDIR/MODULE/survivors.txt`` and the scores to ``WORKDIR/scores.json``.

Not part of the default ``pytest`` or of CI: a whole run takes tens of minutes on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
CONFIG = Path(__file__).with_name("mutation.toml")
KILLED = ("killed", "timeout", "caught by type check")


def load_config(path: Path = CONFIG) -> tuple[dict, dict[str, dict]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return data["mutmut"], data["modules"]


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def mutmut_table(shared: dict, module: dict) -> str:
    table = {**shared, "only_mutate": module["mutate"], "pytest_add_cli_args_test_selection": module["tests"]}
    return "\n[tool.mutmut]\n" + "".join(f"{key} = {toml_value(value)}\n" for key, value in table.items())


def tracked_files(root: Path) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8", "surrogateescape")
    return [name for name in listed.split("\0") if name and (root / name).is_file()]


def scratch_copy(root: Path, target: Path, table: str) -> None:
    if target.exists():
        shutil.rmtree(target)
    for name in tracked_files(root):
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, destination)
    pyproject = target / "pyproject.toml"
    if "[tool.mutmut]" in pyproject.read_text(encoding="utf-8"):
        raise SystemExit("pyproject.toml already has a [tool.mutmut] table; the script writes its own")
    with pyproject.open("a", encoding="utf-8") as stream:
        stream.write(table)


def mutmut(scratch: Path, *args: str, log: Path | None = None) -> str:
    environment = {**os.environ, "CI": "true", "HYPOTHESIS_PROFILE": "ci", "NO_COLOR": "1"}
    command = [sys.executable, "-m", "mutmut", *args]
    if log is None:
        return subprocess.run(
            command, cwd=scratch, env=environment, capture_output=True, text=True, check=True
        ).stdout
    with log.open("w", encoding="utf-8") as stream:
        subprocess.run(
            command, cwd=scratch, env=environment, stdout=stream, stderr=subprocess.STDOUT, check=False
        )
    return ""


def statuses(scratch: Path) -> dict[str, str]:
    """Mutant name -> mutmut's verdict, for every mutant of the run."""
    found = {}
    for line in mutmut(scratch, "results", "--all", "true").splitlines():
        name, separator, status = line.strip().rpartition(": ")
        if separator:
            found[name] = status
    return found


# `mutmut show NAME` for many mutants in one process (one `mutmut show` each takes a second).
_SHOW = """
import json, sys
from mutmut.mutation.diff_apply import find_mutant, get_diff_for_mutant
for name, status in json.loads(sys.stdin.read()):
    print(f"# {name}: {status}")
    print(get_diff_for_mutant(name, path=find_mutant(name).path))
    print()
"""


def survivor_diffs(scratch: Path, names: list[str], verdicts: dict[str, str]) -> str:
    if not names:
        return ""
    return subprocess.run(
        [sys.executable, "-c", _SHOW],
        cwd=scratch,
        input=json.dumps([(name, verdicts[name]) for name in names]),
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def score(verdicts: dict[str, str]) -> dict[str, object]:
    """Killed share of the mutants that ran (``skipped``: a pragma; ``not checked``: left out by --only)."""
    counted = {name: status for name, status in verdicts.items() if status not in ("skipped", "not checked")}
    tally = Counter(counted.values())
    killed = sum(tally[status] for status in KILLED)
    return {
        "mutants": len(counted),
        "killed": killed,
        "survived": len(counted) - killed,
        "by_status": dict(sorted(tally.items())),
        "score": round(killed / len(counted), 4) if counted else None,
    }


def run_module(
    name: str, shared: dict, module: dict, workdir: Path, jobs: int, only: list[str]
) -> dict[str, object]:
    scratch = workdir / name
    scratch_copy(ROOT, scratch, mutmut_table(shared, module))
    started = time.monotonic()
    mutmut(scratch, "run", "--max-children", str(jobs), *only, log=workdir / f"{name}.log")
    verdicts = statuses(scratch)
    if not verdicts:
        raise SystemExit(f"{name}: mutmut produced no results; see {workdir / f'{name}.log'}")
    survivors = sorted(
        mutant for mutant, status in verdicts.items() if status not in (*KILLED, "skipped", "not checked")
    )
    (scratch / "survivors.txt").write_text(survivor_diffs(scratch, survivors, verdicts), encoding="utf-8")
    return {**score(verdicts), "seconds": round(time.monotonic() - started), "survivors": survivors}


def main(argv: list[str] | None = None) -> int:
    shared, modules = load_config()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE", help=f"default: all of {', '.join(modules)}")
    parser.add_argument("--workdir", type=Path, default=ROOT / ".mutation", help="scratch copies and results")
    parser.add_argument(
        "--jobs", type=int, default=1, help="mutants tested at once (default 1: a shared machine)"
    )
    parser.add_argument("--list", action="store_true", help="print the modules and their tests, run nothing")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="GLOB",
        help="run only the mutants whose names match (mutmut's names, e.g. 'seglint.cache.*'); repeatable",
    )
    options = parser.parse_args(argv)
    unknown = sorted(set(options.modules) - set(modules))
    if unknown:
        parser.error(f"unknown module(s) {', '.join(unknown)}; known: {', '.join(modules)}")
    chosen = options.modules or list(modules)
    if options.list:
        for name in chosen:
            print(f"{name}: {' '.join(modules[name]['mutate'])}  <-  {' '.join(modules[name]['tests'])}")
        return 0
    options.workdir.mkdir(parents=True, exist_ok=True)
    scores_path = options.workdir / "scores.json"
    scores = json.loads(scores_path.read_text(encoding="utf-8")) if scores_path.exists() else {}
    for name in chosen:
        print(f"{name}: mutating {' '.join(modules[name]['mutate'])} ...", flush=True)
        scores[name] = run_module(name, shared, modules[name], options.workdir, options.jobs, options.only)
        scores_path.write_text(json.dumps(scores, indent=2) + "\n", encoding="utf-8")
        result = scores[name]
        print(
            f"{name}: {result['killed']}/{result['mutants']} killed ({result['score']:.1%}), "
            f"{result['seconds']} s; survivors in {options.workdir / name / 'survivors.txt'}",
            flush=True,
        )
    print(f"\n{'module':<12} {'mutants':>7} {'killed':>7} {'score':>7}")
    for name in chosen:
        result = scores[name]
        print(f"{name:<12} {result['mutants']:>7} {result['killed']:>7} {result['score']:>7.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
