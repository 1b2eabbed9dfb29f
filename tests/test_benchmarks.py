"""``pip install -e '.[bench]'`` installs what ``python benchmarks/bench.py`` needs: its imports are the
standard library's, the tool it compares against (ruff) and what the corpora's sdists need to be
downloaded (their metadata is built without isolation) are in the ``bench`` extra."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks" / "bench.py"


def bench_extra() -> set[str]:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    return {re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower() for requirement in extras["bench"]}


def test_bench_imports_only_the_standard_library() -> None:
    tree = ast.parse(BENCH.read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported - {"__future__"} <= set(sys.stdlib_module_names)


def test_the_bench_extra_installs_ruff_and_what_the_corpora_need() -> None:
    sys.path.insert(0, str(BENCH.parent))
    try:
        import bench
    finally:
        sys.path.remove(str(BENCH.parent))
    assert '["ruff", "check"' in BENCH.read_text()
    assert set(bench.BUILD_REQUIREMENTS) == set(bench.CORPORA)
    needed = {"ruff", *(name for names in bench.BUILD_REQUIREMENTS.values() for name in names)}
    assert needed <= bench_extra()
