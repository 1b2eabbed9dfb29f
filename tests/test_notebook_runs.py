"""Notebooks through the runner: findings across cells placed by cell, the cache, a broken notebook next
to good files, loss providers imported by a notebook, and notebooks of other languages."""

from __future__ import annotations

from pathlib import Path

from seglint.runner import CatalogueSpec, Job, lint_files
from tests.notebooks import notebook

SELECT = frozenset({"SEG001", "SEG002", "SEG003", "SEG004", "SEG005"})
MODEL = (
    "import torch\nimport torch.nn as nn\n\n\nclass Net(nn.Module):\n    def forward(self, x):\n"
    "        return self.head(x).softmax(dim=1)\n"
)
TRAIN = "model = Net()\ncriterion = nn.CrossEntropyLoss()\n"
LOOP = "for images, masks in loader:\n    loss = criterion(model(images), masks)\n"


def run(paths: list[Path], cache: Path | None = None):
    jobs = [Job(str(path), SELECT) for path in paths]
    return lint_files(jobs, CatalogueSpec(), cache_dir=cache, workers=1)


def test_a_model_from_one_cell_trained_in_another_is_found_at_its_cell(tmp_path: Path) -> None:
    path = tmp_path / "train.ipynb"
    path.write_text(notebook(("code", MODEL), ("markdown", "## Train"), ("code", TRAIN), ("code", LOOP)))
    (result,) = run([path])
    assert result.error is None
    (finding,) = result.diagnostics
    assert finding.code == "SEG001"
    assert finding.notebook is not None and finding.notebook.cell == 4
    assert (finding.span.line, finding.span.column) == (2, 12)
    assert "(cell 1, line 7)" in finding.message


def test_a_cached_notebook_result_equals_the_computed_one(tmp_path: Path) -> None:
    path = tmp_path / "train.ipynb"
    path.write_text(notebook(("code", MODEL), ("code", TRAIN + LOOP)))
    (project := tmp_path / "pyproject.toml").write_text("")
    (first,) = run([path], tmp_path / "cache")
    (second,) = run([path], tmp_path / "cache")
    assert project.exists() and not first.from_cache and second.from_cache
    assert second == first and second.diagnostics[0].notebook == first.diagnostics[0].notebook
    assert first.diagnostics[0].related[0].notebook is not None
    assert second.diagnostics[0].related == first.diagnostics[0].related


def test_a_broken_notebook_is_an_error_of_its_own_next_to_good_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ipynb"
    broken.write_text(notebook(("code", MODEL))[:-40])
    old = tmp_path / "old.ipynb"
    old.write_text('{"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}')
    good = tmp_path / "train.ipynb"
    good.write_text(notebook(("code", MODEL + TRAIN + LOOP)))
    script = tmp_path / "script.py"
    script.write_text(MODEL + TRAIN + LOOP)
    results = {Path(r.path).name: r for r in run([broken, old, good, script])}
    assert results["broken.ipynb"].error is not None
    assert results["broken.ipynb"].error.reason.startswith("not a notebook: invalid JSON")
    assert (
        results["old.ipynb"].error is not None
        and "nbformat 3 is not supported" in results["old.ipynb"].error.reason
    )
    assert [d.code for d in results["train.ipynb"].diagnostics] == ["SEG001"]
    assert [d.code for d in results["script.py"].diagnostics] == ["SEG001"]


def test_a_syntax_error_is_reported_at_its_cell_and_line(tmp_path: Path) -> None:
    path = tmp_path / "train.ipynb"
    path.write_text(
        notebook(("code", MODEL), ("markdown", "x"), ("code", TRAIN + "loss = criterion(model(x),\n"))
    )
    (result,) = run([path])
    assert result.error is not None and result.error.notebook is not None
    assert (result.error.notebook.cell, result.error.line) == (3, 3)
    assert result.error.reason.startswith("syntax error: ")


def test_suppression_comments_work_inside_cells(tmp_path: Path) -> None:
    path = tmp_path / "train.ipynb"
    loops = (
        "loss = criterion(model(x), y)  # noqa: SEG001\n"
        "loss = criterion(model(x), y)  # seglint: ignore[SEG001]\n"
        "loss = criterion(model(x), y)  # noqa: E501\n"
    )
    path.write_text(notebook(("code", MODEL), ("code", TRAIN), ("code", loops)))
    (result,) = run([path])
    assert [(d.notebook.cell, d.span.line) for d in result.diagnostics if d.notebook] == [(3, 3)]


def test_magics_around_the_code_do_not_hide_it(tmp_path: Path) -> None:
    path = tmp_path / "train.ipynb"
    cells = (
        ("code", "%load_ext autoreload\n%autoreload 2\n!pip install -q torch\n" + MODEL),
        ("code", "%%time\n" + TRAIN + "model?\n" + LOOP),
        ("code", "%%bash\nloss = criterion(model(x), y)\n"),
    )
    path.write_text(notebook(*cells))
    (result,) = run([path])
    assert [(d.notebook.cell, d.span.line) for d in result.diagnostics if d.notebook] == [(2, 6)]


def test_a_loss_provider_imported_by_a_notebook_is_scanned_without_a_marker(tmp_path: Path) -> None:
    (tmp_path / "losses.py").write_text(
        "import torch.nn as nn\n\n\ndef make_loss():\n    return nn.CrossEntropyLoss()\n"
    )
    # The scan starts at the first notebook, which imports nothing: the second one's imports count.
    first = tmp_path / "a.ipynb"
    first.write_text(notebook(("code", MODEL + TRAIN + LOOP)))
    second = tmp_path / "b.ipynb"
    second.write_text(
        notebook(
            ("code", "from losses import make_loss\nimport torch\n"),
            ("code", "crit = make_loss()\nloss = crit(torch.softmax(x, dim=1), y)\n"),
        )
    )
    results = run([first, second])
    assert [[d.code for d in r.diagnostics] for r in results] == [["SEG001"], ["SEG001"]]


def test_a_notebook_of_another_language_is_not_read_as_python(tmp_path: Path) -> None:
    path = tmp_path / "analysis.ipynb"
    path.write_text(notebook(("code", "loss <- cross_entropy(softmax(x), y)"), language="R"))
    (result,) = run([path])
    assert result.error is None and result.diagnostics == ()
