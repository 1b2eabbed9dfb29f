"""seglint.guard on real torch code: what it catches (at the user's line), what it leaves alone, its
actions, that it never changes results, what it skips, torch.compile and the deferred value checks."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seglint.guard import (
    GuardError,
    GuardWarning,
    OneHotAsLogitsWarning,
    ProbabilitiesAsLogitsWarning,
    ProbabilitiesAsLogProbabilitiesWarning,
    RedundantLogSoftmaxWarning,
    Verdict,
    watch,
)
from seglint.guard import deferred as deferred_module
from seglint.guard.deferred import Transfer

NUM_CLASSES = 5


def line_of(marker: str) -> int:
    """The line of this file that carries ``# <marker>``."""
    with open(__file__, encoding="utf-8") as source:
        return next(number for number, text in enumerate(source, 1) if text.rstrip().endswith(f"# {marker}"))


def guard_warnings(record: list[warnings.WarningMessage]) -> list[warnings.WarningMessage]:
    return [w for w in record if issubclass(w.category, GuardWarning)]


# ------------------------------------------------------- a model from a registry and a config dict
class TinySegmenter(nn.Module):
    def __init__(self, channels: int, classes: int, head: nn.Module) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, channels, 3, padding=1), nn.ReLU(), nn.Conv2d(channels, classes, 1)
        )
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


ACTIVATIONS = {"softmax": lambda: nn.Softmax(dim=1), "identity": nn.Identity}
REGISTRY = {
    "tiny": lambda cfg: TinySegmenter(cfg["channels"], cfg["classes"], ACTIVATIONS[cfg["activation"]]())
}


def build(config: dict) -> nn.Module:
    return REGISTRY[config["name"]](config)


def train_step(model: nn.Module, criterion: nn.Module) -> torch.Tensor:
    images = torch.randn(2, 3, 8, 8)
    masks = torch.randint(0, NUM_CLASSES, (2, 8, 8))
    loss = criterion(model(images), masks)  # registry-loss
    loss.backward()
    return loss


def test_a_model_from_a_registry_ending_in_softmax_is_caught_at_the_users_line():
    model = build({"name": "tiny", "channels": 4, "classes": NUM_CLASSES, "activation": "softmax"})
    with pytest.warns(ProbabilitiesAsLogitsWarning) as record, watch() as guard:
        train_step(model, nn.CrossEntropyLoss())
    (warning,) = guard_warnings(record.list)
    assert warning.filename == __file__
    assert warning.lineno == line_of("registry-loss")
    assert "SEG001 probabilities-as-logits: `cross_entropy` expects logits but receives probabilities" in str(
        warning.message
    )
    assert "SoftmaxBackward0" in str(warning.message)
    (verdict,) = guard.verdicts
    assert (verdict.code, verdict.loss, verdict.function) == (
        "SEG001",
        "torch.nn.functional.cross_entropy",
        "train_step",
    )


def test_the_same_model_ending_in_logits_is_not_flagged():
    model = build({"name": "tiny", "channels": 4, "classes": NUM_CLASSES, "activation": "identity"})
    with warnings.catch_warnings(record=True) as record, watch() as guard:
        warnings.simplefilter("always")
        train_step(model, nn.CrossEntropyLoss())
        with torch.no_grad():  # the value checks too
            train_step_eval = model(torch.randn(2, 3, 8, 8))
            F.cross_entropy(train_step_eval, torch.randint(0, NUM_CLASSES, (2, 8, 8)))
    assert guard_warnings(record) == [] and guard.verdicts == []


def correct_uses() -> None:
    z = torch.randn(4, NUM_CLASSES, 8, 8, requires_grad=True)
    labels = torch.randint(0, NUM_CLASSES, (4, 8, 8))
    teacher = torch.randn(4, NUM_CLASSES, 8, 8)
    F.cross_entropy(z, labels)
    F.cross_entropy(z, torch.softmax(teacher, 1))  # soft targets
    F.cross_entropy(z, F.one_hot(labels, NUM_CLASSES).permute(0, 3, 1, 2).float())  # one-hot targets
    F.cross_entropy(z, labels, label_smoothing=0.1)
    T = 2.0  # distillation: the teacher's probabilities are the target
    F.kl_div(F.log_softmax(z / T, 1), torch.softmax(teacher / T, 1), reduction="batchmean")
    F.kl_div(F.log_softmax(z, 1), F.log_softmax(teacher, 1), reduction="batchmean", log_target=True)
    F.nll_loss(F.log_softmax(z, 1), labels)
    nn.BCELoss()(torch.sigmoid(z), torch.rand_like(z))  # BCELoss takes probabilities
    F.binary_cross_entropy_with_logits(z, torch.sigmoid(teacher))  # soft binary targets
    nn.BCEWithLogitsLoss()(z, (torch.rand_like(z) > 0.5).float())


