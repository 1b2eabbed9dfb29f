"""seglint.implementations: declarations (Supported), adapters (Implementation), and what the checks,
the strategies and the pytest plugin do with them."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F
from hypothesis import given, settings

from seglint import invariants as inv
from seglint import strategies as sst
from seglint.implementations import Implementation, NotSupported, Supported, supported_of
from tests import wrong_implementations as wrong

pytest_plugins = ["pytester"]


# ---------------------------------------------------------------------------------------------------------
# Partial implementations, shaped like the third-party losses they stand for
# ---------------------------------------------------------------------------------------------------------


class SmoothedMeanLoss(torch.nn.Module):
    """timm-like: ``(N, C)`` logits, index targets, the smoothing in the constructor, always the mean."""

    def __init__(self, smoothing=0.1, *, cross_entropy=F.cross_entropy):
        super().__init__()
        self.smoothing = smoothing
        self.cross_entropy = cross_entropy

    def forward(self, x, target):
        return self.cross_entropy(x, target, label_smoothing=self.smoothing)


class KeptClassDimLoss(torch.nn.Module):
    """smp/MONAI-like: the target comes as ``(N, 1, d..)`` and ``none`` keeps a class dimension."""

    def __init__(self, reduction="mean", weight=None):
        super().__init__()
        self.reduction, self.weight = reduction, weight

    def forward(self, x, target):
        out = F.cross_entropy(x, target.squeeze(1), weight=self.weight, reduction=self.reduction)
        return out.unsqueeze(1) if self.reduction == "none" else out


SMOOTHED_MEAN = Supported(
    reductions=("mean",),
    target_kinds=("index",),
    weight=False,
    ignore_index=False,
    label_smoothing=(0.0, 0.9),
    max_spatial_dims=0,
    unbatched=False,
    dtypes=(torch.float32, torch.float64, torch.bfloat16),
)
KEPT_CLASS_DIM = Supported(
    target_kinds=("index",), ignore_index=False, label_smoothing=False, min_spatial_dims=1
)


def smoothed_mean(cross_entropy=F.cross_entropy):
    return Implementation(
        SmoothedMeanLoss,
        arguments={"label_smoothing": "smoothing"},
        options={"cross_entropy": cross_entropy},
        supported=SMOOTHED_MEAN,
    )


KEPT = Implementation(
    KeptClassDimLoss,
    arguments={"reduction": "reduction", "weight": "weight"},
    target_layout="indices_with_class_dim",
    output_layout="pixels_with_class_dim",
    supported=KEPT_CLASS_DIM,
)

FEW = settings(max_examples=max(5, settings().max_examples // 5), deadline=None)


# ---------------------------------------------------------------------------------------------------------
# Supported
# ---------------------------------------------------------------------------------------------------------


def test_the_default_declaration_supports_everything():
    everything = Supported()
    z, y = torch.zeros(2, 3, 4), torch.tensor([[0, 1, -100, 2], [1, 1, 1, 1]])
    assert everything.refusal(z, y, weight=torch.ones(3), reduction="none", label_smoothing=0.3) is None
    assert supported_of(F.cross_entropy) == everything
    assert supported_of(KEPT) is KEPT_CLASS_DIM


@pytest.mark.parametrize(
    ("call", "feature"),
    [
        ({"input": torch.zeros(2, 3, dtype=torch.float16)}, "dtype float16"),
        ({"reduction": "sum"}, "reduction='sum'"),
        ({"target": torch.rand(2, 3)}, "probability targets"),
        (
            {"input": torch.zeros(2, 3, 4), "target": torch.zeros(2, 4, dtype=torch.int64)},
            "1 spatial dimension",
        ),
        ({"input": torch.zeros(3), "target": torch.tensor(0)}, "unbatched inputs"),
        ({"weight": torch.ones(3)}, "weight"),
        ({"label_smoothing": 0.95}, "label_smoothing=0.95"),
        ({"target": torch.tensor([0, -100])}, "ignore_index"),
    ],
)
def test_refusal_names_the_first_unsupported_feature(call, feature):
    arguments = {"input": torch.zeros(2, 3), "target": torch.tensor([0, 2]), "reduction": "mean", **call}
    assert SMOOTHED_MEAN.refusal(**arguments) == feature


def test_ignore_index_matters_only_where_a_pixel_holds_it():
    only_255 = Supported(ignore_index=(255,))
    z = torch.zeros(3, 4)
    assert only_255.refusal(z, torch.tensor([1, 2, 3]), ignore_index=0) is None  # no pixel holds 0
    assert only_255.refusal(z, torch.tensor([0, 1, 255]), ignore_index=255) is None
    assert only_255.refusal(z, torch.tensor([0, 1, 2]), ignore_index=0) == "ignore_index=0"
    assert Supported(label_smoothing=False).refusal(z, torch.tensor([0, 1, 2]), label_smoothing=0.1) == (
        "label_smoothing"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reductions": ("avg",)}, "contains 'avg'"),
        ({"reductions": ()}, "is empty"),
        ({"target_kinds": "index"}, "must be a tuple"),
        ({"devices": ("tpu",)}, "contains 'tpu'"),
        ({"dtypes": (torch.int64,)}, "contains torch.int64"),
        ({"weight": 1}, "weight=1"),
        ({"ignore_index": (0.5,)}, "ignore_index=(0.5,)"),
        ({"label_smoothing": (0.5, 0.25)}, "0 <= lo <= hi <= 1"),
        ({"label_smoothing": 0.5}, "must be a tuple"),
        ({"min_spatial_dims": -1}, "min_spatial_dims=-1"),
        ({"min_spatial_dims": 2, "max_spatial_dims": 1}, "is larger than max_spatial_dims=1"),
    ],
)
def test_bad_declarations_name_the_field(kwargs, message):
    with pytest.raises((TypeError, ValueError), match=None) as info:
        Supported(**kwargs)
    assert message in str(info.value)


def test_declarations_are_frozen_and_normalised():
    declared = Supported(reductions=["mean", "mean"], ignore_index=[255], label_smoothing=[0, 0.5])
    assert declared.reductions == ("mean",) and declared.ignore_index == (255,)
    assert declared.smoothing_range == (0.0, 0.5)
    with pytest.raises(AttributeError):
        declared.weight = False  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------------------
# Implementation: the adapters
# ---------------------------------------------------------------------------------------------------------


def test_a_loss_class_is_built_per_call_with_the_mapped_arguments():
    z = torch.randn(4, 5, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0, 1, 2, 4])
    got = smoothed_mean()(z, y, label_smoothing=0.25)
    assert torch.equal(got, F.cross_entropy(z, y, label_smoothing=0.25))
    with pytest.raises(NotSupported, match="not supported: reduction='none'") as info:
        smoothed_mean()(z, y, reduction="none")
    assert info.value.feature == "reduction='none'"


def test_target_and_output_layouts():
    z = torch.randn(2, 3, 4, 5, generator=torch.Generator().manual_seed(1))
    y = torch.randint(0, 3, (2, 4, 5), generator=torch.Generator().manual_seed(2))
    assert torch.equal(KEPT(z, y, reduction="none"), F.cross_entropy(z, y, reduction="none"))
    # Without the output adapter, the kept dimension reaches the checks, which reject it.
    raw = Implementation(
        KeptClassDimLoss, arguments={"reduction": "reduction"}, target_layout="indices_with_class_dim"
    )
    assert raw(z, y, reduction="none").shape == (2, 1, 4, 5)
    problem = inv.Case(logits=z, target=y, reduction="none")
    with pytest.raises(AssertionError, match=r"output shape \(2, 1, 4, 5\) != expected shape \(2, 4, 5\)"):
        inv.check_matches_definition(raw, problem)


def test_the_output_adapter_squeezes_only_a_kept_dimension_of_size_one():
    def returns_wrong_shape(x, target, reduction="mean"):
        out = F.cross_entropy(x, target, reduction=reduction)
        return torch.stack([out, out], dim=1) if reduction == "none" else out

    impl = Implementation(
        returns_wrong_shape, arguments={"reduction": "reduction"}, output_layout="pixels_with_class_dim"
    )
    z, y = torch.zeros(2, 3, 4), torch.zeros(2, 4, dtype=torch.int64)
    assert impl(z, y, reduction="none").shape == (2, 2, 4)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"loss": 3}, "must be a callable"),
        ({"loss": F.cross_entropy, "supported": {"weight": False}}, "must be a Supported declaration"),
        ({"loss": F.cross_entropy, "arguments": {"smoothing": "eps"}}, "maps 'smoothing'"),
        ({"loss": F.cross_entropy, "arguments": {"label_smoothing": "not a name"}}, "not a name"),
        ({"loss": F.cross_entropy, "target_layout": "channels"}, "target_layout='channels'"),
        ({"loss": F.cross_entropy, "output_layout": "squeezed"}, "output_layout='squeezed'"),
    ],
)
def test_bad_implementations_name_the_argument(kwargs, message):
    with pytest.raises((TypeError, ValueError)) as info:
        Implementation(**kwargs)
    assert message in str(info.value)


# ---------------------------------------------------------------------------------------------------------
# check_all and the strategies within a declaration
# ---------------------------------------------------------------------------------------------------------


@FEW
@given(sst.cross_entropy_problems(supported=SMOOTHED_MEAN, max_pixels=64))
def test_a_partial_implementation_passes_under_its_declaration(problem):
    report = inv.check_all(smoothed_mean(), problem)
    assert {"matches_definition", "gradient_closed_form", "label_smoothing_floor"} <= set(report.ran)
    # The checks that need what it lacks are skipped, each with the feature.
    assert report.skipped["mean_is_sum_over_weight"].startswith("not supported: reduction=")
    assert report.skipped["ignore_equals_removal"] == "not supported: ignore_index"
    assert report.skipped["target_linearity"] == "not supported: probability targets"
    assert report.skipped["flatten_equivalence"] == "not supported: 1 spatial dimension"
    assert set(report.ran) | set(report.skipped) == set(inv.ORACLE_FREE_CHECKS)


def test_the_same_partial_implementation_with_a_real_bug_fails():
    # Smoothing spread over the C - 1 other classes (as some papers define it), inside the same class.
    buggy = smoothed_mean(cross_entropy=wrong.smoothing_over_other_classes)
    problem = inv.Case(
        logits=torch.randn(6, 5, generator=torch.Generator().manual_seed(3)) * 3,
        target=torch.tensor([0, 1, 2, 3, 4, 0]),
        label_smoothing=0.3,
    )
    assert inv.check_all(smoothed_mean(), problem).ran
    with pytest.raises(AssertionError) as info:
        inv.check_all(buggy, problem)
    message = str(info.value)
    assert "matches_definition:" in message and "label_smoothing_floor:" in message
    assert "(skipped: " in message and "ignore_equals_removal (not supported: ignore_index)" in message


@FEW
@given(sst.cross_entropy_problems(supported=KEPT_CLASS_DIM, max_pixels=64))
def test_a_loss_with_class_dimensions_passes_with_its_adapters(problem):
    report = inv.check_all(KEPT, problem)
    assert "output_shape" in report.ran and "layout_invariance" in report.ran
    assert report.skipped["all_ignored"] == "not supported: ignore_index"


# ---------------------------------------------------------------------------------------------------------
# pytest: --ce-impl with a declaration, SKIPPED outside it
# ---------------------------------------------------------------------------------------------------------

DECLARED = """
import torch
import torch.nn.functional as F
from seglint.implementations import Implementation, Supported

