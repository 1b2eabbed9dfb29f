"""seglint on arbitrary valid Python from the grammar (hypothesmith): as drawn, with a loss import and
call prepended (such programs rarely name a loss, so the prefilter would drop them), and as a module
of a project that another module imports everything from. Nothing crashes or hits a limit, the same
input gives the same result, every fix parses, and ``--fix`` twice is once.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import hypothesmith
from hypothesis import given

from seglint.engine import lint_source
from seglint.rules import RULES_BY_CODE
from seglint.runner import CatalogueSpec, Job, lint_files
from tests.fuzzing import check_fixes, check_result, fuzz_settings

ALL_CODES = frozenset(RULES_BY_CODE)
LOSS_PREFIX = "import torch\nimport torch.nn.functional as F\nF.cross_entropy(torch.softmax(x, dim=1), y)\n"
USER = "import torch.nn.functional as F\nfrom drawn import *\n\nF.cross_entropy(model(x), y)\nF.nll_loss(f(x), y)\n"


def lint(text: str):
    return lint_source(text, "drawn.py", select=ALL_CODES)


@fuzz_settings(15)
@given(hypothesmith.from_grammar())
def test_arbitrary_python_never_crashes_and_fixes_converge(source: str) -> None:
    for text in (source, LOSS_PREFIX + source):
        first = lint(text)
        check_result(first, text, shown=lambda t=text: t)
        assert lint(text) == first, text
        check_fixes(text, lint, shown=lambda t=text: t)


@fuzz_settings(8)
@given(hypothesmith.from_grammar())
def test_arbitrary_python_as_a_module_of_a_project(source: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "pyproject.toml").write_text("[tool.seglint]\n")
        (root / "drawn.py").write_text(LOSS_PREFIX + source)
        (root / "user.py").write_text(USER)
        jobs = [Job(str(root / name), ALL_CODES) for name in ("drawn.py", "user.py")]
        first = lint_files(jobs, CatalogueSpec(), cache_dir=None, workers=1)
        for result in first:
            check_result(result, Path(result.path).read_text(), shown=lambda: source)
        assert lint_files(jobs[::-1], CatalogueSpec(), cache_dir=None, workers=1)[::-1] == first, source
