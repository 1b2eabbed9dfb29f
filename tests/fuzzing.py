"""Shared by the fuzz tests: example counts, the invariants every lint and fix must keep, and a torch
worker process that runs generated programs with a timeout.

Example counts: each fuzz test has a small default that keeps the default ``pytest`` fast (about 15 s
for all of them under the ``ci`` profile); ``SEGLINT_FUZZ_EXAMPLES=N`` runs N examples of each, e.g.

    SEGLINT_FUZZ_EXAMPLES=2500 HYPOTHESIS_PROFILE=thorough pytest tests/test_fuzz_*.py -p no:cacheprovider

An input that ever failed goes into ``tests/fuzz_corpus/`` (see its README), replayed by every run.
"""

from __future__ import annotations

import ast
import json
import os
import select
import subprocess
import sys
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

from hypothesis import HealthCheck, settings

from seglint.diagnostics import FileResult, is_applicable
from seglint.fixer import apply_edits, fix_source

TORCH_WORKER = Path(__file__).with_name("fuzz_torch_worker.py")
CORPUS = Path(__file__).with_name("fuzz_corpus")


def fuzz_settings(default: int) -> settings:
    """The active profile with ``max_examples`` from ``SEGLINT_FUZZ_EXAMPLES`` (else ``default``)."""
    examples = int(os.environ.get("SEGLINT_FUZZ_EXAMPLES", "0") or 0) or default
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


def parses(text: str) -> bool:
    try:
        with warnings.catch_warnings():  # hypothesmith's programs are full of them
            warnings.simplefilter("ignore", SyntaxWarning)
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def check_result(result: FileResult, source: str, *, shown: Callable[[], str]) -> None:
    """No internal error or limit hit, and every fix offered parses when applied alone."""
    if result.error is not None:
        assert not result.error.reason.startswith(("internal error", "too complex")), (
            f"{result.error.reason}\n{shown()}"
        )
    for diagnostic in result.diagnostics:
        if diagnostic.fix is None:
            continue
        fixed = apply_edits(source, diagnostic.fix.edits)
        assert parses(fixed), f"the fix of {diagnostic.code} does not parse:\n{fixed}\n{shown()}"


def check_fixes(source: str, lint: Callable[[str], FileResult], *, shown: Callable[[], str]) -> str:
    """``--fix`` (and ``--fix --unsafe-fixes``) twice is once, parses, and leaves no fixable finding;
    returns the safe-fixed text."""
    safe = ""
    for unsafe in (False, True):
        once = fix_source(source, lint, unsafe_fixes=unsafe)
        twice = fix_source(once.source, lint, unsafe_fixes=unsafe)
        assert twice.source == once.source, f"--fix twice differs from once (unsafe={unsafe}):\n{shown()}"
        assert twice.fixed == 0
        assert parses(once.source), f"--fix wrote code that does not parse:\n{once.source}\n{shown()}"
        left = [d.code for d in once.result.diagnostics if is_applicable(d.fix, unsafe_fixes=unsafe)]
        assert not left, f"--fix left fixable findings {left} (unsafe={unsafe}):\n{once.source}\n{shown()}"
        if not unsafe:
            safe = once.source
    return safe


def show(files: Mapping[str, str]) -> str:
    return "".join(f"# ---- {name}\n{text}" for name, text in sorted(files.items()))


class TorchWorker:
    """A Python process with torch imported, running ``compute`` of generated programs on demand."""

    def __init__(self, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self._process: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, str(TORCH_WORKER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                bufsize=1,
            )
        return self._process

    def compute(self, directory: Path, *, seed: int, scale: float, dtype: str) -> dict:
        """``main.compute(logits, target)`` of the project in ``directory`` on seeded inputs: ``{"value":
        float, "dtype": name}`` (the dtype it computed in) or ``{"error": text}``; an ``AssertionError``
        when it runs past the timeout."""
        process = self._start()
        assert process.stdin is not None and process.stdout is not None
        request = {"directory": str(directory), "seed": seed, "scale": scale, "dtype": dtype}
        process.stdin.write(json.dumps(request) + "\n")
        process.stdin.flush()
        ready, _, _ = select.select([process.stdout], [], [], self.timeout)
        if not ready:
            self.close()
            raise AssertionError(f"the program in {directory} ran past {self.timeout} s")
        line = process.stdout.readline()
        if not line:
            self.close()
            raise AssertionError(f"the torch worker died on {directory}")
        return json.loads(line)

    def close(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None
