"""seglint against ruff on real trees, in the same run: wall time, files per second, peak memory.

    pip install -e '.[bench]'
    python benchmarks/bench.py                       # MONAI and transformers, 3 repetitions
    python benchmarks/bench.py --tree path/to/src    # any tree
    python benchmarks/bench.py --scaling             # also 1x/2x/4x copies of the first tree and
                                                     # generated trees of 1,000 to 10,000 files
    python benchmarks/bench.py --corpus monai --scaling-only --repeat 1   # only those

Corpora are the sdists of MONAI and transformers from PyPI (``pip download --no-deps``), unpacked
under ``--cache-root`` (default ``~/.cache/seglint-bench``), outside the repository. Every number is
a median over ``--repeat`` runs of the whole process; ratios compare runs made in this same process,
on this same machine, one after the other. Peak memory is the largest resident set of the measured
process (``wait4``); worker processes are measured by the ``--jobs 1`` row.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

CORPORA = {"monai": "monai==1.6.1", "transformers": "transformers==5.24.0"}
#: What building each corpus's sdist metadata without isolation imports (``pip download
#: --no-build-isolation``): the ``bench`` extra must install all of it, and ruff (tests/test_benchmarks.py).
BUILD_REQUIREMENTS = {"monai": ("versioneer", "packaging", "torch", "numpy"), "transformers": ("setuptools",)}
SMALL_CLEAN = "import os\n\n\ndef main() -> None:\n    print(os.getcwd())\n"
SMALL_LOSS = (
    "import torch.nn.functional as F\n\n\n"
    "def step(logits, y):\n    return F.cross_entropy(F.softmax(logits, dim=1), y)\n"
)


@dataclass(frozen=True)
class Measure:
    label: str
    seconds: float
    peak_mib: float
    files: int

    @property
    def files_per_second(self) -> float:
        return self.files / self.seconds if self.seconds else float("inf")


def run_once(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one run of ``command``."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}:\n{stderr}")
    return elapsed, usage.ru_maxrss / 1024


def measure(label: str, command: list[str], cwd: Path, files: int, repeat: int) -> Measure:
    runs = [run_once(command, cwd) for _ in range(repeat)]
    return Measure(label, statistics.median(r[0] for r in runs), max(r[1] for r in runs), files)


def fetch(name: str, cache_root: Path) -> Path:
    """The unpacked sdist of a corpus, downloaded once."""
    requirement = CORPORA[name]
    target = cache_root / requirement.replace("==", "-")
    if target.is_dir():
        return target
    download = cache_root / "downloads"
    download.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--no-build-isolation",
            requirement,
            "-d",
            str(download),
        ],
        check=True,
    )
    archive = next(download.glob(requirement.replace("==", "-") + ".tar.gz"))
    unpack = cache_root / ".unpacking"
    shutil.rmtree(unpack, ignore_errors=True)
    with tarfile.open(archive) as tar:
        tar.extractall(unpack, filter="data")
    (inner,) = list(unpack.iterdir())
    inner.rename(target)
    shutil.rmtree(unpack)
    return target


def count_files(tree: Path) -> int:
    return sum(1 for _ in tree.rglob("*.py"))


def seglint(*options: str) -> list[str]:
    return [sys.executable, "-m", "seglint", "--exit-zero", "--quiet", *options]


def ruff(select: str) -> list[str]:
    return ["ruff", "check", "--no-cache", "--select", select, "--exit-zero", "--quiet"]


def bench_tree(name: str, tree: Path, repeat: int) -> list[Measure]:
    files = count_files(tree)
    rows = [
        measure("ruff --select ALL, cold", [*ruff("ALL"), str(tree)], tree, files, repeat),
        measure("ruff --select E9 (minimal), cold", [*ruff("E9"), str(tree)], tree, files, repeat),
        measure("seglint, cold", [*seglint("--no-cache"), str(tree)], tree, files, repeat),
        measure(
            "seglint --jobs 1, cold", [*seglint("--no-cache", "--jobs", "1"), str(tree)], tree, files, repeat
        ),
    ]
    with tempfile.TemporaryDirectory() as cache:
        run_once([*seglint("--cache-dir", cache), str(tree)], tree)  # fill the cache
        rows.append(
            measure("seglint, warm cache", [*seglint("--cache-dir", cache), str(tree)], tree, files, repeat)
        )
    print(f"\n### {name}: {tree} ({files} .py files)\n")
    print_table(rows)
    by_label = {row.label: row for row in rows}
    ruff_all = by_label["ruff --select ALL, cold"].seconds
    ruff_min = by_label["ruff --select E9 (minimal), cold"].seconds
    print(
        f"\nratio seglint/ruff ALL (cold): {by_label['seglint, cold'].seconds / ruff_all:.2f}; "
        f"warm seglint / cold ruff minimal: {by_label['seglint, warm cache'].seconds / ruff_min:.2f}"
    )
    return rows


def bench_precommit(repeat: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "pyproject.toml").write_text("[tool.seglint]\n")
        (root / "clean.py").write_text(SMALL_CLEAN)
        (root / "loss.py").write_text(SMALL_LOSS)
        rows = [
            measure("one small file, no loss code", seglint("--no-cache", "clean.py"), root, 1, repeat),
            measure("one small file with a loss", seglint("--no-cache", "loss.py"), root, 1, repeat),
            measure(
                "one small file with a loss, cache on (as pre-commit runs)",
                seglint("loss.py"),
                root,
                1,
                repeat,
            ),
            measure("python -c pass (interpreter start-up)", [sys.executable, "-c", "pass"], root, 1, repeat),
            measure("ruff, one small file", [*ruff("ALL"), "loss.py"], root, 1, repeat),
        ]
    print("\n### pre-commit latency (whole process)\n")
    print_table(rows)


GENERATED_CLEAN = "import os\n\n\ndef helper_{index}(path):\n    return os.path.join(path, '{index}')\n"
GENERATED_MODEL = (
    "import torch.nn as nn\nimport torch.nn.functional as F\n\n\nclass Net{index}(nn.Module):\n"
    "    def __init__(self):\n        super().__init__()\n        self.conv = nn.Conv2d(3, 4, 1)\n\n"
    "    def forward(self, x):\n        return F.softmax(self.conv(x), dim=1)\n"
)
GENERATED_TRAIN = (
    "import torch.nn as nn\nfrom {package}.mod{model} import Net{model}\n\n\n"
    "def train(loader):\n    model = Net{model}()\n    criterion = nn.CrossEntropyLoss()\n"
    "    for x, y in loader:\n        loss = criterion(model(x), y)\n        loss.backward()\n"
)


def generate_tree(root: Path, files: int) -> None:
    """``files`` modules in packages of 100: 80 % without loss code, 10 % models whose forward ends in a
    softmax, 10 % training loops that import a model of their package and feed it to a loss."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.seglint]\n")
    for index in range(files):
        package = f"pkg{index // 100:03d}"
        directory = root / package
        if index % 100 == 0:
            directory.mkdir(parents=True)
            (directory / "__init__.py").write_text("")
        slot = index % 10
        if slot == 8:
            text = GENERATED_MODEL.format(index=index)
        elif slot == 9:
            text = GENERATED_TRAIN.format(package=package, model=index - 1)
        else:
            text = GENERATED_CLEAN.format(index=index)
        (directory / f"mod{index}.py").write_text(text)


