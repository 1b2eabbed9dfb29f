"""The guard's verdicts on single tensors: the autograd walk, and every value threshold just inside and
just outside, the minimum sizes, constant tensors and the false-alarm cases the README quotes."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seglint.guard.verdicts import (
    MIN_BINARY_VALUES,
    MIN_VALUES,
    history,
    received_from_statistics,
    received_from_values,
    too_small,
    value_statistics,
)


def judge(
    x: torch.Tensor, expects: str, class_dim: int | None = 1, *, cross_entropy: bool = True
) -> str | None:
    """What the value checks conclude, ``None`` for no verdict (the guard's own two steps)."""
    if too_small(x, expects, class_dim):  # type: ignore[arg-type]
        return None
    classes = None if class_dim is None else x.shape[class_dim]
    evidence = received_from_statistics(
        value_statistics(x, class_dim).tolist(),
        expects,  # type: ignore[arg-type]
        numel=x.numel(),
        classes=classes,
        dtype=x.dtype,
        cross_entropy=cross_entropy,
    )
    # The path the CPU takes (one aminmax first) must agree with the full statistics, always.
    assert received_from_values(x, expects, class_dim, cross_entropy=cross_entropy) == evidence  # type: ignore[arg-type]
    return None if evidence is None else evidence.received


def rows(*row: float, count: int = MIN_VALUES // 2, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``count`` copies of a two-class row, shaped (count, 2)."""
    return torch.tensor([list(row)] * count, dtype=dtype)


# ---------------------------------------------------------------------------------- autograd history
@pytest.mark.parametrize(
    "make",
    [
        lambda p: p,
        lambda p: p.permute(0, 2, 3, 1).reshape(-1, 3),
        lambda p: F.interpolate(p, size=(8, 8), mode="bilinear"),
        lambda p: F.interpolate(p, scale_factor=2, mode="nearest"),
        lambda p: p.half().float(),
        lambda p: p.flatten(2)[:, :, 1:],
        lambda p: p.clamp(1e-6, 1.0),
        lambda p: p.transpose(1, 2).contiguous()[0],
    ],
    ids=[
        "direct",
        "permute-reshape",
        "bilinear",
        "nearest",
        "cast",
        "flatten-slice",
        "clamp",
        "transpose-select",
    ],
)
def test_history_follows_value_preserving_nodes_to_softmax(make):
    z = torch.randn(2, 3, 4, 4, requires_grad=True)
    found = history(make(torch.softmax(z, 1)))
    assert found.readable and found.evidence is not None
    assert found.evidence.received == "probabilities"
    assert found.evidence.how.startswith("autograd: SoftmaxBackward0")


def test_history_names_sigmoid_log_softmax_and_log_of_softmax():
    z = torch.randn(4, 3, requires_grad=True)
    assert history(torch.sigmoid(z)).evidence.received == "probabilities"
    assert history(F.log_softmax(z, 1)).evidence.received == "log-probabilities"
    assert history(torch.log(torch.softmax(z, 1))).evidence.received == "log-probabilities"


def test_history_of_other_ops_gives_no_verdict_and_no_value_check():
    z = torch.randn(2, 3, 4, 4, requires_grad=True)
    for made in (
        z * 2,  # logits from arithmetic
        nn.Conv2d(3, 3, 1)(z),
        F.interpolate(torch.softmax(z, 1), scale_factor=2, mode="bicubic"),  # overshoots: not preserving
        torch.log(torch.sigmoid(z) + 1),
        torch.softmax(z, 1) * 2,
    ):
        found = history(made)
        assert found.readable and found.evidence is None


def test_no_history_leaves_it_to_the_values():
    class Double(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    leaf = torch.rand(4, 3, requires_grad=True)
    assert not history(torch.rand(4, 3)).readable  # no grad_fn
    assert not history(leaf).readable
    assert not history(leaf.view(12)).readable  # a view of a leaf ends in AccumulateGrad
    assert not history(Double.apply(leaf)).readable  # a custom function's inside is hidden


# ------------------------------------------------------------ cross_entropy: one-hot, SEG001, SEG004
def test_one_hot_is_one_hot_and_a_near_one_hot_is_probabilities():
    hot = F.one_hot(torch.arange(MIN_VALUES // 2) % 2, 2).float()
    assert judge(hot, "logits") == "one-hot"
    nearly = hot.clone()
    nearly[0] = torch.tensor([1 - 2**-24, 2**-24])  # still sums to 1, no longer only 0 and 1
    assert judge(nearly, "logits") == "probabilities"
    two_hot = hot.clone()
    two_hot[0] = 1.0  # a row with two ones sums to 2: neither
    assert judge(two_hot, "logits") is None


def test_row_sum_threshold_is_c_times_eps():
    eps = torch.finfo(torch.float32).eps  # 2**-23; C = 2, so the limit is 2**-22
    inside = rows(0.5 + 2 * eps, 0.5)  # |sum - 1| = 2 eps exactly
    outside = rows(0.5 + 2 * eps + eps / 2, 0.5)  # one ulp of 0.5 (2**-24) further
    assert value_statistics(inside, 1)[3].item() == 2 * eps
    assert judge(inside, "logits") == "probabilities"
    assert judge(outside, "logits") is None


def test_row_sum_threshold_scales_with_dtype():
    eps = torch.finfo(torch.bfloat16).eps  # 2**-7; limit 2**-6 for C = 2
    assert judge(rows(0.5 + 2**-6, 0.5, dtype=torch.bfloat16), "logits") == "probabilities"
    assert judge(rows(0.5 + 2**-6 + 2**-8, 0.5, dtype=torch.bfloat16), "logits") is None
    assert 2 * eps == 2**-6


def test_values_must_lie_in_the_unit_interval():
    assert judge(rows(1.0, 0.0), "logits") == "one-hot"
    edges = torch.cat([rows(1.0, 0.0, count=8), rows(0.25, 0.75, count=8)])  # min exactly 0, max exactly 1
    assert judge(edges, "logits") == "probabilities"
    below = torch.cat([rows(1 + 2**-23, -(2**-23), count=8), rows(0.25, 0.75, count=8)])  # sums to 1 exactly
    assert judge(below, "logits") is None


def test_log_probabilities_threshold_at_the_statistics():
    eps = torch.finfo(torch.float32).eps
    limit = 2 * eps  # C = 2

    def seg004(exp_row_sum: float, hi: float = -0.1) -> str | None:
        evidence = received_from_statistics(
            [-3.0, hi, 0.0, 1.0, exp_row_sum, 1.0],
            "logits",
            numel=32,
            classes=2,
            dtype=torch.float32,
            cross_entropy=True,
        )
        return None if evidence is None else evidence.received

    assert seg004(limit) == "log-probabilities"
    assert seg004(math.nextafter(limit, 1.0)) is None
    assert seg004(0.0, hi=0.0) == "log-probabilities"  # a log-probability of exactly 0 (p = 1)
    assert seg004(0.0, hi=2**-30) is None  # any positive value: not log-probabilities


def test_real_log_softmax_is_log_probabilities_only_for_cross_entropy():
    z = torch.randn(8, 21, 4, 4) * 5
    assert judge(F.log_softmax(z, 1), "logits") == "log-probabilities"
    assert judge(F.log_softmax(z, 1), "logits", cross_entropy=False) is None  # library losses: SEG004 is CE's
    assert judge(F.log_softmax(z, 1) + 1e-3, "logits") is None  # logsumexp 1e-3 away from 0
    saturated = F.log_softmax(z * 1000, 1)  # each row's top class: exactly 0
    assert saturated.max().item() == 0.0
    assert judge(saturated, "logits") == "log-probabilities"


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.bfloat16, torch.float16])
@pytest.mark.parametrize("classes", [2, 21, 150])
def test_real_softmax_outputs_pass_in_every_dtype(dtype, classes):
    z = torch.randn(4, classes, 3, 3, dtype=torch.float64).mul(10).to(dtype)
    assert judge(torch.softmax(z, 1), "logits") == "probabilities"
    assert (
        judge(F.interpolate(torch.softmax(z, 1), size=(5, 5), mode="bilinear"), "logits") == "probabilities"
    )


# -------------------------------------------------------------------- minimum sizes, classes, constants
def test_minimum_size_for_the_class_rules():
    probabilities = torch.softmax(torch.randn(MIN_VALUES // 2, 2), 1)  # exactly MIN_VALUES values
    assert judge(probabilities, "logits") == "probabilities"
    assert judge(probabilities[:-1], "logits") is None  # one row fewer
    assert judge(torch.softmax(torch.randn(1, MIN_VALUES), 1), "logits") == "probabilities"
    assert judge(torch.softmax(torch.randn(1, MIN_VALUES - 1), 1), "logits") is None
    flat = probabilities.flatten()
    assert judge(flat, "log-probabilities", None) == "probabilities"
    assert judge(flat[:-1], "log-probabilities", None) is None


def test_minimum_size_for_the_binary_rules():
    probabilities = torch.sigmoid(torch.randn(MIN_BINARY_VALUES))
    assert judge(probabilities, "binary logits", None) == "probabilities"
    assert judge(probabilities[:-1], "binary logits", None) is None


def test_fewer_than_two_classes_gives_no_verdict():
    assert judge(torch.ones(64, 1), "logits") is None
    assert judge(torch.softmax(torch.randn(32, 2), 1), "logits") == "probabilities"


@pytest.mark.parametrize("value", [0.0, 0.5, 1.0, -1.0, 1 / 21])
@pytest.mark.parametrize("expects", ["logits", "binary logits", "log-probabilities"])
def test_all_equal_logits_get_no_verdict(value, expects):
    x = torch.full((1, 21, 16, 16), value)
    assert x.numel() >= MIN_BINARY_VALUES  # large enough for every rule: only constancy stops them
    assert judge(x, expects, 1 if expects == "logits" else None) is None


def test_a_zero_weight_head_with_a_bias_does_not_trip_the_binary_rule():
    head = nn.Conv2d(8, 3, 1)
    nn.init.zeros_(head.weight)
    with torch.no_grad():
        head.bias.copy_(torch.tensor([0.1, 0.5, 0.9]))  # all in [0, 1], the same at every pixel
        out = head(torch.randn(2, 8, 32, 32))
    assert judge(out, "binary logits", None) is None
    assert judge(torch.sigmoid(torch.randn(2, 3, 32, 32)), "binary logits", None) == "probabilities"


def test_binary_rules_one_hot_and_probabilities():
    target = (torch.rand(1, 1, 64, 64) > 0.5).float()
    assert judge(target, "binary logits", None) == "one-hot"
    assert judge(target.clamp(1e-3, 1 - 1e-3), "binary logits", None) == "probabilities"
    assert judge(torch.randn(1, 1, 64, 64), "binary logits", None) is None


def test_unit_interval_edges_for_the_binary_and_log_probability_rules():
    inside = torch.sigmoid(torch.randn(MIN_BINARY_VALUES))
    inside[0], inside[1] = 0.0, 1.0  # the edges themselves are in [0, 1]
    assert judge(inside, "binary logits", None) == "probabilities"
    assert judge(inside[:MIN_VALUES], "log-probabilities", None) == "probabilities"
    for outside_value in (-(2**-24), 1 + 2**-23):  # one ulp outside
        outside = inside.clone()
        outside[0] = outside_value
        assert judge(outside, "binary logits", None) is None
        assert judge(outside[:MIN_VALUES], "log-probabilities", None) is None


def test_iid_normal_logits_at_the_minimum_sizes_never_alarm():
    generator = torch.Generator().manual_seed(0)
    for _ in range(300):
        for dtype in (torch.float32, torch.bfloat16):
            z = torch.randn(MIN_VALUES // 2, 2, generator=generator).to(dtype)
            assert judge(z, "logits") is None
            assert judge(z.flatten(), "log-probabilities", None) is None
    for _ in range(20):
        assert judge(torch.randn(MIN_BINARY_VALUES, generator=generator), "binary logits", None) is None


def test_freshly_initialised_heads_at_the_minimum_size_do_not_alarm():
    side = math.isqrt(MIN_BINARY_VALUES)
    for seed in range(10):  # benchmarks/guard_thresholds.py runs 1000
        torch.manual_seed(seed)
        net = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 4, 1)
        ).eval()
        with torch.no_grad():
            logits = net(torch.randn(1, 3, side, side))
        assert judge(logits, "logits") is None
        assert judge(logits[:, :1], "binary logits", None) is None
        assert judge(logits, "log-probabilities") is None