def test_logits_soft_targets_distillation_one_hot_targets_and_bce_on_sigmoid_are_not_flagged():
    with warnings.catch_warnings(record=True) as record, watch() as guard:
        warnings.simplefilter("always")
        correct_uses()
        with torch.no_grad():
            correct_uses()
    assert guard_warnings(record) == [] and guard.verdicts == []


def test_every_code_and_its_warning_class():
    z = torch.randn(4, NUM_CLASSES, 8, 8, requires_grad=True)
    labels = torch.randint(0, NUM_CLASSES, (4, 8, 8))
    with warnings.catch_warnings(record=True) as record, watch():
        warnings.simplefilter("always")
        F.cross_entropy(torch.softmax(z, 1), labels)
        F.cross_entropy(F.one_hot(labels, NUM_CLASSES).permute(0, 3, 1, 2).float(), labels)
        F.nll_loss(torch.softmax(z, 1), labels)
        nn.KLDivLoss(reduction="batchmean")(torch.softmax(z, 1), torch.softmax(z, 1).detach())
        F.cross_entropy(F.log_softmax(z, 1), labels)
        F.binary_cross_entropy_with_logits(torch.sigmoid(z), torch.rand_like(z))
    assert [w.category for w in guard_warnings(record)] == [
        ProbabilitiesAsLogitsWarning,
        OneHotAsLogitsWarning,
        ProbabilitiesAsLogProbabilitiesWarning,
        ProbabilitiesAsLogProbabilitiesWarning,
        RedundantLogSoftmaxWarning,
        ProbabilitiesAsLogitsWarning,
    ]


def test_the_input_passed_by_keyword_is_checked():
    z = torch.randn(4, NUM_CLASSES, requires_grad=True)
    with watch(lambda verdict: None) as guard:
        F.cross_entropy(input=torch.softmax(z, 1), target=torch.randint(0, NUM_CLASSES, (4,)))
    assert [v.code for v in guard.verdicts] == ["SEG001"]


def test_the_guard_names_the_codes_as_the_linter_does():
    from seglint.guard.report import NAMES
    from seglint.rules import RULES_BY_CODE

    assert {code: RULES_BY_CODE[code].name for code in NAMES} == NAMES


# --------------------------------------------------------------------------------------------- actions
def repeated_calls(times: int) -> None:
    z = torch.randn(4, NUM_CLASSES, requires_grad=True)
    y = torch.randint(0, NUM_CLASSES, (4,))
    for _ in range(times):
        F.cross_entropy(torch.softmax(z, 1), y)  # repeated-site
    F.cross_entropy(torch.softmax(z, 1), y)  # other-site


def test_warn_is_once_per_call_site():
    with warnings.catch_warnings(record=True) as record, watch() as guard:
        warnings.simplefilter("always")
        repeated_calls(3)
    assert [w.lineno for w in guard_warnings(record)] == [line_of("repeated-site"), line_of("other-site")]
    assert len(guard.verdicts) == 2


def test_a_callable_receives_each_call_sites_verdict_once():
    received: list[Verdict] = []
    with watch(received.append):
        repeated_calls(3)
    assert [v.lineno for v in received] == [line_of("repeated-site"), line_of("other-site")]
    assert all(isinstance(v, Verdict) and v.code == "SEG001" for v in received)


def test_raise_raises_at_the_loss_call_for_seg001_to_seg003():
    z = torch.randn(4, NUM_CLASSES, requires_grad=True)
    y = torch.randint(0, NUM_CLASSES, (4,))
    with watch("raise"):
        for make in (
            lambda: F.cross_entropy(torch.softmax(z, 1), y),
            lambda: F.nll_loss(torch.softmax(z, 1), y),
        ):
            with pytest.raises(GuardError) as raised:
                make()
            assert raised.value.verdict.code in ("SEG001", "SEG003")
        with pytest.raises(GuardError):  # every time, not once per site
            F.cross_entropy(torch.softmax(z, 1), y)


