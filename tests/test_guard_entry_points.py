"""Where users run the guard: ``python -m seglint.guard``, the pytest plugin, real MONAI losses; and
what must never import torch."""

from __future__ import annotations

import runpy
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from seglint.guard import GuardError, GuardWarning, Verdict, watch
from seglint.guard.__main__ import main as guard_main
from seglint.guard.losses import HOOKED_FACTS, WATCHED_FUNCTIONS, fact_for_class
from seglint.library_facts import LOSSES

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parent.parent


def test_seglint_its_cli_and_the_guard_plugin_never_import_torch():
    code = (
        "import sys, seglint, seglint.cli, seglint.library_facts, seglint.pytest_guard\n"
        "heavy = sorted(m for m in ('torch', 'numpy', 'libcst', 'seglint.guard') if m in sys.modules)\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------- python -m
SCRIPT = """\
import sys
import torch
import torch.nn.functional as F

z = torch.randn(4, 3, requires_grad=True)
print("args", sys.argv[1:])
loss = F.cross_entropy(torch.softmax(z, 1), torch.tensor([0, 1, 2, 0]))
print("done")
"""


def test_python_m_seglint_guard_runs_a_script_with_its_arguments(tmp_path, monkeypatch, capsys):
    """As ``python -m seglint.guard train.py --epochs 2`` runs it (runpy, in this process: a second
    interpreter would spend seconds importing torch again)."""
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    monkeypatch.setattr(sys, "argv", ["python -m seglint.guard", str(script), "--epochs", "2"])
    monkeypatch.setattr(sys, "path", sys.path[:])
    with pytest.warns(GuardWarning) as record:
        runpy.run_path(guard_main.__code__.co_filename, run_name="__main__")  # seglint/guard/__main__.py
    assert capsys.readouterr().out == "args ['--epochs', '2']\ndone\n"
    (warning,) = [w for w in record.list if issubclass(w.category, GuardWarning)]
    assert (warning.filename, warning.lineno) == (str(script), 7)
    assert str(warning.message).startswith("SEG001 probabilities-as-logits")
    with pytest.raises(GuardError, match=f"{script}:7: SEG001"):
        guard_main(["--action", "raise", str(script)])
    assert "done" not in capsys.readouterr().out


def test_python_m_seglint_guard_m_module(tmp_path, monkeypatch):
    package = tmp_path / "trainer"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(SCRIPT)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", sys.argv[:])
    monkeypatch.setattr(sys, "path", sys.path[:])
    with pytest.warns(GuardWarning) as record:
        guard_main(["-m", "trainer", "--lr", "0.1"])
    (warning,) = [w for w in record.list if issubclass(w.category, GuardWarning)]
    assert warning.filename == str(package / "__main__.py") and warning.lineno == 7
    with pytest.raises(GuardError):
        guard_main(["--action", "raise", "-m", "trainer"])


def test_python_m_seglint_guard_usage_errors(tmp_path, capsys):
    for argv, message in (
        ([], "a script (or -m module) to run is required"),
        (["-m"], "argument -m: expected one argument"),
    ):
        with pytest.raises(SystemExit) as exited:
            guard_main(argv)
        assert exited.value.code == 2 and message in capsys.readouterr().err
    with pytest.raises(SystemExit, match="no such script: 'missing.py'"):
        guard_main(["missing.py"])


# --------------------------------------------------------------------------------- pytest plugin
USERS_TESTS = """\
import pytest
import torch
import torch.nn.functional as F

@pytest.fixture
def probabilities():
    return torch.softmax(torch.randn(4, 3, requires_grad=True), 1)

def test_logits():
    F.cross_entropy(torch.randn(4, 3, requires_grad=True), torch.tensor([0, 1, 2, 0]))

def test_softmax_into_cross_entropy(probabilities):
    F.cross_entropy(probabilities, torch.tensor([0, 1, 2, 0]))

def test_fixture(seglint_guard):
    F.cross_entropy(torch.softmax(torch.randn(4, 3, requires_grad=True), 1), torch.tensor([0, 1, 2, 0]))
    assert [v.code for v in seglint_guard.verdicts] == ["SEG001"]
"""


def guard_warnings_shown(result: pytest.RunResult) -> int:
    """Guard warnings in pytest's warnings summary (other warnings depend on what ran before)."""
    return result.stdout.str().count("ProbabilitiesAsLogitsWarning: SEG001")


def test_the_pytest_plugin_loads_nothing_unless_asked(tmp_path):
    (tmp_path / "test_light.py").write_text(
        "import sys\n\ndef test_light():\n    assert 'seglint.guard' not in sys.modules and 'torch' not in sys.modules\n"
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:hypothesispytest",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout


def test_the_pytest_plugin_without_the_option_guards_only_the_fixture(pytester):
    pytester.makepyfile(test_users=USERS_TESTS)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    assert guard_warnings_shown(result) == 1  # the fixture's test only


def test_the_pytest_plugin_guards_every_test_with_the_option(pytester):
    pytester.makepyfile(test_users=USERS_TESTS)
    warned = pytester.runpytest_inprocess("--seglint-guard", "-p", "no:cacheprovider")
    warned.assert_outcomes(passed=3)
    assert guard_warnings_shown(warned) == 2
    raised = pytester.runpytest_inprocess("--seglint-guard=raise", "-p", "no:cacheprovider")
    raised.assert_outcomes(passed=1, failed=2)
    assert "GuardError" in raised.stdout.str()
    bad = pytester.runpytest_inprocess("--seglint-guard=loud")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    assert "invalid choice: 'loud'" in bad.stderr.str()


def test_the_plugin_is_registered_as_a_pytest11_entry_point():
    from importlib.metadata import entry_points

    (entry,) = [e for e in entry_points(group="pytest11") if e.name == "seglint-guard"]
    assert entry.value == "seglint.pytest_guard"


# ---------------------------------------------------------------------------- library losses
def test_without_a_hooked_library_no_module_hook_slows_the_model():
    from seglint.guard import hooks

    if any(name in sys.modules for name in ("monai", "segmentation_models_pytorch", "timm")):
        pytest.skip("a hooked library is already imported in this process")
    with watch():
        assert not hooks.hook_registered()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.cross_entropy(torch.randn(4, 3), torch.tensor([0, 1, 2, 0]))


def test_reaches_names_only_places_the_guard_watches():
    watched = {loss.name for loss in WATCHED_FUNCTIONS.values()} | {fact.name for fact in LOSSES}
    watched |= {"torch.nn.CrossEntropyLoss"}  # calls F.cross_entropy
    for fact in LOSSES:
        assert set(fact.reaches) <= watched, fact.name
    assert all(fact.callable == "class" and not fact.reaches for fact in HOOKED_FACTS)


def test_library_classes_are_matched_by_where_they_are_defined():
    class DiceLoss(torch.nn.Module):  # a user's class of the same name is not MONAI's
        pass

    assert fact_for_class(DiceLoss) is None
    assert fact_for_class(torch.nn.CrossEntropyLoss) is None
    fake = type("DiceLoss", (torch.nn.Module,), {"__module__": "monai.losses.dice"})
    assert fact_for_class(fake).name == "monai.losses.DiceLoss"
    subclass = type("MyDice", (fake,), {"__module__": "mypkg.losses"})
    assert fact_for_class(subclass).name == "monai.losses.DiceLoss"


def monai_training_step(loss_fn: torch.nn.Module, logits: torch.Tensor, activation=None) -> None:
    target = torch.randint(0, 3, (2, 1, 8, 8))
    prediction = logits if activation is None else activation(logits, 1)
    loss_fn(prediction, target).backward()  # monai-call


def test_real_monai_losses_are_checked_at_the_users_line():
    monai_losses = pytest.importorskip("monai.losses")
    from seglint.guard import hooks

    z = torch.randn(2, 3, 8, 8, requires_grad=True)
    received: list[Verdict] = []
    with watch(received.append):
        assert hooks.hook_registered()  # MONAI is imported: the forward pre-hook is on
        monai_training_step(monai_losses.DiceLoss(softmax=True, to_onehot_y=True), z, torch.softmax)
        monai_training_step(monai_losses.DiceLoss(to_onehot_y=True), z, torch.softmax)  # takes probabilities
        monai_training_step(monai_losses.DiceLoss(softmax=True, to_onehot_y=True), z)  # logits
        monai_training_step(monai_losses.FocalLoss(use_softmax=True, to_onehot_y=True), z)
    assert not hooks.hook_registered()
    received_dice = list(received)
    received.clear()
    with watch(received.append):  # a new guard: the first reported that line already
        # DiceCELoss reaches nn.CrossEntropyLoss: the TorchFunctionMode sees it; frames in MONAI are skipped.
        monai_training_step(monai_losses.DiceCELoss(to_onehot_y=True), z, torch.softmax)
    line = next(
        n
        for n, text in enumerate(Path(__file__).read_text().splitlines(), 1)
        if text.endswith("# monai-call")
    )
    assert [(v.code, v.loss, v.lineno) for v in received_dice] == [("SEG001", "monai.losses.DiceLoss", line)]
    assert [(v.code, v.loss, v.lineno) for v in received] == [
        ("SEG001", "torch.nn.functional.cross_entropy", line)
    ]


@pytest.mark.parametrize(
    ("make", "activation", "code"),
    [
        (lambda losses: losses.FocalLoss(use_softmax=True, to_onehot_y=True), torch.softmax, "SEG001"),
        (lambda losses: losses.TverskyLoss(softmax=True, to_onehot_y=True), torch.softmax, "SEG001"),
        (
            lambda losses: losses.GeneralizedDiceLoss(sigmoid=True, to_onehot_y=True),
            lambda z, _: torch.sigmoid(z),
            "SEG001",
        ),
        (
            lambda losses: losses.FocalLoss(to_onehot_y=True),
            lambda z, _: torch.sigmoid(z),
            "SEG001",
        ),  # sigmoid inside
        (lambda losses: losses.TverskyLoss(to_onehot_y=True), torch.softmax, None),  # takes probabilities
    ],
    ids=[
        "FocalLoss-softmax",
        "TverskyLoss-softmax",
        "GeneralizedDiceLoss-sigmoid",
        "FocalLoss-sigmoid",
        "TverskyLoss",
    ],
)
def test_real_monai_losses_are_judged_by_their_own_arguments(make, activation, code):
    monai_losses = pytest.importorskip("monai.losses")
    z = torch.randn(2, 3, 8, 8, requires_grad=True)
    loss_fn = make(monai_losses)
    with watch(lambda verdict: None) as guard:
        monai_training_step(loss_fn, z, activation)
    assert [(v.code, v.loss) for v in guard.verdicts] == (
        [] if code is None else [(code, f"monai.losses.{type(loss_fn).__name__}")]
    )


FAKE_TIMM = """\
import torch
import torch.nn.functional as F


class SoftTargetCrossEntropy(torch.nn.Module):  # as timm's: a log_softmax the guard cannot see
    def forward(self, x, target):
        return torch.sum(-target * F.log_softmax(x, dim=-1), dim=-1).mean()
"""


def test_the_hook_is_registered_when_a_hooked_library_is_imported_under_the_guard(tmp_path, monkeypatch):
    """A library imported after the guard started (``python -m seglint.guard`` always sees this)."""
    from seglint.guard import hooks

    if "timm" in sys.modules:
        pytest.skip("timm is imported in this process")
    (tmp_path / "timm" / "loss").mkdir(parents=True)
    (tmp_path / "timm" / "__init__.py").write_text("")
    (tmp_path / "timm" / "loss" / "__init__.py").write_text(
        "from .cross_entropy import SoftTargetCrossEntropy\n"
    )
    (tmp_path / "timm" / "loss" / "cross_entropy.py").write_text(FAKE_TIMM)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("monai", "segmentation_models_pytorch"):  # as if none of the hooked libraries were imported
        monkeypatch.setattr(hooks, "HOOKED_LIBRARIES", hooks.HOOKED_LIBRARIES - {name})
    z = torch.randn(8, 10, requires_grad=True)
    received: list[Verdict] = []
    try:
        with watch(received.append):
            before = hooks.hook_registered()
            import timm.loss

            after = hooks.hook_registered()
            timm.loss.SoftTargetCrossEntropy()(torch.softmax(z, -1), torch.softmax(torch.randn(8, 10), -1))
    finally:
        for name in [m for m in sys.modules if m == "timm" or m.startswith("timm.")]:
            del sys.modules[name]
    assert (before, after, hooks.hook_registered()) == (False, True, False)
    assert [(v.code, v.loss) for v in received] == [("SEG001", "timm.loss.SoftTargetCrossEntropy")]


def test_the_readme_shows_what_the_guard_prints_on_the_one_hot_example(monkeypatch, capsys):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    shown = readme.split("$ python -m seglint.guard examples/one_hot_as_prediction.py\n", 1)[1].split(
        "```", 1
    )[0]
    warning_line, source_line, printed = shown.splitlines()
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(sys, "argv", ["python -m seglint.guard", "examples/one_hot_as_prediction.py"])
    monkeypatch.setattr(sys, "path", sys.path[:])
    with pytest.warns(GuardWarning) as record:
        runpy.run_path(guard_main.__code__.co_filename, run_name="__main__")
    (warning,) = [w for w in record.list if issubclass(w.category, GuardWarning)]
    assert (
        f"{warning.filename}:{warning.lineno}: {warning.category.__name__}: {warning.message}" == warning_line
    )
    assert source_line.strip() == "return F.cross_entropy(perfect, masks)"
    assert capsys.readouterr().out.strip() == printed


def test_the_readme_model_from_a_config_prints_what_it_shows(tmp_path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    code = readme.split("```python\n# train.py\n", 1)[1].split("```", 1)[0]
    shown = readme.split("$ python train.py\n", 1)[1].split("```", 1)[0].splitlines()[0]
    script = tmp_path / "train.py"
    script.write_text(code)
    with pytest.warns(GuardWarning) as record:
        runpy.run_path(str(script), run_name="__main__")
    (warning,) = [w for w in record.list if issubclass(w.category, GuardWarning)]
    printed = f"{warning.filename}:{warning.lineno}: {warning.category.__name__}: {warning.message}"
    assert printed.replace(str(tmp_path), "/home/me") == shown
