"""The README's main job: `seglint examples/` reports the buggy examples and exits 1.

The cache goes to a temporary directory: a cache in the checkout, written by an earlier version of
seglint's code under the same version number, would serve that code's findings.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_seglint_examples_reports_the_bugs_and_exits_1(tmp_path: Path) -> None:
    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "seglint", "--cache-dir", str(tmp_path / "cache"), "examples/"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )

    completed = run()
    assert completed.returncode == 1, completed.stderr
    reported = {line.split(":", 1)[0] for line in completed.stdout.splitlines() if ": SEG" in line}
    assert reported == {"examples/one_hot_as_prediction.py", "examples/softmax_into_cross_entropy.py"}
    assert "examples/one_hot_as_prediction.py:16:12: SEG002" in completed.stdout
    assert "examples/softmax_into_cross_entropy.py:20:16: SEG001" in completed.stdout
    assert list((tmp_path / "cache").rglob("*.json")), "the run wrote no cache entries"
    warm = run()
    assert (warm.returncode, warm.stdout) == (1, completed.stdout)