def test_raise_only_warns_for_seg004():
    z = torch.randn(4, NUM_CLASSES, requires_grad=True)
    with pytest.warns(RedundantLogSoftmaxWarning), watch("raise"):
        F.cross_entropy(F.log_softmax(z, 1), torch.randint(0, NUM_CLASSES, (4,)))


def test_bad_actions_are_rejected_with_the_choices():
    with pytest.raises(ValueError, match="expected 'warn', 'raise' or a callable"):
        watch("ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cannot raise"):
        watch("raise", defer=True)


def test_decorator_form_and_nesting_report_once_with_the_innermost_action():
    received: list[Verdict] = []

    @watch(received.append)
    def step() -> None:
        z = torch.randn(4, NUM_CLASSES, requires_grad=True)
        F.cross_entropy(torch.softmax(z, 1), torch.randint(0, NUM_CLASSES, (4,)))

    with warnings.catch_warnings(record=True) as record, watch():
        warnings.simplefilter("always")
        step()
        step()
    assert len(received) == 1 and guard_warnings(record) == []
    step()  # the decorator alone
    assert len(received) == 1  # the same call site: already reported by this guard


def test_outside_the_guard_nothing_is_watched():
    with watch():
        pass
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        z = torch.randn(4, NUM_CLASSES, requires_grad=True)
        F.cross_entropy(torch.softmax(z, 1), torch.randint(0, NUM_CLASSES, (4,)))
    assert guard_warnings(record) == []
    assert torch._C._len_torch_function_stack() == 0


# ----------------------------------------------------------------------------- never changes results
def test_losses_and_gradients_are_bitwise_equal_with_and_without_the_guard():
    def run() -> tuple[torch.Tensor, ...]:
        torch.manual_seed(0)
        model = build({"name": "tiny", "channels": 4, "classes": NUM_CLASSES, "activation": "softmax"})
        images, masks = torch.randn(2, 3, 8, 8), torch.randint(0, NUM_CLASSES, (2, 8, 8))
        loss = F.cross_entropy(model(images), masks)
        loss.backward()
        with torch.no_grad():  # through the value checks
            eval_loss = F.cross_entropy(model(images), masks)
        after = torch.rand(3)  # the RNG stream is untouched
        return (loss, eval_loss, after, *(p.grad for p in model.parameters()))

    plain = run()
    with warnings.catch_warnings(), watch(lambda verdict: None) as guard:
        warnings.simplefilter("ignore")
        guarded = run()
    assert len(guard.verdicts) == 2  # it did look
    assert all(torch.equal(a, b) for a, b in zip(plain, guarded))


# -------------------------------------------------------------------------------------------- skipped
def test_meta_fake_functorch_and_subclass_tensors_are_skipped():
    from torch._subclasses.fake_tensor import FakeTensorMode

    class Tagged(torch.Tensor):
        pass

    rows = 16  # 80 values: a plain tensor of these probabilities gets a verdict (the last line)
    y = torch.randint(0, NUM_CLASSES, (rows,))
    with watch(lambda verdict: None) as guard:
        F.cross_entropy(torch.softmax(torch.randn(rows, NUM_CLASSES, device="meta"), 1), y.to("meta"))
        with FakeTensorMode():
            F.cross_entropy(
                torch.softmax(torch.randn(rows, NUM_CLASSES), 1), torch.randint(0, NUM_CLASSES, (rows,))
            )
        probabilities = torch.softmax(torch.randn(3, rows, NUM_CLASSES), -1)
        torch.vmap(lambda p: F.cross_entropy(p, y))(probabilities)
        torch.func.grad(lambda z: F.cross_entropy(torch.softmax(z, 1), y))(torch.randn(rows, NUM_CLASSES))
        F.cross_entropy(probabilities[0].as_subclass(Tagged), y)
        assert guard.verdicts == []
        F.cross_entropy(probabilities[0], y)
    assert [v.code for v in guard.verdicts] == ["SEG001"]


