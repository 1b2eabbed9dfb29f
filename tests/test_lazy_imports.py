"""Start-up stays light: libcst is imported only when a file passes the prefilter and misses the cache.

The benchmarks' small-file and pre-commit cases rest on this. Each probe is a fresh interpreter, so
``sys.modules`` shows exactly what the run imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BAD = "import torch.nn.functional as F\nloss = F.cross_entropy(F.softmax(x, dim=1), y)\n"
PROBE = """
import contextlib, io, json, sys

def heavy():
    return sorted({m.split(".")[0] for m in sys.modules} & {"libcst", "torch", "numpy", "hypothesis"})

report = {}
import seglint.runner, seglint.cli, seglint.config, seglint.discovery
report["import"] = heavy()
for stage, argv in json.loads(sys.argv[1]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = seglint.cli.main(argv)
    report[stage] = [status, out.getvalue(), heavy()]
print(json.dumps(report))
"""


def probe(cwd: Path, stages: list[tuple[str, list[str]]]) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(stages)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"},
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_libcst_is_imported_only_for_files_that_pass_the_prefilter_and_miss_the_cache(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.seglint]\n")
    (tmp_path / "plain.py").write_text("import torch\n\nx = torch.zeros(3).softmax(0)\n")
    (tmp_path / "bad.py").write_text(BAD)
    cache = ["--cache-dir", str(tmp_path / "cache")]
    cold = probe(tmp_path, [("prefiltered", [*cache, "plain.py"]), ("cold", [*cache, "bad.py"])])
    assert cold["import"] == []
    assert cold["prefiltered"] == [0, "All checks passed!\n", []]
    status, out, imported = cold["cold"]
    assert status == 1 and out.startswith("bad.py:2:8: SEG001 ")
    assert imported == ["libcst"]  # the probe sees an import when there is one
    warm = probe(tmp_path, [("warm", [*cache, "bad.py", "plain.py"])])
    assert warm["warm"] == [1, out, []]
