"""Models and losses handed to another module's functions and classes: the findings that a call site
makes in the callee's file, reported when the run checks the caller or the callee
(tests/fixtures/projects/injection). The command runs in-process, from the project's directory."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from seglint.cli import main
from tests.expectations import expected_findings

PROJECT = Path(__file__).parent / "fixtures" / "projects" / "injection"
ENGINE = "segtrain/engine.py"
Finding = tuple[str, int, str]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "injection"
    shutil.copytree(PROJECT, copy)
    monkeypatch.chdir(copy)
    return copy


@pytest.fixture
def seglint(project: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., str]:
    def run(*args: str) -> str:
        assert main(list(args)) in (0, 1)
        return capsys.readouterr().out

    return run


@pytest.fixture
def findings(seglint: Callable[..., str]) -> Callable[..., list[Finding]]:
    def run(*args: str) -> list[Finding]:
        reported = json.loads(seglint("--output-format", "json", *args))
        return sorted((d["path"], d["line"], d["code"]) for d in reported)

    return run


def expected(project: Path) -> list[Finding]:
    found = []
    for path in sorted(project.rglob("*.py")):
        relative = path.relative_to(project).as_posix()
        found.extend((relative, line, code) for line, code in expected_findings(path.read_text()))
    return sorted(found)


def test_the_whole_tree_reports_each_finding_in_the_callee_once(project: Path, findings) -> None:
    assert findings("--no-cache", ".") == expected(project)
    assert all(path == ENGINE for path, _, _ in expected(project))


def test_checking_only_the_caller_reports_what_its_calls_make_in_the_callee(project: Path, findings) -> None:
    assert findings("--no-cache", "main.py") == expected(project)


def test_checking_only_the_callee_reports_what_its_callers_make_in_it(project: Path, findings) -> None:
    assert findings("--no-cache", ENGINE) == expected(project)


def test_the_message_names_the_call_site_and_where_the_probabilities_are_made(seglint) -> None:
    assert (
        "segtrain/engine.py:7:16: SEG001 `nn.CrossEntropyLoss` expects logits but receives probabilities "
        "from `model`, which returns the output of `softmax` (segtrain/models.py:11, passed to `train` at "
        "main.py:8)"
    ) in seglint("--no-cache", "main.py")


def test_related_locations_are_the_producer_and_the_binding_call_site(seglint) -> None:
    by_line = {d["line"]: d for d in json.loads(seglint("--no-cache", "--output-format", "json", "main.py"))}
    assert [(r["path"], r["line"]) for r in by_line[7]["related"]] == [
        ("segtrain/models.py", 11),
        ("main.py", 8),
    ]


def test_workers_and_the_cache_give_the_same_findings(project: Path, findings) -> None:
    cold = findings("--jobs", "2", ".")
    warm = findings("--jobs", "1", ".")
    assert cold == warm == expected(project)


def test_file_order_and_the_files_checked_together_do_not_change_the_findings(
    project: Path, findings
) -> None:
    everything = expected(project)
    assert findings("--no-cache", ENGINE, "main.py", "finetune.py") == everything
    assert findings("--no-cache", "finetune.py", ENGINE) == everything
    assert findings("--no-cache", "--jobs", "2", "main.py", ENGINE) == everything


def test_a_caller_that_changes_its_arguments_invalidates_its_cached_findings(project: Path, findings) -> None:
    assert findings("main.py") == expected(project)
    main_py = project / "main.py"
    main_py.write_text(main_py.read_text().replace("ProbNet()", "LogitsNet()"))
    assert findings("main.py") == []


def test_a_callee_changed_after_caching_is_read_again(project: Path, findings) -> None:
    assert findings("main.py") == expected(project)
    engine = project / ENGINE
    engine.write_text(
        engine.read_text().replace("criterion(model(images), masks)", "criterion(images, masks)")
    )
    assert [f for f in findings("main.py") if f[1] == 7] == []


def test_a_caller_added_after_caching_the_callee_makes_its_findings_appear(project: Path, findings) -> None:
    main_py, finetune = project / "main.py", project / "finetune.py"
    kept = finetune.read_text()
    finetune.unlink()
    main_py.write_text(main_py.read_text().replace("ProbNet()", "LogitsNet()"))
    assert findings(ENGINE) == []  # cached, with main.py as its only caller
    finetune.write_text(kept)
    assert findings(ENGINE) == [(ENGINE, 7, "SEG001")]