# ----------------------------------------------------------------------------------------- compile
def compiled_step(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(torch.softmax(z * 2, 1), y)  # compiled-loss


@pytest.mark.parametrize("fullgraph", [False, True], ids=["graph-breaks", "fullgraph"])
def test_torch_compile_with_the_eager_backend(fullgraph):
    torch._dynamo.reset()
    step = torch.compile(compiled_step, backend="eager", fullgraph=fullgraph)
    z, y = torch.randn(4, NUM_CLASSES, requires_grad=True), torch.randint(0, NUM_CLASSES, (4,))
    with watch(lambda verdict: None) as guard:
        loss = step(z, y)  # fullgraph=True must not fail compilation
    assert torch.equal(loss, compiled_step(z, y))
    if not fullgraph:
        # A graph break at the loss: checked eagerly, on the real tensors, at the user's line.
        assert [(v.code, v.lineno) for v in guard.verdicts] == [("SEG001", line_of("compiled-loss"))]
    torch._dynamo.reset()


# ------------------------------------------------------------------------- deferred value checks
class ManualTransfer:
    """Stands in for the CUDA copy + event: ready when the test says so."""

    def __init__(self) -> None:
        self.arrived = False
        self.waited = 0

    def __call__(self, statistics: torch.Tensor) -> Transfer:
        host = statistics.to("cpu")

        def wait() -> None:
            self.waited += 1
            self.arrived = True

        return Transfer(host, lambda: self.arrived, wait)


def no_history_probabilities() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.softmax(torch.randn(16, NUM_CLASSES), 1), torch.randint(0, NUM_CLASSES, (16,))


def test_deferred_checks_report_later_at_the_original_call_site(monkeypatch):
    transfer = ManualTransfer()
    monkeypatch.setattr(deferred_module, "transfer", transfer)
    probabilities, labels = no_history_probabilities()
    received: list[Verdict] = []
    with watch(received.append, defer=True) as guard:
        F.cross_entropy(probabilities, labels)  # deferred-site
        assert received == [] and len(guard.deferred) == 1
        F.cross_entropy(probabilities * 0 + 3.0, labels)  # a later call polls: nothing has arrived yet
        assert received == [] and len(guard.deferred) == 2
        transfer.arrived = True
        F.cross_entropy(torch.randn(16, NUM_CLASSES), labels)  # this call finds both arrived
        assert [v.lineno for v in received] == [line_of("deferred-site")]
        assert len(guard.deferred) == 1  # its own check, queued in turn
    assert transfer.waited == 1  # the exit waits for it: one synchronisation per block, not per call
    assert len(received) == 1


def test_leaving_the_guard_waits_for_pending_checks(monkeypatch):
    transfer = ManualTransfer()
    monkeypatch.setattr(deferred_module, "transfer", transfer)
    probabilities, labels = no_history_probabilities()
    received: list[Verdict] = []
    with watch(received.append, defer=True):
        F.cross_entropy(probabilities, labels)
        assert received == []
    assert transfer.waited == 1 and [v.code for v in received] == ["SEG001"]


def test_a_full_queue_skips_checks_and_never_waits(monkeypatch):
    transfer = ManualTransfer()
    monkeypatch.setattr(deferred_module, "transfer", transfer)
    probabilities, labels = no_history_probabilities()
    with watch(lambda verdict: None, defer=True, max_pending=2) as guard:
        for _ in range(5):
            F.cross_entropy(probabilities, labels)
        assert len(guard.deferred) == 2 and guard.deferred.skipped == 3 and transfer.waited == 0


def test_on_the_cpu_checks_are_immediate_by_default_and_history_needs_no_deferral():
    probabilities, labels = no_history_probabilities()
    with watch(lambda verdict: None) as guard:
        F.cross_entropy(probabilities, labels)
        assert [v.code for v in guard.verdicts] == ["SEG001"] and len(guard.deferred) == 0
    z = torch.randn(4, NUM_CLASSES, requires_grad=True)
    with watch(lambda verdict: None, defer=True) as guard:
        F.cross_entropy(torch.softmax(z, 1), labels[:4])  # autograd evidence: reported at once
        assert [v.code for v in guard.verdicts] == ["SEG001"] and len(guard.deferred) == 0


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA not available")
def test_a_guarded_cuda_training_step_never_synchronises():
    model = build({"name": "tiny", "channels": 4, "classes": NUM_CLASSES, "activation": "softmax"}).cuda()
    images, masks = (
        torch.randn(2, 3, 8, 8, device="cuda"),
        torch.randint(0, NUM_CLASSES, (2, 8, 8), device="cuda"),
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    received: list[Verdict] = []
    with watch(received.append) as guard:
        torch.cuda.synchronize()
        torch.cuda.set_sync_debug_mode("error")
        try:
            for _ in range(3):
                optimizer.zero_grad()
                F.cross_entropy(model(images), masks).backward()
                optimizer.step()
                with torch.no_grad():
                    F.cross_entropy(model(images), masks)  # value checks: deferred
        finally:
            torch.cuda.set_sync_debug_mode(0)
    assert {v.code for v in received} == {"SEG001"} and guard.deferred.skipped == 0
