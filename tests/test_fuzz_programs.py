"""seglint on generated loss code (tests/fuzz_programs.py): projects of one or two modules with
models, helpers, trainers, tuples and dicts. It never crashes or hits a limit, gives the same results
in any file order, with one or two workers and with a cold or warm cache; every fix parses, ``--fix``
twice is once and leaves nothing fixable; a safe fix keeps the loss ``compute`` returns, run with torch.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from seglint.diagnostics import FileResult
from seglint.fixer import fix_source
from seglint.rules import RULES_BY_CODE
from seglint.runner import CatalogueSpec, Job, lint_files, text_linter
from seglint.tolerances import precision_bits, tolerance
from tests.fuzz_programs import Program, programs
from tests.fuzzing import TorchWorker, check_fixes, check_result, fuzz_settings, show

ALL_CODES = frozenset(RULES_BY_CODE)


@contextmanager
def project(files: dict[str, str]) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "pyproject.toml").write_text("[tool.seglint]\n")
        for name, text in files.items():
            (root / name).write_text(text)
        yield root


def lint(paths: list[Path], **options: object) -> dict[str, FileResult]:
    jobs = [Job(str(path), ALL_CODES) for path in paths]
    return {r.path: r for r in lint_files(jobs, CatalogueSpec(), **options)}  # type: ignore[arg-type]


def check_project(files: dict[str, str], *, workers: bool = False) -> None:
    with project(files) as root:
        paths = sorted(root / name for name in files)
        first = lint(paths, cache_dir=None, workers=1)
        for result in first.values():
            check_result(result, (root / Path(result.path).name).read_text(), shown=lambda: show(files))
        assert lint(paths, cache_dir=None, workers=1) == first, show(files)
        assert lint(paths[::-1], cache_dir=None, workers=1) == first, show(files)
        cache = root / ".cache"
        assert lint(paths, cache_dir=cache, workers=1) == first, show(files)
        assert lint(paths, cache_dir=cache, workers=1) == first, show(files)  # from the cache
        if workers:
            assert lint(paths, cache_dir=None, workers=2) == first, show(files)
        linter = text_linter(CatalogueSpec(), checked=[str(p) for p in paths])
        for path in paths:
            check_fixes(
                path.read_text(),
                lambda text, p=str(path): linter(text, p, ALL_CODES),
                shown=lambda: show(files),
            )


@fuzz_settings(15)
@given(programs())
def test_generated_projects_lint_the_same_every_way_and_fix_cleanly(program: Program) -> None:
    check_project(program.files)


@fuzz_settings(3)
@given(programs())
def test_generated_projects_lint_the_same_with_two_workers(program: Program) -> None:
    check_project(program.files, workers=True)


def cli(root: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seglint", *options, "."],
        check=False,
        cwd=root,
        capture_output=True,
        text=True,
    )


@fuzz_settings(1)
@given(programs())
def test_the_cli_reports_the_same_with_jobs_and_cache_and_fixes_once(program: Program) -> None:
    with project(program.files) as root:
        plain = cli(root, "--output-format", "json", "--no-cache", "--jobs", "1")
        assert plain.returncode in (0, 1), plain.stderr + show(program.files)
        for options in (("--jobs", "2", "--no-cache"), ("--jobs", "1"), ("--jobs", "2")):
            again = cli(root, "--output-format", "json", *options)
            assert json.loads(again.stdout) == json.loads(plain.stdout), show(program.files)
        cli(root, "--fix", "--unsafe-fixes", "--no-cache")
        once = {name: (root / name).read_text() for name in program.files}
        cli(root, "--fix", "--unsafe-fixes", "--no-cache")
        assert {name: (root / name).read_text() for name in program.files} == once, show(program.files)


def safe_fixed(files: dict[str, str]) -> dict[str, str]:
    with project(files) as root:
        paths = sorted(root / name for name in files)
        linter = text_linter(CatalogueSpec(), checked=[str(p) for p in paths])
        # What --fix writes (the other invariants of fixes are checked by the test above).
        return {
            path.name: fix_source(
                path.read_text(), lambda text, p=str(path): linter(text, p, ALL_CODES)
            ).source
            for path in paths
        }


def check_same_loss(worker: TorchWorker, program: Program, *, seed: int, scale: float, dtype: str) -> bool:
    """Whether a safe fix changed the program; if so, that the loss is the same within tolerance."""
    fixed = safe_fixed(program.files)
    if fixed == program.files:
        return False
    shown = show(program.files) + "\n# ==== fixed\n" + show(fixed)
    with project(program.files) as before, project(fixed) as after:
        expected = worker.compute(before, seed=seed, scale=scale, dtype=dtype)
        actual = worker.compute(after, seed=seed, scale=scale, dtype=dtype)
    assert "error" not in expected, f"the generated program does not run: {expected['error']}\n{shown}"
    assert "error" not in actual, f"the fixed program does not run: {actual['error']}\n{shown}"
    # Removing an idempotent log_softmax changes the result by rounding only: log_softmax idempotence
    # in the table of seglint.tolerances, times the pixels a sum reduction adds up (32) and two losses.
    # The loss's own dtype: float64 inputs through a one-hot ``.float()`` compute in float32.
    computed = min((expected["dtype"], actual["dtype"]), key=precision_bits)
    rtol, atol = tolerance(computed, "symmetry", num_classes=3, max_abs_logit=10 * scale)
    allowed = 2 * 32 * atol + rtol * abs(expected["value"])
    assert abs(actual["value"] - expected["value"]) <= allowed, (
        f"a safe fix changed the loss from {expected['value']!r} to {actual['value']!r} "
        f"(allowed {allowed:.3g}; seed={seed}, scale={scale}, dtype={dtype}, computed in {computed})\n{shown}"
    )
    return True


SAFE_FIX_MAIN = (
    "import torch.nn.functional as F\nfrom parts import Net\n\n\ndef compute(logits, target):\n"
    "    out = Net()(logits)\n"
    "    return F.cross_entropy(F.log_softmax(out, dim=1), target) + F.nll_loss(out, target)\n"
)
SAFE_FIX_PARTS = (
    "from torch import nn\n\n\nclass Net(nn.Module):\n    def forward(self, x):\n"
    "        return nn.LogSoftmax(dim=1)(x * 2.0)\n"
)
A_SAFE_FIX = Program((("main.py", SAFE_FIX_MAIN), ("parts.py", SAFE_FIX_PARTS)))


@fuzz_settings(10)
@example(program=A_SAFE_FIX, seed=0, scale=1.0, dtype="float32")
@given(
    programs(producers=("log_softmax", "log_softmax", "softmax"), nll=False),
    st.integers(0, 2**31 - 1),
    st.sampled_from([0.1, 1.0, 5.0]),
    st.sampled_from(["float32", "float64"]),
)
def test_safe_fixes_keep_the_computed_loss(
    torch_worker: TorchWorker, program: Program, seed: int, scale: float, dtype: str
) -> None:
    changed = check_same_loss(torch_worker, program, seed=seed, scale=scale, dtype=dtype)
    assert changed or program != A_SAFE_FIX  # the explicit example does get a safe fix
