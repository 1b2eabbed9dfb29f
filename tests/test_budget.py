"""Cost bounded by work: a file past the analysis limits (seglint/analysis/budget.py) is reported as
``too complex to analyse (limit NAME=VALUE: ...)``, at the same count on every run; a module followed
for its summaries that goes past them names itself; nested loops cost linear work, not 2**depth.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from seglint.analysis.budget import DEFAULT_MAX_DEPTH, AnalysisLimits, limits_in_force
from seglint.engine import lint_source
from seglint.rules import RULES_BY_CODE
from seglint.runner import CatalogueSpec, Job, lint_files

ALL_CODES = frozenset(RULES_BY_CODE)
DEFAULT_LIMITS = AnalysisLimits()
HEADER = "import torch.nn.functional as F\n"


def lint(source: str, limits: AnalysisLimits = DEFAULT_LIMITS):
    with limits_in_force(limits):
        return lint_source(source, "case.py", select=ALL_CODES)


def many_statements(count: int) -> str:
    body = "".join(f"a{i} = {i}\n" for i in range(count))
    return HEADER + body + "F.cross_entropy(F.softmax(z, dim=1), y)\n"


def test_a_file_past_max_nodes_is_reported_with_the_limit_named() -> None:
    result = lint(many_statements(300), AnalysisLimits(max_nodes=100))
    assert result.diagnostics == ()
    assert result.error is not None
    assert result.error.reason == (
        "too complex to analyse (limit max-nodes=100: statements and expressions interpreted)"
    )
    assert [d.code for d in lint(many_statements(300)).diagnostics] == ["SEG001"]


def smallest_passing_limit(source: str) -> int:
    low, high = 1, 100_000  # low fails, high passes
    assert lint(source, AnalysisLimits(max_nodes=high)).error is None
    while high - low > 1:
        middle = (low + high) // 2
        if lint(source, AnalysisLimits(max_nodes=middle)).error is None:
            high = middle
        else:
            low = middle
    return high


def test_the_count_is_the_same_on_every_run() -> None:
    source = many_statements(40) + "def f(x):\n    for i in x:\n        x = F.softmax(x, 1)\n    return x\n"
    needed = smallest_passing_limit(source)
    for _ in range(3):
        assert lint(source, AnalysisLimits(max_nodes=needed)).error is None
        failing = lint(source, AnalysisLimits(max_nodes=needed - 1)).error
        assert failing is not None and f"max-nodes={needed - 1:,}" in failing.reason


def test_code_nested_past_max_depth_is_reported() -> None:
    source = HEADER + "p = F.softmax(z, 1)\nF.cross_entropy(p, y, weight=" + "-" * 30 + "w)\n"
    assert [d.code for d in lint(source).diagnostics] == ["SEG001"]
    result = lint(source, AnalysisLimits(max_depth=20))
    assert result.error is not None
    assert result.error.reason == "too complex to analyse (limit max-depth=20: code and calls nested)"


def test_loops_nested_thirty_deep_do_not_cost_two_to_the_thirty_passes() -> None:
    # Each loop body runs twice so that kinds carried around are seen: unless the second pass is
    # skipped when nothing new comes around, 30 nested loops would need 2**30 passes.
    lines = [HEADER.rstrip("\n"), "p = F.softmax(z, 1)"]
    lines += ["    " * depth + f"for i{depth} in range(2):" for depth in range(30)]
    lines.append("    " * 30 + "F.cross_entropy(p, y)")
    result = lint("\n".join(lines) + "\n", AnalysisLimits(max_nodes=5_000))
    assert result.error is None
    assert [d.code for d in result.diagnostics] == ["SEG001"]


def test_a_kind_carried_around_a_loop_is_still_seen_on_the_second_pass() -> None:
    source = (
        HEADER + "out = z\nfor i in range(3):\n    F.cross_entropy(out, y)\n    out = F.softmax(out, 1)\n"
    )
    assert [d.code for d in lint(source).diagnostics] == ["SEG001"]


def test_the_cli_reports_the_default_depth_limit_the_same_way_twice(tmp_path: Path) -> None:
    deep = tmp_path / "deep.py"
    deep.write_text(HEADER + "F.cross_entropy(" + "-" * (DEFAULT_MAX_DEPTH + 20) + "x, y)\n")
    runs = [
        subprocess.run(
            [sys.executable, "-m", "seglint", "deep.py"],
            check=False,
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        for _ in range(2)
    ]
    assert runs[0].returncode == 2
    assert runs[0].stdout.splitlines()[0] == (
        f"deep.py: error: too complex to analyse (limit max-depth={DEFAULT_MAX_DEPTH}: code and calls nested)"
    )
    assert runs[0].stdout == runs[1].stdout


def test_a_module_followed_past_the_limit_is_named_and_forgotten(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.seglint]\n")
    helper_body = "".join(f"    a{i} = {i}\n" for i in range(200))
    (tmp_path / "helpers.py").write_text(
        HEADER + "def probabilities(z):\n" + helper_body + "    return F.softmax(z, 1)\n"
    )
    user = "import torch.nn.functional as F\nfrom helpers import probabilities\n\n"
    (tmp_path / "user.py").write_text(user + "F.cross_entropy(probabilities(z), y)\n")
    (tmp_path / "other.py").write_text(user + "F.cross_entropy(F.softmax(z, 1), y)\n")
    jobs = [Job(str(tmp_path / name), ALL_CODES) for name in ("user.py", "other.py", "user.py")]
    with limits_in_force(AnalysisLimits(max_nodes=150)):
        first, other, again = lint_files(jobs, CatalogueSpec(), cache_dir=None, workers=1)
    assert first.error is not None and first.error.reason.startswith(
        "too complex to analyse (limit max-nodes=150: statements and expressions interpreted, reached in "
    )
    assert first.error.reason.endswith("helpers.py)")
    assert [d.code for d in other.diagnostics] == ["SEG001"]
    assert again.error == first.error  # not a partial summary left behind by the first run
    with limits_in_force(AnalysisLimits(max_nodes=5_000)):
        (found,) = lint_files(jobs[:1], CatalogueSpec(), cache_dir=None, workers=1)
    assert [d.code for d in found.diagnostics] == ["SEG001"]