def bench_generated(repeat: int, sizes: tuple[int, ...] = (1_000, 2_500, 10_000)) -> None:
    """Peak memory on generated trees: it must grow with the files only by the project index's bytes
    per file (the findings, the provider index and the results kept for output), never by the trees'
    analyses, which are dropped file by file (at most MAX_CACHED_MODULES interpreters are kept)."""
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for size in sizes:
            root = Path(directory) / f"generated{size}"
            generate_tree(root, size)
            rows.append(
                measure(
                    f"{size:,} generated files, --jobs 1",
                    [*seglint("--no-cache", "--jobs", "1"), "."],
                    root,
                    size,
                    repeat,
                )
            )
            rows.append(
                measure(f"{size:,} generated files", [*seglint("--no-cache"), "."], root, size, repeat)
            )
    print("\n### scaling: generated trees (80 % clean, 10 % models, 10 % training loops)\n")
    print_table(rows)
    single = [row for row in rows if row.label.endswith("--jobs 1")]
    growth = (single[-1].peak_mib - single[0].peak_mib) * 1024 * 1024 / (single[-1].files - single[0].files)
    print(
        f"\npeak RSS growth, --jobs 1, {single[0].files:,} to {single[-1].files:,} files: {growth:,.0f} bytes per file"
    )


def bench_scaling(tree: Path, repeat: int) -> None:
    bench_generated(repeat)
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for factor in (1, 2, 4):
            copy = Path(directory) / f"x{factor}"
            for index in range(factor):
                shutil.copytree(tree, copy / f"copy{index}")
            files = count_files(copy)
            rows.append(
                measure(
                    f"{factor}x, --jobs 1",
                    [*seglint("--no-cache", "--jobs", "1"), str(copy)],
                    copy,
                    files,
                    repeat,
                )
            )
            rows.append(measure(f"{factor}x", [*seglint("--no-cache"), str(copy)], copy, files, repeat))
    print(f"\n### scaling: copies of {tree}\n")
    print_table(rows)


def print_table(rows: list[Measure]) -> None:
    print("| run | median wall | files/s | peak RSS |")
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row.label} | {row.seconds:.2f} s | {row.files_per_second:,.0f} | {row.peak_mib:.0f} MiB |")


def compile_seglint() -> None:
    """Write the bytecode of seglint's modules once, as installing a package does. Where
    ``PYTHONDONTWRITEBYTECODE`` is set (this project's sandboxes; some containers) an editable install
    has none, and every measured run would compile seglint from source again (0.1 s a run on MONAI),
    a cost that no installed copy pays and that ruff, a binary, never has."""
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import compileall, os, seglint; compileall.compile_dir(os.path.dirname(seglint.__file__), quiet=1)",
        ],
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", action="append", choices=sorted(CORPORA), help="default: all corpora")
    parser.add_argument("--tree", action="append", type=Path, help="benchmark this tree instead")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache-root", type=Path, default=Path.home() / ".cache" / "seglint-bench")
    parser.add_argument(
        "--scaling", action="store_true", help="also time 1x, 2x and 4x copies of the first tree"
    )
    parser.add_argument("--skip-precommit", action="store_true")
    parser.add_argument(
        "--scaling-only", action="store_true", help="only the scaling runs (no comparison with ruff)"
    )
    options = parser.parse_args()
    if shutil.which("ruff") is None:
        raise SystemExit("ruff is not installed: pip install -e '.[bench]'")

    version = subprocess.run(["ruff", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {version}"
    )
    compile_seglint()
    trees = [(str(tree), tree.resolve()) for tree in options.tree or []]
    if not trees:
        trees = [(name, fetch(name, options.cache_root)) for name in options.corpus or sorted(CORPORA)]
    if options.scaling_only:
        bench_scaling(trees[0][1], options.repeat)
        return
    for name, tree in trees:
        bench_tree(name, tree, options.repeat)
    if not options.skip_precommit:
        bench_precommit(max(options.repeat, 5))
    if options.scaling:
        bench_scaling(trees[0][1], options.repeat)


if __name__ == "__main__":
    main()
