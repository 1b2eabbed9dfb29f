"""seglint.strategies: every draw obeys its arguments; every impossible argument raises InvalidArgument."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from seglint import strategies as S
from seglint.implementations import Supported
from seglint.strategies import (
    CrossEntropyProblem,
    UnsupportedArgument,
    class_counts,
    class_weights,
    cross_entropy_problems,
    label_maps,
    label_smoothings,
    logits,
    one_hot_maps,
    probability_maps,
    segmentation_shapes,
)

DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]
DTYPE_IDS = ["f16", "bf16", "f32", "f64"]

# A fraction of the active profile's max_examples (dev 100 -> 25, ci 50 -> 12, thorough 1000 -> 250).
FEW = settings(max_examples=max(10, settings().max_examples // 4), deadline=None)
# For find(): a fixed budget, no database, deterministic.
FIND = settings(max_examples=2000, database=None, derandomize=True, phases=[Phase.generate], deadline=None)


def pixels(shape) -> int:
    return math.prod(shape)


def minimal(strategy):
    """The example Hypothesis shrinks to when every example fails."""
    seen = []

    @settings(
        database=None,
        max_examples=20,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate, Phase.shrink],
        report_multiple_bugs=False,
    )
    @given(strategy)
    def always_fails(x):
        seen.append(x)
        raise AssertionError

    with pytest.raises(AssertionError):
        always_fails()
    return seen[-1]


# ---------------------------------------------------------------------------------------------------------
# Scalars and shapes
# ---------------------------------------------------------------------------------------------------------


@FEW
@given(st.data())
def test_class_counts_obey_bounds(data):
    lo = data.draw(st.integers(1, 40), label="min_value")
    hi = data.draw(st.integers(lo, 60), label="max_value")
    c = data.draw(class_counts(min_value=lo, max_value=hi))
    assert isinstance(c, int) and lo <= c <= hi


@st.composite
def shape_arguments(draw):
    min_k = draw(st.integers(0, 3))
    max_k = draw(st.integers(min_k, 4))
    min_batch = draw(st.integers(0, 3))
    max_batch = draw(st.integers(min_batch, 6))
    min_side = draw(st.integers(0, 3))
    max_side = draw(st.integers(min_side, 9))
    smallest = min_batch * min_side**min_k
    max_pixels = draw(st.integers(smallest, smallest + 600))
    return {
        "min_spatial_dims": min_k,
        "max_spatial_dims": max_k,
        "min_batch": min_batch,
        "max_batch": max_batch,
        "min_side": min_side,
        "max_side": max_side,
        "max_pixels": max_pixels,
    }


@FEW
@given(st.data())
def test_segmentation_shapes_obey_arguments(data):
    args = data.draw(shape_arguments(), label="arguments")
    shape = data.draw(segmentation_shapes(**args))
    assert isinstance(shape, tuple) and all(isinstance(s, int) for s in shape)
    assert args["min_spatial_dims"] <= len(shape) - 1 <= args["max_spatial_dims"]
    assert args["min_batch"] <= shape[0] <= args["max_batch"]
    assert all(args["min_side"] <= s <= args["max_side"] for s in shape[1:])
    assert pixels(shape) <= args["max_pixels"]


def test_segmentation_shapes_reach_every_spatial_rank():
    for k in range(4):
        shape = find(segmentation_shapes(), lambda s, k=k: len(s) == k + 1, settings=FIND)
        assert len(shape) == k + 1


def test_segmentation_shapes_shrink_to_the_smallest_shape():
    assert minimal(segmentation_shapes(min_spatial_dims=2)) == (1, 1, 1)


@FEW
@given(label_smoothings(min_value=0.25, max_value=0.5))
def test_label_smoothings_obey_bounds(eps):
    assert 0.25 <= eps <= 0.5


# ---------------------------------------------------------------------------------------------------------
# Logits
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@FEW
@given(data=st.data())
def test_logits_obey_arguments(dtype, data):
    shape = data.draw(segmentation_shapes(max_pixels=512), label="shape")
    c = data.draw(class_counts(min_value=1, max_value=12), label="C")
    # Values every dtype represents, so that min_abs == max_abs stays possible.
    max_abs = data.draw(
        st.sampled_from([0.0, 1.0, 10.0, 100.0, 32768.0, torch.finfo(dtype).max]), label="max_abs"
    )
    min_abs = data.draw(st.sampled_from([0.0, 0.5 * max_abs, max_abs]), label="min_abs")
    z = data.draw(logits(shape=shape, num_classes=c, dtype=dtype, max_abs=max_abs, min_abs=min_abs))
    assert z.dtype == dtype and z.device.type == "cpu" and z.is_contiguous()
    assert tuple(z.shape) == (shape[0], c, *shape[1:])
    assert bool(z.isfinite().all())
    mags = z.abs().double()
    assert bool((mags <= max_abs).all())
    # min_abs is rounded up to the dtype, so every magnitude is at least min_abs.
    assert bool((mags >= min_abs).all())


def test_logits_with_huge_max_abs_reach_far_past_88_in_both_directions():
    strategy = logits(shape=(4, 8), num_classes=8, max_abs=1e30)

    def wide(z):
        return bool(z.max() >= 1e29) and bool(z.min() <= -1e29) and bool((z == 0).any())

    z = find(strategy, wide, settings=FIND)
    assert float(z.abs().max()) <= 1e30
    # Intermediate magnitudes (log-uniform spread) occur too, not just 0 and +-max_abs.
    spread = find(strategy, lambda z: bool(((z.abs() > 100) & (z.abs() < 1e20)).any()), settings=FIND)
    assert bool(spread.isfinite().all())


def test_logits_plant_max_abs_exactly():
    z = find(logits(shape=(8,), num_classes=4, max_abs=3.0), lambda z: bool((z == -3.0).any()), settings=FIND)
    assert float(z.abs().max()) == 3.0


def test_logits_shrink_to_zeros():
    z = minimal(logits(shape=(2, 3), num_classes=3))
    assert z.shape == (2, 3, 3) and bool((z == 0).all())


# ---------------------------------------------------------------------------------------------------------
# Label maps
# ---------------------------------------------------------------------------------------------------------


@FEW
@given(st.data())
def test_label_maps_obey_arguments(data):
    shape = data.draw(segmentation_shapes(max_pixels=512), label="shape")
    n = pixels(shape)
    c = data.draw(class_counts(min_value=1, max_value=20), label="C")
    ignore_index = data.draw(st.sampled_from([None, -100, 255, -1]), label="ignore_index")
    fraction = data.draw(st.sampled_from([0.0, 0.25, 0.5, 1.0]), label="max_ignored_fraction")
    min_kept = data.draw(st.integers(0, n), label="min_kept")
    y = data.draw(
        label_maps(
            shape=shape,
            num_classes=c,
            ignore_index=ignore_index,
            max_ignored_fraction=fraction,
            min_kept=min_kept,
        )
    )
    assert y.dtype == torch.int64 and tuple(y.shape) == shape and y.device.type == "cpu"
    ignored = (y == ignore_index) if ignore_index is not None else torch.zeros_like(y, dtype=torch.bool)
    kept = ~ignored
    assert bool(((y[kept] >= 0) & (y[kept] < c)).all()), "out-of-range target"
    assert int(kept.sum()) >= min_kept
    assert int(ignored.sum()) <= math.floor(fraction * n)


@FEW
@given(st.data())
def test_label_maps_with_ignore_index_inside_the_classes_never_draw_it_as_a_label(data):
    # ignore_index=2 with C=5 is allowed (torch allows it); class 2 then only marks ignored pixels.
    y = data.draw(label_maps(shape=(4, 6), num_classes=5, ignore_index=2, max_ignored_fraction=0.0))
    assert not bool((y == 2).any())
    assert bool(((y >= 0) & (y < 5)).all())


def test_label_maps_reach_ignored_and_all_ignored_maps():
    strategy = label_maps(shape=(2, 4), num_classes=3, ignore_index=255, max_ignored_fraction=1.0)
    y = find(strategy, lambda y: bool((y == 255).all()), settings=FIND)
    assert bool((y == 255).all())
    kept = label_maps(shape=(2, 4), num_classes=3, ignore_index=255, max_ignored_fraction=1.0, min_kept=1)
    most = find(kept, lambda y: int((y == 255).sum()) == 7, settings=FIND)
    assert int((most != 255).sum()) == 1


def test_label_maps_with_the_only_class_ignored_ignore_everything():
    y = minimal(label_maps(shape=(3,), num_classes=1, ignore_index=0, max_ignored_fraction=1.0))
    assert y.tolist() == [0, 0, 0]


# ---------------------------------------------------------------------------------------------------------
# Probability and one-hot maps
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@FEW
@given(data=st.data())
def test_probability_maps_lie_on_the_simplex(dtype, data):
    shape = data.draw(segmentation_shapes(max_pixels=256), label="shape")
    c = data.draw(class_counts(min_value=1, max_value=40), label="C")
    q = data.draw(probability_maps(shape=shape, num_classes=c, dtype=dtype))
    assert q.dtype == dtype and tuple(q.shape) == (shape[0], c, *shape[1:]) and q.is_contiguous()
    assert bool(q.isfinite().all()) and bool((q >= 0).all()) and bool((q <= 1).all())
    # The stored values sum to 1 within one rounding (eps/2); summing in float64 is exact enough to see
    # that for the narrow dtypes, and adds about C float64 roundings for float64 itself.
    sums = q.double().sum(dim=1)
    eps = torch.finfo(dtype).eps
    allowed = eps / 2 + c * torch.finfo(torch.float64).eps
    assert bool(((sums - 1).abs() <= allowed).all()), float((sums - 1).abs().max())


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@FEW
@given(data=st.data())
def test_probability_maps_off_the_simplex_obey_row_sums(dtype, data):
    shape = data.draw(segmentation_shapes(max_pixels=128), label="shape")
    c = data.draw(class_counts(min_value=1, max_value=40), label="C")
    lo = data.draw(st.sampled_from([0.0, 0.5, 1.0, 1.5]), label="min_row_sum")
    hi = lo + data.draw(st.sampled_from([0.0, 0.25, 2.0]), label="max_row_sum - min_row_sum")
    q = data.draw(probability_maps(shape=shape, num_classes=c, dtype=dtype, min_row_sum=lo, max_row_sum=hi))
    assert q.dtype == dtype and tuple(q.shape) == (shape[0], c, *shape[1:])
    assert bool(q.isfinite().all()) and bool((q >= 0).all())
    sums = q.double().sum(dim=1)
    slack = c * torch.finfo(dtype).eps * max(1.0, hi)  # each entry is rounded on its own
    assert bool(((sums >= lo - slack) & (sums <= hi + slack)).all())


def test_probability_maps_reach_both_row_sum_bounds_and_the_simplex():
    strategy = probability_maps(shape=(8,), num_classes=4, min_row_sum=0.0, max_row_sum=2.0)
    zero = find(strategy, lambda q: bool((q.sum(dim=1) == 0).any()), settings=FIND)
    assert bool((zero >= 0).all())
    two = find(strategy, lambda q: bool(((q.double().sum(dim=1) - 2).abs() < 1e-6).all()), settings=FIND)
    assert two.shape == (8, 4)
    one = find(strategy, lambda q: bool(((q.double().sum(dim=1) - 1).abs() < 1e-7).all()), settings=FIND)
    assert one.shape == (8, 4)


def test_unbatched_shapes():
    assert minimal(logits(shape=(), num_classes=5)).shape == (5,)
    y = find(label_maps(shape=(), num_classes=5), lambda y: int(y) == 4, settings=FIND)
    assert y.shape == () and y.dtype == torch.int64
    q = find(probability_maps(shape=(), num_classes=3), lambda q: bool((q > 0).all()), settings=FIND)
    assert q.shape == (3,) and abs(float(q.double().sum()) - 1) < 1e-6
    assert minimal(one_hot_maps(shape=(), num_classes=4)).tolist() == [1.0, 0.0, 0.0, 0.0]


def test_label_maps_plant_the_labels_kernels_hard_code():
    strategy = label_maps(shape=(8,), num_classes=1000)
    for label in (0, 255, 999):
        y = find(strategy, lambda y, label=label: bool((y == label).any()), settings=FIND)
        assert bool((y == label).any())
    # ...never the ignored class, when that is one of them.
    planted = label_maps(shape=(64,), num_classes=1000, ignore_index=255, max_ignored_fraction=0.0)
    y = find(planted, lambda y: bool((y == 999).sum() >= 4), settings=FIND)
    assert not bool((y == 255).any())


def test_probability_maps_include_vertices_and_near_uniform_rows():
    strategy = probability_maps(shape=(16,), num_classes=5)
    vertex = find(strategy, lambda q: bool((q == 1).any(dim=1).any()), settings=FIND)
    assert bool(((vertex == 0) | (vertex == 1)).all(dim=1).any())
    uniform = find(strategy, lambda q: bool(((q - 0.2).abs() < 1e-6).all(dim=1).any()), settings=FIND)
    assert uniform.shape == (16, 5)
    soft = find(strategy, lambda q: bool(((q > 0.01) & (q < 0.99)).all()), settings=FIND)
    assert bool((soft > 0).all())


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@FEW
@given(data=st.data())
def test_one_hot_maps_are_exact(dtype, data):
    shape = data.draw(segmentation_shapes(max_pixels=256), label="shape")
    c = data.draw(class_counts(min_value=1, max_value=20), label="C")
    t = data.draw(one_hot_maps(shape=shape, num_classes=c, dtype=dtype))
    assert t.dtype == dtype and tuple(t.shape) == (shape[0], c, *shape[1:])
    assert bool(((t == 0) | (t == 1)).all())
    assert bool((t.sum(dim=1) == 1).all())


# ---------------------------------------------------------------------------------------------------------
# Class weights
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@FEW
@given(data=st.data())
def test_class_weights_obey_arguments(dtype, data):
    c = data.draw(class_counts(min_value=1, max_value=40), label="C")
    # Bounds that every dtype represents (0.1 is not a bfloat16 value, so min=max=0.1 is impossible there).
    lo = data.draw(st.sampled_from([-1.0, 0.0, 0.125, 1.0]), label="min_value")
    hi = lo + data.draw(st.sampled_from([0.0, 0.5, 2.0, 100.0]), label="max_value - min_value")
    w = data.draw(class_weights(num_classes=c, dtype=dtype, min_value=lo, max_value=hi))
    assert w.dtype == dtype and tuple(w.shape) == (c,) and w.device.type == "cpu"
    assert bool(((w.double() >= lo) & (w.double() <= hi)).all())


def test_class_weights_default_range_is_positive():
    w = minimal(class_weights(num_classes=6))
    assert bool((w >= 0.1).all()) and bool((w <= 2.0).all())


def test_class_weights_reach_zero_only_when_asked():
    zero = find(
        class_weights(num_classes=8, min_value=-1.0, max_value=1.0),
        lambda w: bool((w == 0).any()) and bool((w < 0).any()),
        settings=FIND,
    )
    assert bool((zero == 0).any())


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@FEW
@given(data=st.data())
def test_problem_smoothing_is_zero_or_a_normal_number_of_the_dtype(dtype, data):
    smoothing = data.draw(st.sampled_from([None, (0.0, 1.0), (0.0, 1e-3)]), label="label_smoothing")
    p = data.draw(cross_entropy_problems(dtype=dtype, label_smoothing=smoothing, max_elements=256))
    assert p.label_smoothing == 0.0 or torch.finfo(dtype).tiny <= p.label_smoothing <= 1.0


def test_problem_smoothing_reaches_the_smallest_normal():
    dtype = torch.float16
    p = find(
        cross_entropy_problems(dtype=dtype, label_smoothing=(0.0, 1.0), max_elements=64),
        lambda p: 0.0 < p.label_smoothing < 1e-4,
        settings=FIND,
    )
    assert p.label_smoothing == torch.finfo(dtype).tiny


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@FEW
@given(data=st.data())
def test_problem_weights_obey_min_and_max_weight(dtype, data):
    lo = data.draw(st.sampled_from([0.125, 1.0]), label="min_weight")
    hi = lo + data.draw(st.sampled_from([0.0, 1.0]), label="max_weight - min_weight")
    p = data.draw(
        cross_entropy_problems(dtype=dtype, weighted=True, min_weight=lo, max_weight=hi, max_elements=512)
    )
    assert p.weight is not None and bool(((p.weight.double() >= lo) & (p.weight.double() <= hi)).all())


# ---------------------------------------------------------------------------------------------------------
# Whole problems
# ---------------------------------------------------------------------------------------------------------


def check_problem(
    p: CrossEntropyProblem, *, dtype, max_pixels=1024, min_kept=1, max_elements=65_536, row_sums=(0.0, 2.0)
):
    assert isinstance(p, CrossEntropyProblem)
    c = p.num_classes
    assert p.logits.dtype == dtype and p.logits.dim() >= 1
    if p.unbatched:
        assert p.logits.shape == (c,) and p.target_shape == ()
    else:
        assert p.target_shape == (p.logits.shape[0], *p.logits.shape[2:])
    assert pixels(p.target_shape) <= max_pixels
    assert p.logits.numel() <= max_elements
    assert bool(p.logits.isfinite().all())
    if p.target_kind == "index":
        assert p.target.dtype == torch.int64 and tuple(p.target.shape) == p.target_shape
        kept = p.target != p.ignore_index
        assert bool(((p.target[kept] >= 0) & (p.target[kept] < c)).all())
        assert int(kept.sum()) >= min_kept
    else:
        assert p.target.dtype == dtype and p.target.shape == p.logits.shape
        assert p.ignore_index < 0, "torch rejects ignore_index >= 0 with probability targets"
        assert bool((p.target >= 0).all())
        sums = p.target.double().sum(dim=1 if p.target.dim() >= 2 else 0)
        slack = c * torch.finfo(dtype).eps * max(1.0, row_sums[1])  # each entry is rounded
        assert bool(((sums >= row_sums[0] - slack) & (sums <= row_sums[1] + slack)).all())
    if p.weight is not None:
        assert p.weight.dtype == dtype and tuple(p.weight.shape) == (c,)
    assert p.reduction in ("none", "mean", "sum")
    assert 0.0 <= p.label_smoothing <= 1.0
    if p.grad_output is not None:
        assert p.grad_output.dtype == dtype and tuple(p.grad_output.shape) == p.output_shape
        assert bool(p.grad_output.isfinite().all())
    out = F.cross_entropy(p.logits, p.target, **p.kwargs())  # never raises
    assert out.dtype == dtype
    assert tuple(out.shape) == p.output_shape


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@FEW
@given(data=st.data())
def test_cross_entropy_problems_are_valid_torch_calls(dtype, data):
    p = data.draw(cross_entropy_problems(dtype=dtype))
    check_problem(p, dtype=dtype)


@FEW
@given(
    cross_entropy_problems(
        min_classes=3,
        max_classes=5,
        min_spatial_dims=2,
        max_spatial_dims=2,
        max_pixels=40,
        max_abs_logit=1e4,
        target_kinds=("index",),
        reductions=("sum",),
        weighted=True,
        ignore_index=7,
        label_smoothing=(0.1, 0.2),
        min_kept=30,
    )
)
def test_cross_entropy_problems_honour_every_option(p):
    check_problem(p, dtype=torch.float32, max_pixels=40, min_kept=30)
    assert 3 <= p.num_classes <= 5 and p.logits.dim() == 4
    assert float(p.logits.abs().max()) <= 1e4
    assert p.target_kind == "index" and p.reduction == "sum" and p.weight is not None
    assert p.ignore_index == 7 and 0.1 <= p.label_smoothing <= 0.2


@FEW
@given(
    cross_entropy_problems(
        target_kinds=("probability",),
        weighted=False,
        label_smoothing=0.0,
        max_spatial_dims=0,
        ignore_index=-1,
    )
)
def test_cross_entropy_problems_with_probability_targets(p):
    check_problem(p, dtype=torch.float32)
    assert p.target_kind == "probability" and p.weight is None and p.label_smoothing == 0.0
    assert p.logits.dim() in (1, 2) and p.ignore_index == -1


@FEW
@given(cross_entropy_problems(target_kinds=("index",), min_kept=0, max_pixels=8))
def test_cross_entropy_problems_with_min_kept_zero_allow_all_ignored(p):
    check_problem(p, dtype=torch.float32, max_pixels=8, min_kept=0)


@FEW
@given(
    cross_entropy_problems(
        min_classes=300, max_elements=3000, target_kinds=("probability",), min_row_sum=0.5, max_row_sum=0.75
    )
)
def test_cross_entropy_problems_honour_size_and_row_sums(p):
    check_problem(p, dtype=torch.float32, max_elements=3000, row_sums=(0.5, 0.75))
    assert p.num_classes >= 300


@FEW
@given(cross_entropy_problems(unbatched=True, reductions=("sum",)))
def test_cross_entropy_problems_unbatched(p):
    check_problem(p, dtype=torch.float32)
    assert p.unbatched and p.grad_output is None or p.grad_output.shape == ()


@FEW
@given(cross_entropy_problems(unbatched=False))
def test_cross_entropy_problems_batched_only(p):
    assert not p.unbatched


# ---------------------------------------------------------------------------------------------------------
# Within a declaration (supported=...)
# ---------------------------------------------------------------------------------------------------------

TIMM_LIKE = Supported(
    reductions=("mean",),
    target_kinds=("index",),
    weight=False,
    ignore_index=False,
    label_smoothing=(0.0, 0.5),
    max_spatial_dims=0,
    unbatched=False,
    dtypes=(torch.float32, torch.float64),
)


@FEW
@given(cross_entropy_problems(supported=TIMM_LIKE))
def test_problems_within_a_declaration(p):
    assert p.dtype == torch.float32 and p.logits.dim() == 2 and p.reduction == "mean"
    assert p.target_kind == "index" and p.weight is None and p.label_smoothing <= 0.5
    assert not bool((p.target == p.ignore_index).any())
    assert TIMM_LIKE.refusal(p.logits, p.target, **p.kwargs()) is None


@FEW
@given(cross_entropy_problems(supported=Supported(ignore_index=(0, 255), target_kinds=("index",))))
def test_problems_use_the_declared_ignore_values(p):
    assert p.ignore_index in (0, 255, -100)
    if bool((p.target == p.ignore_index).any()):
        assert p.ignore_index in (0, 255)


def test_problems_within_a_declaration_reach_what_it_supports():
    strategy = cross_entropy_problems(supported=Supported(min_spatial_dims=2, reductions=("none", "sum")))
    assert find(strategy, lambda p: p.reduction == "sum" and p.logits.dim() == 5, settings=FIND)
    smoothing = cross_entropy_problems(supported=TIMM_LIKE)
    assert find(smoothing, lambda p: 0.25 < p.label_smoothing <= 0.5, settings=FIND)


@pytest.mark.parametrize(
    ("kwargs", "feature", "message"),
    [
        ({"dtype": torch.float16}, "dtype float16", "supported.dtypes=(float32, float64)"),
        ({"reductions": ("mean", "none")}, "reduction='none'", "supported.reductions=('mean',)"),
        ({"target_kinds": ("probability",)}, "probability targets", "supported.target_kinds=('index',)"),
        ({"weighted": True}, "weight", "supported.weight=False"),
        ({"ignore_index": 255, "target_kinds": ("index",)}, "ignore_index", "supported.ignore_index=False"),
        ({"label_smoothing": 0.75}, "label_smoothing=0.75", "supported.label_smoothing=(0.0, 0.5)"),
        ({"label_smoothing": (0.0, 1.0)}, "label_smoothing=(0.0, 1.0)", "supported.label_smoothing"),
        ({"max_spatial_dims": 2}, "2 spatial dimensions", "max_spatial_dims=0"),
        ({"unbatched": True}, "unbatched inputs", "supported.unbatched=False"),
        ({"device": "cuda"}, "device cuda", "supported.devices=('cpu',)"),
    ],
)
def test_an_option_outside_the_declaration_names_both(kwargs, feature, message):
    declared = dataclasses.replace(TIMM_LIKE, devices=("cpu",))
    with pytest.raises(UnsupportedArgument) as info:
        cross_entropy_problems(supported=declared, **kwargs)
    assert info.value.feature == feature
    assert message in str(info.value) and str(next(iter(kwargs.values()))) in str(info.value)
    assert isinstance(info.value, InvalidArgument)


def row_sums(p):
    return p.target.double().sum(dim=1 if p.target.dim() >= 2 else 0)


def kept_labels(p):
    return p.target[p.target != p.ignore_index]


VARIANTS = {
    "probability": lambda p: p.target_kind == "probability",
    "weighted": lambda p: p.weight is not None,
    "smoothed": lambda p: 0 < p.label_smoothing < 1,
    "ignored": lambda p: p.target_kind == "index" and bool((p.target == p.ignore_index).any()),
    "ignore 255": lambda p: p.ignore_index == 255,
    "ignore class 0": lambda p: p.target_kind == "index" and p.ignore_index == 0 and p.num_classes > 2,
    "ignore a class > 0": lambda p: p.target_kind == "index" and 0 < p.ignore_index < p.num_classes,
    "(N, C)": lambda p: p.logits.dim() == 2,
    "unbatched index": lambda p: p.logits.dim() == 1 and p.target_kind == "index",
    "unbatched probability": lambda p: p.logits.dim() == 1 and p.target_kind == "probability",
    "3 spatial dims": lambda p: p.logits.dim() == 5,
    "mean": lambda p: p.reduction == "mean",
    "C > 512": lambda p: p.num_classes > 512,
    "C > 16384": lambda p: p.num_classes > 16384,
    "label 255 is a class": lambda p: p.num_classes > 256 and bool((kept_labels(p) == 255).any()),
    "label C - 1": lambda p: p.num_classes > 100 and bool((kept_labels(p) == p.num_classes - 1).any()),
    "rows on the simplex": lambda p: (
        p.target_kind == "probability" and bool(((row_sums(p) - 1).abs() < 1e-6).all())
    ),
    "rows below 1": lambda p: p.target_kind == "probability" and bool((row_sums(p) < 0.9).all()),
    "rows above 1": lambda p: p.target_kind == "probability" and bool((row_sums(p) > 1.1).all()),
    "an all-zero row": lambda p: p.target_kind == "probability" and bool((row_sums(p) == 0).any()),
    "rows with different sums": lambda p: (
        p.target_kind == "probability"
        and p.target.numel() > 4 * p.num_classes
        and float(row_sums(p).max() - row_sums(p).min()) > 0.5
    ),
    "upstream gradient per pixel, mixed signs and zeros": lambda p: (
        p.reduction == "none"
        and p.grad_output is not None
        and bool((p.grad_output < 0).any() and (p.grad_output > 0).any() and (p.grad_output == 0).any())
    ),
    "upstream gradient of a mean": lambda p: (
        p.reduction == "mean" and p.grad_output is not None and float(p.grad_output) not in (0.0, 1.0)
    ),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_cross_entropy_problems_draw_every_variant(name):
    check = VARIANTS[name]
    assert check(find(cross_entropy_problems(), check, settings=FIND)), name


def test_problem_shrinks_to_a_small_index_problem():
    p = minimal(cross_entropy_problems())
    assert p.target_kind == "index" and p.weight is None and p.label_smoothing == 0.0
    assert p.num_classes == 2 and p.logits.shape == (1, 2) and p.reduction == "none"
    assert p.grad_output is None and p.ignore_index == -100


def test_probability_problems_shrink_to_the_simplex():
    p = minimal(cross_entropy_problems(target_kinds=("probability",)))
    assert bool(((row_sums(p) - 1).abs() <= torch.finfo(torch.float32).eps).all())


def test_problem_to_float64_keeps_the_rounded_values():
    p = find(
        cross_entropy_problems(dtype=torch.bfloat16, weighted=True, target_kinds=("probability",)),
        lambda p: bool((p.logits != 0).any()),
        settings=FIND,
    )
    ref = p.to(dtype=torch.float64)
    assert ref.logits.dtype == ref.target.dtype == ref.weight.dtype == torch.float64
    assert torch.equal(ref.logits.to(torch.bfloat16), p.logits)
    assert ref.reduction == p.reduction and ref.ignore_index == p.ignore_index
    idx = minimal(cross_entropy_problems(target_kinds=("index",))).to(dtype=torch.float64)
    assert idx.target.dtype == torch.int64
    kw = idx.kwargs()
    assert set(kw) == {"weight", "ignore_index", "reduction", "label_smoothing"}


def test_large_maps_do_not_trip_health_checks():
    # Full health checks on (the default settings' suppress list only), 4096-pixel maps with 32 classes.
    @settings(max_examples=10, deadline=None, database=None, suppress_health_check=[])
    @given(cross_entropy_problems(max_classes=32, max_pixels=4096, min_spatial_dims=2))
    def inner(p):
        assert p.logits.numel() <= 4096 * 32

    inner()


def test_cuda_device_is_accepted_at_construction_without_touching_cuda():
    # Parsing "cuda" needs no CUDA; drawing would. No strategy touches the device before a draw.
    cross_entropy_problems(device="cuda")
    logits(shape=(2,), num_classes=3, device="cuda:1")
    label_maps(shape=(2,), num_classes=3, device=torch.device("cuda"))


# ---------------------------------------------------------------------------------------------------------
# Invalid arguments: eager InvalidArgument naming the argument and value
# ---------------------------------------------------------------------------------------------------------

SHAPE = {"shape": (2, 3), "num_classes": 4}

INVALID = [
    (class_counts, {"min_value": 5, "max_value": 3}, "min_value=5 is larger than max_value=3"),
    (class_counts, {"min_value": 0}, "min_value=0"),
    (class_counts, {"max_value": 2.5}, "max_value=2.5"),
    (class_counts, {"min_value": True}, "min_value=True"),
    (segmentation_shapes, {"min_spatial_dims": 3, "max_spatial_dims": 1}, "min_spatial_dims=3 is larger"),
    (segmentation_shapes, {"min_spatial_dims": -1}, "min_spatial_dims=-1"),
    (segmentation_shapes, {"min_batch": 5, "max_batch": 4}, "min_batch=5 is larger than max_batch=4"),
    (segmentation_shapes, {"min_side": 9}, "min_side=9 is larger than max_side=8"),
    (segmentation_shapes, {"max_batch": -1, "min_batch": -2}, "min_batch=-2"),
    (segmentation_shapes, {"min_spatial_dims": 3, "min_side": 8, "max_pixels": 100}, "max_pixels=100"),
    (segmentation_shapes, {"max_pixels": "many"}, "max_pixels='many'"),
    (logits, {**SHAPE, "dtype": torch.int64}, "dtype=torch.int64 is not a floating dtype"),
    (logits, {**SHAPE, "dtype": "float32"}, "dtype='float32'"),
    (logits, {**SHAPE, "dtype": torch.complex64}, "dtype=torch.complex64"),
    (logits, {**SHAPE, "device": "gpu"}, "device='gpu'"),
    (logits, {**SHAPE, "device": "meta"}, "device='meta'"),
    (logits, {**SHAPE, "device": 0}, "device=0"),
    (logits, {**SHAPE, "max_abs": -1.0}, "max_abs=-1.0"),
    (logits, {**SHAPE, "max_abs": math.inf}, "max_abs=inf"),
    (logits, {**SHAPE, "max_abs": math.nan}, "max_abs=nan"),
    (logits, {**SHAPE, "max_abs": 1e30, "dtype": torch.float16}, "max_abs=1e+30"),
    (logits, {**SHAPE, "min_abs": 2.0, "max_abs": 1.0}, "min_abs=2.0 is larger than max_abs=1.0"),
    (logits, {**SHAPE, "min_abs": 1.001, "max_abs": 1.002, "dtype": torch.bfloat16}, "min_abs=1.001"),
    (logits, {"shape": (2, -1), "num_classes": 3}, "shape=(2, -1)"),
    (logits, {"shape": "2x3", "num_classes": 3}, "shape='2x3'"),
    (logits, {"shape": (2, 3), "num_classes": 0}, "num_classes=0"),
    (label_maps, {**SHAPE, "min_kept": 7}, "min_kept=7 is larger than the number of pixels 6"),
    (label_maps, {**SHAPE, "min_kept": -1}, "min_kept=-1"),
    (label_maps, {**SHAPE, "ignore_index": 2.0}, "ignore_index=2.0"),
    (label_maps, {**SHAPE, "ignore_index": 2**64}, f"ignore_index={2**64}"),
    (label_maps, {**SHAPE, "ignore_index": 255, "max_ignored_fraction": 1.5}, "max_ignored_fraction=1.5"),
    (label_maps, {**SHAPE, "max_ignored_fraction": -0.1}, "max_ignored_fraction=-0.1"),
    (label_maps, {"shape": (2,), "num_classes": 1, "ignore_index": 0, "min_kept": 1}, "ignore_index=0"),
    (label_maps, {**SHAPE, "device": "cuda:x"}, "device='cuda:x'"),
    (probability_maps, {**SHAPE, "dtype": torch.int32}, "dtype=torch.int32"),
    (probability_maps, {**SHAPE, "num_classes": -2}, "num_classes=-2"),
    (one_hot_maps, {**SHAPE, "dtype": torch.bool}, "dtype=torch.bool"),
    (one_hot_maps, {"shape": [2, 1.5], "num_classes": 2}, "shape=(2, 1.5)"),
    (class_weights, {"num_classes": 3, "min_value": 2.0, "max_value": 1.0}, "min_value=2.0 is larger"),
    (class_weights, {"num_classes": 3, "max_value": math.inf}, "max_value=inf"),
    (class_weights, {"num_classes": 3, "max_value": 1e5, "dtype": torch.float16}, "max_value=100000.0"),
    (class_weights, {"num_classes": 0}, "num_classes=0"),
    (
        class_weights,
        {"num_classes": 2, "min_value": 0.1, "max_value": 0.1, "dtype": torch.bfloat16},
        "min_value=0.1",
    ),
    (label_smoothings, {"max_value": 1.5}, "max_value=1.5"),
    (label_smoothings, {"min_value": -0.1}, "min_value=-0.1"),
    (label_smoothings, {"min_value": 0.6, "max_value": 0.5}, "min_value=0.6 is larger than max_value=0.5"),
    (
        cross_entropy_problems,
        {"min_classes": 5, "max_classes": 3},
        "min_classes=5 is larger than max_classes=3",
    ),
    (cross_entropy_problems, {"dtype": torch.int64}, "dtype=torch.int64 is not a floating dtype"),
    (cross_entropy_problems, {"device": "tpu"}, "device='tpu'"),
    (cross_entropy_problems, {"max_pixels": 0}, "max_pixels=0"),
    (cross_entropy_problems, {"max_abs_logit": 1e5, "dtype": torch.float16}, "max_abs_logit=100000.0"),
    (cross_entropy_problems, {"max_abs_logit": -1.0}, "max_abs_logit=-1.0"),
    (cross_entropy_problems, {"target_kinds": ("index", "soft")}, "target_kinds=('index', 'soft')"),
    (cross_entropy_problems, {"target_kinds": ()}, "target_kinds=()"),
    (cross_entropy_problems, {"target_kinds": "index"}, "target_kinds='index'"),
    (cross_entropy_problems, {"reductions": ("avg",)}, "reductions=('avg',)"),
    (cross_entropy_problems, {"weighted": 1}, "weighted=1"),
    (cross_entropy_problems, {"ignore_index": 255}, "ignore_index=255 cannot be used with probability"),
    (cross_entropy_problems, {"ignore_index": "255"}, "ignore_index='255'"),
    (
        cross_entropy_problems,
        {"ignore_index": 0, "min_classes": 1, "target_kinds": ("index",)},
        "ignore_index=0",
    ),
    (cross_entropy_problems, {"label_smoothing": 1.5}, "label_smoothing=1.5"),
    (cross_entropy_problems, {"label_smoothing": -0.1}, "label_smoothing=-0.1"),
    (cross_entropy_problems, {"label_smoothing": (0.5, 0.2)}, "label_smoothing[0]=0.5 is larger"),
    (cross_entropy_problems, {"label_smoothing": (0.1, 0.2, 0.3)}, "label_smoothing=(0.1, 0.2, 0.3)"),
    (cross_entropy_problems, {"label_smoothing": "0.1"}, "label_smoothing='0.1'"),
    (cross_entropy_problems, {"min_kept": 2000}, "min_kept=2000 is larger than max_pixels=1024"),
    (cross_entropy_problems, {"min_kept": -1}, "min_kept=-1"),
    (cross_entropy_problems, {"max_ignored_fraction": 2.0}, "max_ignored_fraction=2.0"),
    (cross_entropy_problems, {"min_row_sum": -0.5}, "min_row_sum=-0.5"),
    (cross_entropy_problems, {"min_row_sum": 2.0, "max_row_sum": 1.0}, "min_row_sum=2.0 is larger"),
    (cross_entropy_problems, {"max_row_sum": math.inf}, "max_row_sum=inf"),
    (cross_entropy_problems, {"max_elements": 0}, "max_elements=0"),
    (cross_entropy_problems, {"min_weight": 3.0}, "min_weight=3.0 is larger than max_weight=2.0"),
    (cross_entropy_problems, {"max_weight": math.inf}, "max_weight=inf"),
    (
        cross_entropy_problems,
        {"min_weight": 1.001, "max_weight": 1.002, "dtype": torch.bfloat16},
        "no torch.bfloat16 value lies between min_weight=1.001 and max_weight=1.002",
    ),
    (cross_entropy_problems, {"min_classes": 100, "max_elements": 99}, "max_elements=99 is smaller"),
    (cross_entropy_problems, {"min_kept": 10, "max_elements": 15}, "max_elements=15 is smaller"),
    (cross_entropy_problems, {"unbatched": 1}, "unbatched=1"),
    (cross_entropy_problems, {"unbatched": True, "min_spatial_dims": 1}, "min_spatial_dims=1"),
    (cross_entropy_problems, {"unbatched": True, "min_kept": 2}, "min_kept=2"),
    (cross_entropy_problems, {"supported": {"weight": False}}, "supported={'weight': False}"),
    (probability_maps, {**SHAPE, "min_row_sum": -1.0}, "min_row_sum=-1.0"),
    (probability_maps, {**SHAPE, "min_row_sum": 1.5}, "min_row_sum=1.5 is larger than max_row_sum=1.0"),
]


@pytest.mark.parametrize(
    ("function", "kwargs", "message"),
    INVALID,
    ids=[f"{f.__name__}-{'-'.join(f'{k}={v!r}' for k, v in kw.items())}" for f, kw, _ in INVALID],
)
def test_invalid_arguments_raise_eagerly(function, kwargs, message):
    with pytest.raises(InvalidArgument) as info:
        function(**kwargs)  # no .example(): validation happens when the strategy is created
    assert message in str(info.value)


@pytest.mark.parametrize(
    "function", [class_counts, segmentation_shapes, logits, label_maps, cross_entropy_problems]
)
def test_options_are_keyword_only(function):
    with pytest.raises(TypeError):
        function(1)


def test_public_api():
    assert set(S.__all__) >= {
        "CrossEntropyProblem",
        "class_counts",
        "segmentation_shapes",
        "logits",
        "label_maps",
        "probability_maps",
        "one_hot_maps",
        "class_weights",
        "cross_entropy_problems",
    }
    # The dataclass is frozen.
    p = CrossEntropyProblem(logits=torch.zeros(2, 3), target=torch.zeros(2, dtype=torch.int64))
    with pytest.raises(AttributeError):
        p.reduction = "sum"  # type: ignore[misc]
    assert p.kwargs() == {"weight": None, "ignore_index": -100, "reduction": "mean", "label_smoothing": 0.0}
    assert p.num_classes == 3 and p.target_kind == "index"
