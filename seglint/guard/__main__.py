"""``python -m seglint.guard [--action warn|raise] script.py [args ...]`` or ``... -m module [args ...]``:
run a training script under the guard without editing it (Hydra, Lightning CLI, any entry point)."""

from __future__ import annotations

import argparse
import os
import runpy
import sys

from seglint.guard import watch

USAGE = "python -m seglint.guard [--action {warn,raise}] (script.py | -m module) [args ...]"


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(prog="python -m seglint.guard", usage=USAGE, description=__doc__)
    parser.add_argument("--action", choices=("warn", "raise"), default="warn", help="default: warn")
    parser.add_argument("-m", dest="module", metavar="module", help="run a module, as python -m does")
    # Everything from the script (or after -m module) on belongs to the program.
    ours, rest = [], list(argv)
    while rest and rest[0].startswith("-") and rest[0] != "-m":
        ours.append(rest.pop(0))
        if ours[-1] == "--action" and rest:
            ours.append(rest.pop(0))
    if rest[:1] == ["-m"]:
        ours += rest[:2]
        rest = rest[2:]
        return parser.parse_args(ours), rest
    options = parser.parse_args(ours)
    if not rest:
        parser.error("a script (or -m module) to run is required")
    return options, rest


def main(argv: list[str] | None = None) -> None:
    options, program = parse(sys.argv[1:] if argv is None else argv)
    with watch(options.action):
        if options.module:
            sys.argv = [options.module, *program]
            sys.path.insert(0, os.getcwd())
            runpy.run_module(options.module, run_name="__main__", alter_sys=True)
        else:
            script = program[0]
            if not os.path.isfile(script):
                sys.exit(f"python -m seglint.guard: error: no such script: {script!r}")
            sys.argv = list(program)
            sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
            runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