class MeanOnly(torch.nn.Module):
    def __init__(self, smoothing=0.0):
        super().__init__()
        self.smoothing = smoothing

    def forward(self, x, target):
        return F.cross_entropy(x, target, label_smoothing=self.smoothing)

MEAN_ONLY = Implementation(
    MeanOnly,
    arguments={"label_smoothing": "smoothing"},
    supported=Supported(
        reductions=("mean",), weight=False, ignore_index=False, target_kinds=("index",), dtypes=(torch.float32,)
    ),
)
CROSS_ENTROPY_LOSS = torch.nn.CrossEntropyLoss
"""

PROPERTIES = """
import pytest
import torch
from hypothesis import given, settings
from seglint import invariants as inv
from seglint import strategies as sst
from seglint.implementations import supported_of

@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@settings(max_examples=5, deadline=None, database=None)
@given(data=__import__("hypothesis").strategies.data())
def test_definition(ce_impl, dtype, data):
    try:
        strategy = sst.cross_entropy_problems(dtype=dtype, supported=supported_of(ce_impl), max_pixels=16)
    except sst.UnsupportedArgument as exc:
        pytest.skip(f"not supported: {exc.feature}")
    inv.check_matches_definition(ce_impl, data.draw(strategy))

@settings(max_examples=5, deadline=None, database=None)
@given(sst.cross_entropy_problems(dtype=torch.float32, max_pixels=16, target_kinds=("index",), reductions=("mean",)))
def test_weighted(ce_impl, problem):
    w = torch.ones(problem.num_classes)
    inv.check_matches_definition(ce_impl, problem.replace(weight=w))

def test_plain(ce_impl):
    ce_impl(torch.zeros(2, 3), torch.tensor([0, 1]), reduction="sum")
"""


def test_outside_the_declaration_the_test_is_skipped_with_the_feature(pytester):
    pytester.makepyfile(declared=DECLARED, test_props=PROPERTIES)
    result = pytester.runpytest(
        "-p", "seglint.pytest_plugin", "-p", "no:cacheprovider", "-rs", "--ce-impl=declared:MEAN_ONLY"
    )
    result.assert_outcomes(passed=1, skipped=3)
    out = result.stdout.str()
    assert "not supported: dtype float16" in out
    assert "not supported: weight" in out  # raised inside a Hypothesis example
    assert "not supported: reduction='sum'" in out  # raised in a plain test


def test_an_nn_module_loss_class_is_taken_with_everything_supported(pytester):
    pytester.makepyfile(declared=DECLARED, test_props=PROPERTIES)
    result = pytester.runpytest(
        "-p", "seglint.pytest_plugin", "-p", "no:cacheprovider", "--ce-impl=declared:CROSS_ENTROPY_LOSS"
    )
    result.assert_outcomes(passed=4)
