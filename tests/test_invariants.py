"""Unit tests of the tolerance table and of the check functions on hand-made tensors."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from seglint import invariants as inv
from seglint import tolerances

F = torch.nn.functional


@pytest.mark.parametrize(
    ("dtype", "eps", "bits"),
    [
        (torch.float64, 2.0**-52, 53),
        (torch.float32, 2.0**-23, 24),
        (torch.bfloat16, 2.0**-7, 8),
        (torch.float16, 2.0**-10, 11),
    ],
)
def test_eps_and_precision_match_finfo(dtype, eps, bits):
    assert tolerances.eps(dtype) == torch.finfo(dtype).eps == eps
    assert tolerances.precision_bits(dtype) == bits
    assert tolerances.eps(str(dtype).replace("torch.", "")) == eps
    assert tolerances.smallest_normal(dtype) == torch.finfo(dtype).tiny
    assert tolerances.underflow_atol(dtype) == torch.finfo(dtype).tiny * eps > 0.0


def test_tolerance_table_in_eps_units():
    e32, e16 = 2.0**-23, 2.0**-10
    assert tolerances.tolerance(torch.float32, "none", num_classes=3) == (16 * e32, 8 * e32)
    assert tolerances.tolerance(torch.float32, "none", num_classes=100) == (16 * e32, 100 * e32)
    assert tolerances.tolerance(torch.float16, "none") == (4 * e16, e16 + 2 * e32)
    # Half precision accumulates in float32: C float32 eps more, 8 float16 eps at C = 65,536.
    assert tolerances.tolerance(torch.float16, "none", num_classes=65_536) == (4 * e16, 9 * e16)
    assert tolerances.tolerance(torch.bfloat16, "closed_form", num_classes=1000)[1] == 2.0**-7 + 1000 * e32
    assert tolerances.tolerance(torch.float16, "reduced") == (8 * e16, 0.0)
    assert tolerances.tolerance(torch.float32, "gradient", scale=0.5) == (0.0, 8 * e32)
    # The backward-stability term: 1 eps per unit of |z|.
    assert tolerances.tolerance(torch.float32, "none", num_classes=3, max_abs_logit=10.0) == (
        16 * e32,
        18 * e32,
    )
    assert tolerances.tolerance(torch.float32, "shift", max_abs_logit=9.0) == (8 * e32, 80 * e32)
    for kind in tolerances.KINDS:
        rtol, atol = tolerances.tolerance(torch.bfloat16, kind)
        assert rtol >= 0 and atol >= 0


def test_unknown_kind_and_dtype_name_the_choices():
    with pytest.raises(ValueError, match="unknown tolerance kind 'nonee'; available: none, reduced"):
        tolerances.tolerance(torch.float32, "nonee")
    with pytest.raises(ValueError, match="unsupported dtype"):
        tolerances.eps(torch.int64)


@pytest.mark.parametrize(
    ("dtype", "path", "num_classes", "first_zero"),
    # First exact zero on a 0.05 grid (docs/INVARIANTS.md §1); the prediction lies within one step below it.
    [
        (torch.float32, "nd", 2, 16.65),
        (torch.float32, "nd", 150, 21.65),
        (torch.float64, "nd", 10, 38.95),
        (torch.bfloat16, "2d", 2, 5.55),
        (torch.bfloat16, "2d", 150, 10.55),
        (torch.float16, "2d", 21, 10.65),
        (torch.float16, "nd", 3, 17.35),
    ],
)
def test_zero_threshold_predicts_the_measured_first_zero(dtype, path, num_classes, first_zero):
    predicted = tolerances.zero_threshold(dtype, num_classes, path=path)
    assert first_zero - 0.05 <= predicted <= first_zero + 1e-9


def test_definition_by_hand():
    # p = softmax([0, log 3]) = [1/4, 3/4]
    case = inv.Case(logits=torch.tensor([[0.0, math.log(3.0)]]), target=torch.tensor([1]), reduction="none")
    assert float(inv.definition(case).value) == pytest.approx(-math.log(0.75), rel=1e-7)
    smoothed = case.replace(label_smoothing=0.5)
    expected = 0.75 * -math.log(0.75) + 0.25 * -math.log(0.25)
    assert float(inv.definition(smoothed).value) == pytest.approx(expected, rel=1e-7)
    ignored = case.replace(target=torch.tensor([-100]), reduction="mean")
    assert math.isnan(float(inv.definition(ignored).value))
    assert float(inv.definition(ignored.replace(reduction="sum")).value) == 0.0


def test_a_failure_states_the_measured_and_the_allowed_error():
    def off_by_a_little(input, target, **kwargs):
        return F.cross_entropy(input, target, **kwargs) + 1e-3

    case = inv.Case(logits=torch.zeros(2, 3), target=torch.tensor([0, 2]), reduction="none")
    with pytest.raises(
        AssertionError, match=r"\|error\| 0\.001 at \(0,\) exceeds the allowed 3\.05e-06 \(actual 1\.0996"
    ):
        inv.check_matches_definition(off_by_a_little, case)


def test_a_wrong_shape_is_reported_as_such():
    def flattened(input, target, **kwargs):
        return F.cross_entropy(input, target, **kwargs).reshape(-1)

    case = inv.Case(
        logits=torch.zeros(2, 3, 2, 2), target=torch.zeros(2, 2, 2, dtype=torch.int64), reduction="none"
    )
    with pytest.raises(AssertionError, match=r"output shape \(8,\) != expected shape \(2, 2, 2\)"):
        inv.check_matches_definition(flattened, case)


def test_check_all_names_every_violated_invariant():
    def double_softmax(input, target, **kwargs):
        return F.cross_entropy(torch.softmax(input, dim=1), target, **kwargs)

    case = inv.Case(
        logits=torch.randn(4, 5, generator=torch.Generator().manual_seed(0)),
        target=torch.tensor([0, 1, 2, 3]),
    )
    with pytest.raises(AssertionError) as info:
        inv.check_all(double_softmax, case)
    message = str(info.value)
    assert "matches_definition:" in message and "raw_one_hot:" in message
    assert "output_dtype:" not in message


def test_torch_facts_hold():
    z = torch.randn(6, 4, generator=torch.Generator().manual_seed(1)) * 20
    inv.check_torch_nll_on_softmax(z, torch.tensor([0, 1, 2, 3, 0, 1]))
    inv.check_torch_bce_on_sigmoid(z, torch.rand(6, 4, generator=torch.Generator().manual_seed(2)))
    grid = torch.linspace(-30, 60, 901)
    for dtype, path in [
        (torch.float32, "nd"),
        (torch.bfloat16, "2d"),
        (torch.float16, "2d"),
        (torch.float64, "2d"),
    ]:
        inv.check_torch_scaled_one_hot_zero(num_classes=21, scales=grid, dtype=dtype, path=path)


def test_closed_form_helpers():
    assert inv.one_hot_loss(2) == pytest.approx(math.log(1 + 1 / math.e))
    assert float(inv.scaled_one_hot_loss(torch.tensor(0.0), 7)) == pytest.approx(math.log(7))
    assert float(inv.scaled_one_hot_loss(torch.tensor(-1000.0), 3)) == pytest.approx(1000 + math.log(2))
    assert float(inv.scaled_one_hot_loss(torch.tensor(1000.0), 3)) == 0.0
    assert inv.smoothed_entropy(4, 1.0) == pytest.approx(math.log(4))
    assert inv.smoothed_entropy(4, 0.0) == 0.0
