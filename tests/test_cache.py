"""The per-file cache: a hit only while the file, seglint, the configuration and the selection are
unchanged; entries written atomically; a damaged entry is a miss, never a wrong or lost result.

Hits are seen through ``FileResult.from_cache``, never through timing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import seglint.cache
from seglint.cache import Cache
from seglint.diagnostics import FileResult
from seglint.rules import RULES_BY_CODE
from seglint.runner import CatalogueSpec, Job, lint_files

ALL_CODES = frozenset(RULES_BY_CODE)
BAD = "import torch.nn.functional as F\n\n\ndef train(x, y):\n    return F.cross_entropy(F.softmax(x, dim=1), y)\n"
FIXABLE = "import torch.nn.functional as F\n\n\ndef train(x, y):\n    return F.cross_entropy(F.log_softmax(x, 1), y)\n"
GOOD = "import torch.nn.functional as F\n\n\ndef train(x, y):\n    return F.cross_entropy(x, y)\n"
PREDICT = (
    "import torch.nn.functional as F\nfrom pkg.ops import predict_proba\n\n\n"
    "def train(x, y):\n    return F.cross_entropy(predict_proba(x), y)\n"
)
BROKEN = "import torch.nn.functional as F\n\ndef train(x, y:\n    return F.cross_entropy(x, y)\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.seglint]\n")
    return tmp_path


def lint(
    *paths: Path,
    cache: Path | None,
    spec: CatalogueSpec | None = None,
    select: frozenset[str] = ALL_CODES,
) -> list[FileResult]:
    jobs = [Job(str(path), select) for path in paths]
    return lint_files(jobs, spec or CatalogueSpec(), cache_dir=cache, workers=1)


def codes(result: FileResult) -> list[str]:
    return [d.code for d in result.diagnostics]


def entries(cache: Path) -> list[Path]:
    return sorted((cache / "v1").glob("*.json"))


def test_a_second_run_is_served_from_the_cache_and_equals_the_first(tree: Path) -> None:
    files = [tree / "bad.py", tree / "fixable.py", tree / "good.py"]
    for path, text in zip(files, (BAD, FIXABLE, GOOD)):
        path.write_text(text)
    cache = tree / ".seglint_cache"
    cold = lint(*files, cache=cache)
    warm = lint(*files, cache=cache)
    assert [r.from_cache for r in cold] == [False, False, False]
    assert [r.from_cache for r in warm] == [True, True, True]
    assert warm == cold == lint(*files, cache=None)
    assert [codes(r) for r in warm] == [["SEG001"], ["SEG004"], []]
    # The fix and every field of the diagnostic survive the round trip.
    fix = warm[1].diagnostics[0].fix
    assert fix is not None and fix == cold[1].diagnostics[0].fix and fix.edits
    assert len(entries(cache)) == 3
    assert (cache / ".gitignore").read_text() == "# Created by seglint automatically.\n*\n"


def test_a_related_location_survives_the_round_trip(tree: Path) -> None:
    (tree / "pkg").mkdir()
    (tree / "pkg" / "__init__.py").write_text("")
    (tree / "pkg" / "ops.py").write_text(
        "import torch\n\n\ndef predict_proba(x):\n    return torch.softmax(x, 1)\n"
    )
    train = tree / "pkg" / "train.py"
    train.write_text(PREDICT)
    cache = tree / ".seglint_cache"
    (cold,) = lint(train, cache=cache)
    (warm,) = lint(train, cache=cache)
    assert warm.from_cache and warm == cold
    (diagnostic,) = warm.diagnostics
    assert [(Path(r.path).resolve(), r.span.line) for r in diagnostic.related] == [
        (tree / "pkg" / "ops.py", 5)
    ]


def test_an_edited_file_is_analysed_again(tree: Path) -> None:
    path = tree / "train.py"
    cache = tree / ".seglint_cache"
    path.write_text(BAD)
    assert codes(lint(path, cache=cache)[0]) == ["SEG001"]
    path.write_text(GOOD)
    (after,) = lint(path, cache=cache)
    assert not after.from_cache and after.diagnostics == ()
    path.write_text(BAD)
    (again,) = lint(path, cache=cache)
    assert not again.from_cache and codes(again) == ["SEG001"]


def test_a_changed_configuration_is_analysed_again(tree: Path) -> None:
    path = tree / "train.py"
    path.write_text(PREDICT)
    cache = tree / ".seglint_cache"
    assert lint(path, cache=cache)[0].diagnostics == ()
    configured = CatalogueSpec(probability_functions=("pkg.ops.predict_proba",))
    (after,) = lint(path, cache=cache, spec=configured)
    assert not after.from_cache and codes(after) == ["SEG001"]
    (warm,) = lint(path, cache=cache, spec=configured)
    assert warm.from_cache and codes(warm) == ["SEG001"]


def test_another_seglint_version_is_analysed_again(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tree / "train.py"
    path.write_text(BAD)
    cache = tree / ".seglint_cache"
    lint(path, cache=cache)
    monkeypatch.setattr(seglint.cache, "__version__", "99.0")
    (after,) = lint(path, cache=cache)
    assert not after.from_cache and codes(after) == ["SEG001"]
    assert lint(path, cache=cache)[0].from_cache


def test_another_selection_is_analysed_again(tree: Path) -> None:
    path = tree / "train.py"
    path.write_text(BAD)
    cache = tree / ".seglint_cache"
    lint(path, cache=cache)
    (only_seg002,) = lint(path, cache=cache, select=frozenset({"SEG002"}))
    assert not only_seg002.from_cache and only_seg002.diagnostics == ()


def test_the_same_content_at_another_path_is_another_entry(tree: Path) -> None:
    first, second = tree / "a.py", tree / "b.py"
    first.write_text(BAD)
    second.write_text(BAD)
    cache = tree / ".seglint_cache"
    lint(first, cache=cache)
    (result,) = lint(second, cache=cache)
    assert not result.from_cache and result.path == str(second)
    assert all(d.path == str(second) for d in result.diagnostics)


def test_a_file_that_could_not_be_parsed_is_never_cached(tree: Path) -> None:
    path = tree / "broken.py"
    path.write_text(BROKEN)
    cache = tree / ".seglint_cache"
    first, second = lint(path, cache=cache)[0], lint(path, cache=cache)[0]
    assert first.error is not None and second.error is not None and not second.from_cache
    assert entries(cache) == []


def test_a_failed_write_keeps_the_previous_entry_and_leaves_no_temporary_file(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tree / "train.py"
    path.write_text(BAD)
    cache = tree / ".seglint_cache"
    lint(path, cache=cache)
    (entry,) = entries(cache)
    written = entry.read_bytes()

    def dump_half_then_fail(data: object, stream) -> None:  # type: ignore[no-untyped-def]
        stream.write(json.dumps(data)[:20])
        raise OSError(28, "No space left on device")

    path.write_text(GOOD)
    monkeypatch.setattr(seglint.cache.json, "dump", dump_half_then_fail)
    assert lint(path, cache=cache)[0].diagnostics == ()  # the run itself is unaffected
    monkeypatch.undo()
    assert entry.read_bytes() == written
    assert [p.name for p in (cache / "v1").iterdir()] == [entry.name]
    path.write_text(BAD)
    (served,) = lint(path, cache=cache)
    assert served.from_cache and codes(served) == ["SEG001"]


DAMAGES = {
    "not JSON": lambda entry: "{",
    "not an object": lambda entry: "[]",
    "fields missing": lambda entry: json.dumps({"fingerprint": entry["fingerprint"]}),
    "no diagnostics": lambda entry: json.dumps({k: v for k, v in entry.items() if k != "diagnostics"}),
    "a broken diagnostic": lambda entry: json.dumps(
        {**entry, "diagnostics": [{**entry["diagnostics"][0], "line": "two"}]}
    ),
    "dependencies not a table": lambda entry: json.dumps({**entry, "dependencies": ["x"]}),
}


@pytest.mark.parametrize("damage", DAMAGES.values(), ids=DAMAGES.keys())
def test_a_damaged_entry_is_a_miss_and_is_rewritten(tree: Path, damage) -> None:  # type: ignore[no-untyped-def]
    path = tree / "train.py"
    path.write_text(BAD)
    cache = tree / ".seglint_cache"
    lint(path, cache=cache)
    (entry,) = entries(cache)
    good = json.loads(entry.read_text())
    entry.write_text(damage(good))
    (result,) = lint(path, cache=cache)
    assert not result.from_cache and codes(result) == ["SEG001"]
    assert json.loads(entry.read_text()) == good
    assert lint(path, cache=cache)[0].from_cache


def test_a_cache_that_cannot_be_written_only_costs_time(tree: Path) -> None:
    path = tree / "train.py"
    path.write_text(BAD)
    blocked = tree / "not-a-directory"
    blocked.write_text("")
    first, second = lint(path, cache=blocked)[0], lint(path, cache=blocked)[0]
    assert codes(first) == codes(second) == ["SEG001"] and not second.from_cache


def test_an_existing_gitignore_in_the_cache_directory_is_kept(tree: Path) -> None:
    cache = tree / ".seglint_cache"
    cache.mkdir()
    (cache / ".gitignore").write_text("mine\n")
    path = tree / "train.py"
    path.write_text(BAD)
    lint(path, cache=cache)
    assert (cache / ".gitignore").read_text() == "mine\n"
    assert len(entries(cache)) == 1


def test_a_missing_dependency_stays_valid_only_while_it_is_missing(tree: Path) -> None:
    path = tree / "train.py"
    path.write_text(BAD)
    cache = Cache(tree / ".seglint_cache", "fingerprint")
    result = FileResult(str(path))
    digest = seglint.cache.content_hash(path.read_bytes())
    missing = tree / "models.py"
    cache.put(str(path), digest, ALL_CODES, result, {str(missing): seglint.cache.ABSENT})
    assert cache.get(str(path), digest, ALL_CODES) == result
    missing.write_text("")
    assert cache.get(str(path), digest, ALL_CODES) is None
    present = seglint.cache.content_hash(b"")
    cache.put(str(path), digest, ALL_CODES, result, {str(missing): present})
    assert cache.get(str(path), digest, ALL_CODES) == result
    missing.unlink()
    assert cache.get(str(path), digest, ALL_CODES) is None
    assert Cache(tree / ".seglint_cache", "another").get(str(path), digest, ALL_CODES) is None


def test_entries_are_written_next_to_each_other_then_renamed(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporary file lies in the entries' directory: a rename there is atomic (one filesystem)."""
    path = tree / "train.py"
    path.write_text(BAD)
    renamed = []
    real_replace = os.replace

    def record(source: str, target: str) -> None:
        renamed.append((Path(source), Path(target)))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", record)
    lint(path, cache=tree / ".seglint_cache")
    ((temporary, target),) = [(a, b) for a, b in renamed if b.suffix == ".json" and b.parent.name == "v1"]
    assert temporary.parent == target.parent == tree / ".seglint_cache" / "v1"
    assert target.suffix == ".json" and temporary.suffix != ".json"


def test_a_file_name_that_is_not_utf8_is_cached_like_any_other(tree: Path) -> None:
    name = os.fsdecode(b"caf\xe9.py")  # a lone surrogate in the str path
    try:
        (tree / name).write_text(BAD)
    except (OSError, UnicodeEncodeError):
        pytest.skip("this filesystem does not take undecodable file names")
    cache = tree / ".seglint_cache"
    assert codes(lint(tree / name, cache=cache)[0]) == ["SEG001"]
    (warm,) = lint(tree / name, cache=cache)
    assert warm.from_cache and codes(warm) == ["SEG001"]
