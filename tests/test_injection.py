"""Models and losses handed to another module's functions and classes: the findings that a call site
makes in the callee's file, reported when the run checks the caller (tests/fixtures/projects/injection)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.expectations import expected_findings
from tests.test_cli import seglint

PROJECT = Path(__file__).parent / "fixtures" / "projects" / "injection"
ENGINE = "segtrain/engine.py"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "injection"
    shutil.copytree(PROJECT, copy)
    return copy


def findings(project: Path, *args: str) -> list[tuple[str, int, str]]:
    completed = seglint("--output-format", "json", *args, cwd=project)
    assert completed.returncode in (0, 1), completed.stderr
    return sorted((d["path"], d["line"], d["code"]) for d in json.loads(completed.stdout))


def expected(project: Path) -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(project.rglob("*.py")):
        relative = path.relative_to(project).as_posix()
        found.extend((relative, line, code) for line, code in expected_findings(path.read_text()))
    return sorted(found)


def test_the_whole_tree_reports_each_finding_in_the_callee_once(project: Path) -> None:
    assert findings(project, "--no-cache", ".") == expected(project)
    assert all(path == ENGINE for path, _, _ in expected(project))


def test_checking_only_the_caller_reports_what_its_calls_make_in_the_callee(project: Path) -> None:
    assert findings(project, "--no-cache", "main.py") == expected(project)


def test_the_message_names_the_call_site_and_where_the_probabilities_are_made(project: Path) -> None:
    completed = seglint("--no-cache", "main.py", cwd=project)
    assert (
        "segtrain/engine.py:7:16: SEG001 `nn.CrossEntropyLoss` expects logits but receives probabilities "
        "from `model`, which returns the output of `softmax` (segtrain/models.py:11, passed to `train` at "
        "main.py:8)"
    ) in completed.stdout


def test_workers_and_the_cache_give_the_same_findings(project: Path) -> None:
    cold = findings(project, "--jobs", "2", ".")
    warm = findings(project, "--jobs", "1", ".")
    assert cold == warm == expected(project)


def test_a_caller_that_changes_its_arguments_invalidates_its_cached_findings(project: Path) -> None:
    assert findings(project, "main.py") == expected(project)
    main = project / "main.py"
    main.write_text(main.read_text().replace("ProbNet()", "LogitsNet()"))
    assert findings(project, "main.py") == []


def test_a_callee_changed_after_caching_is_read_again(project: Path) -> None:
    assert findings(project, "main.py") == expected(project)
    engine = project / ENGINE
    engine.write_text(
        engine.read_text().replace("criterion(model(images), masks)", "criterion(images, masks)")
    )
    assert [f for f in findings(project, "main.py") if f[1] == 7] == []


def test_checking_only_the_callee_reports_what_its_callers_make_in_it(project: Path) -> None:
    assert findings(project, "--no-cache", ENGINE) == expected(project)


def test_a_caller_added_after_caching_the_callee_makes_its_findings_appear(project: Path) -> None:
    main, finetune = project / "main.py", project / "finetune.py"
    kept = main.read_text(), finetune.read_text()
    main.unlink()
    finetune.unlink()
    assert findings(project, ENGINE) == []
    main.write_text(kept[0])
    assert findings(project, ENGINE) == [f for f in expected(project) if f[0] == ENGINE]


def test_file_order_and_the_files_checked_together_do_not_change_the_findings(project: Path) -> None:
    everything = expected(project)
    assert findings(project, "--no-cache", ENGINE, "main.py", "finetune.py") == everything
    assert findings(project, "--no-cache", "finetune.py", ENGINE) == everything
    assert findings(project, "--no-cache", "--jobs", "2", "main.py", ENGINE) == everything


def test_related_locations_are_the_producer_and_the_binding_call_site(project: Path) -> None:
    completed = seglint("--no-cache", "--output-format", "json", "main.py", cwd=project)
    by_line = {d["line"]: d for d in json.loads(completed.stdout)}
    assert [(r["path"], r["line"]) for r in by_line[7]["related"]] == [
        ("segtrain/models.py", 11),
        ("main.py", 8),
    ]
