"""``tools/mutation.py`` and its configuration: every module and test it names exists, the table it
writes for mutmut is valid TOML, and scores count what they say. (Running mutmut is not part of the
default suite: see the README's "Mutation testing".)"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("mutation_tool", ROOT / "tools" / "mutation.py")
assert _spec is not None and _spec.loader is not None
mutation = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mutation)


def test_every_configured_module_and_test_exists() -> None:
    shared, modules = mutation.load_config()
    assert set(modules) == {
        "cache",
        "runner",
        "cli",
        "output",
        "fixer",
        "suppression",
        "config",
        "invariants",
    }
    for name, module in modules.items():
        for pattern in module["mutate"]:
            assert list(ROOT.glob(pattern)), (name, pattern)
        for test in module["tests"]:
            assert (ROOT / test).exists(), (name, test)
    for path in shared["also_copy"]:
        assert (ROOT / path).exists(), path


def test_the_table_written_for_mutmut_is_valid_toml() -> None:
    shared, modules = mutation.load_config()
    table = tomllib.loads(mutation.mutmut_table(shared, modules["cache"]))["tool"]["mutmut"]
    assert table["only_mutate"] == ["seglint/cache.py"]
    assert table["pytest_add_cli_args_test_selection"] == modules["cache"]["tests"]
    assert table["use_git_change_detection"] is False
    assert table["source_paths"] == ["seglint/"]


def test_scores_count_timeouts_as_killed_and_leave_out_skipped_mutants() -> None:
    verdicts = {"a": "killed", "b": "timeout", "c": "survived", "d": "no tests", "e": "skipped"}
    assert mutation.score(verdicts) == {
        "mutants": 4,
        "killed": 2,
        "survived": 2,
        "by_status": {"killed": 1, "no tests": 1, "survived": 1, "timeout": 1},
        "score": 0.5,
    }


def test_mutants_left_out_by_only_are_not_counted() -> None:
    assert mutation.score({"a": "killed", "b": "not checked", "c": "survived"})["mutants"] == 2
