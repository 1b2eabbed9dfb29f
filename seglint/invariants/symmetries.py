"""Symmetries and exact relations: both sides computed by the implementation, no reference involved."""

from __future__ import annotations

import math
from typing import Any

import torch

from seglint import tolerances
from seglint.invariants._core import (
    Impl,
    as_case,
    as_index_case,
    assert_close,
    assert_within,
    call,
    class_dim,
    class_first,
    class_last,
    definition,
    describe,
    kept_mask,
    one_hot,
    pairwise_allowed,
    per_pixel_if_supported,
    pixel_shape,
    reduced_expectation,
    require_tensor,
)

__all__ = [
    "DEFAULT_TARGET_SCALE",
    "as_probability_case",
    "check_flatten_equivalence",
    "check_gibbs_inequality",
    "check_index_equals_one_hot",
    "check_log_softmax_idempotence",
    "check_nonnegative",
    "check_permutation_equivariance",
    "check_shift_invariance",
    "check_target_linearity",
    "check_target_scaling",
]


def check_shift_invariance(impl: Impl, problem: Any, shift: torch.Tensor | None = None) -> None:
    """``CE(z + c) == CE(z)`` for a per-pixel shift ``c`` broadcast over the classes.

    ``shift`` has the logits' shape with C replaced by 1; by default it runs from -100 to 100 over the
    pixels (past ``exp`` overflow in float16). The shifted logits are rounded again, so the tolerance
    scales with the logit magnitude: ``tolerance(dtype, "shift", max_abs_logit=max|z| + max|c|)``.
    """
    case = as_case(problem)
    z = case.logits.detach()
    shape = list(z.shape)
    shape[1 if z.dim() >= 2 else 0] = 1
    if shift is None:
        n = 1
        for s in shape:
            n *= s
        shift = torch.linspace(-100.0, 100.0, max(n, 1), dtype=torch.float64)[:n].reshape(shape)
    shift = torch.as_tensor(shift).to(device=z.device, dtype=z.dtype)
    shifted = case.replace(logits=z + shift)
    out = call(impl, shifted)
    base = call(impl, case)
    mag = float(z.abs().max()) + float(shift.abs().max()) if z.numel() else 0.0
    allowed = pairwise_allowed(case, kind="shift", max_abs_logit=mag)
    assert_close(
        out,
        base.detach(),
        allowed,
        what=f"shift invariance, max|c|={float(shift.abs().max()):g} ({describe(case)})",
    )


def _permuted(case, perm: torch.Tensor):
    num_classes = case.num_classes
    ii = case.ignore_index
    perm = perm.clone()
    if case.target_kind == "index" and 0 <= ii < num_classes:
        # Keep the ignored class in place, or ignored pixels would become kept ones.
        j = int(torch.nonzero(perm == ii)[0])
        perm[j], perm[ii] = perm[ii].clone(), perm[j].clone()
    inverse = torch.empty_like(perm)
    inverse[perm] = torch.arange(num_classes)
    dev = case.device
    dim = class_dim(case.logits)
    logits = case.logits.index_select(dim, perm.to(dev))
    weight = None if case.weight is None else case.weight.index_select(0, perm.to(case.weight.device))
    if case.target_kind == "index":
        kept = case.target != ii
        safe = torch.where(kept, case.target, torch.zeros_like(case.target))
        target = torch.where(kept, inverse.to(dev)[safe], case.target)
    else:
        target = case.target.index_select(dim, perm.to(dev))
    return case.replace(logits=logits, weight=weight, target=target), perm


def check_permutation_equivariance(impl: Impl, problem: Any, perm: torch.Tensor | None = None) -> None:
    """``CE(z[:, pi], pi^-1[y], w[pi]) == CE(z, y, w)`` (and ``q[:, pi]`` for probability targets).

    ``perm`` defaults to a cyclic shift of the classes. An in-range ``ignore_index`` is kept fixed.
    Tolerance: ``tolerance(dtype, "symmetry")``.
    """
    case = as_case(problem)
    if perm is None:
        perm = torch.roll(torch.arange(case.num_classes), 1)
    permuted, perm = _permuted(case, torch.as_tensor(perm, dtype=torch.int64).cpu())
    out = call(impl, permuted)
    base = call(impl, case)
    assert_close(
        out,
        base.detach(),
        pairwise_allowed(case),
        what=f"class permutation {perm.tolist()} ({describe(case)})",
    )


def check_log_softmax_idempotence(impl: Impl, problem: Any) -> None:
    """``CE(log_softmax(z), y) == CE(z, y)``: log-probabilities are valid logits of the same loss."""
    case = as_case(problem)
    z = case.logits.detach()
    log_probs = torch.log_softmax(z, dim=class_dim(z))
    out = call(impl, case.replace(logits=log_probs))
    base = call(impl, case)
    assert_close(
        out, base.detach(), pairwise_allowed(case), what=f"log_softmax idempotence ({describe(case)})"
    )


def check_index_equals_one_hot(impl: Impl, problem: Any) -> None:
    """Index targets equal their one-hot probability targets (smoothed by hand when ``label_smoothing > 0``).

    ``none`` and ``sum`` are equal; ``mean`` differs by design (pytorch #61309): the probability-target
    mean divides by the pixel count, the index one by ``sum_kept w_{y_i}``, so
    ``mean_prob * n == mean_index * sum_kept w_{y_i}``. Ignored pixels get an all-zero target row.
    A probability problem is checked on its argmax.
    """
    case = as_index_case(as_case(problem))
    num_classes = case.num_classes
    eps = case.label_smoothing
    kept = kept_mask(case)
    onehot = one_hot(case.target, num_classes, dtype=torch.float64, ignore_index=case.ignore_index)
    keep = kept.unsqueeze(1) if onehot.dim() >= 2 else kept
    q = ((1.0 - eps) * onehot + eps / num_classes) * keep.to(torch.float64)
    prob_case = case.replace(target=q.to(case.dtype), ignore_index=-100, label_smoothing=0.0)
    out_index = call(impl, case)
    out_prob = call(impl, prob_case)
    defn = definition(case)
    allowed = pairwise_allowed(case, defn)
    what = f"index target == one-hot probability target ({describe(case)})"
    if case.reduction != "mean":
        assert_close(out_prob, out_index.detach(), allowed, what=what)
        return
    n = kept.numel()
    require_tensor(out_prob, "out_prob")
    require_tensor(out_index, "out_index")
    assert_close(
        out_prob.detach().double() * n,
        out_index.detach().double() * defn.denominator,
        allowed * defn.denominator,
        what=what + ": mean_prob * n == mean_index * sum_kept w[y]",
    )


def _other_layout(case):
    """The same pixels in another layout, and whether that one is the flat ``(pixels, C)`` form.

    ``(N, C, d..)`` -> ``(N * prod(d), C)`` (``movedim(1, -1).reshape(-1, C)``); ``(N, C)`` -> ``(1, C, N)``;
    unbatched ``(C,)`` -> the batch of one ``(1, C)``.
    """
    num_classes = case.num_classes
    z, t = case.logits, case.target
    index = case.target_kind == "index"
    if z.dim() >= 3:
        flat_t = t.reshape(-1) if index else class_last(t).reshape(-1, num_classes)
        return case.replace(logits=class_last(z).reshape(-1, num_classes), target=flat_t), True
    if z.dim() == 2:
        nd_t = t.unsqueeze(0) if index else t.T.unsqueeze(0).contiguous()
        return case.replace(logits=z.T.unsqueeze(0).contiguous(), target=nd_t), False
    return case.replace(logits=z.unsqueeze(0), target=t.unsqueeze(0)), True


def check_flatten_equivalence(impl: Impl, problem: Any) -> None:
    """The same pixels in another layout give the same losses: ``(N, C, d..)`` equals
    ``(N * prod(d), C)`` after ``movedim(1, -1).reshape(-1, C)``, an ``(N, C)`` problem equals its
    ``(1, C, N)`` form, and an unbatched ``(C,)`` one equals the batch of one ``(1, C)``.

    Catches a softmax over the wrong dimension, a ``reshape(-1, C)`` without the ``movedim``, and an
    unbatched input handled as something else. ``none`` is compared pixel by pixel.
    """
    case = as_case(problem)
    other, other_is_flat = _other_layout(case)
    out = call(impl, case)
    out_other = call(impl, other)
    require_tensor(out, "flatten")
    require_tensor(out_other, "flatten")
    flat = other if other_is_flat else case
    if case.reduction == "none":
        for name, got, c in (("input", out, case), ("other layout", out_other, other)):
            if tuple(got.shape) != pixel_shape(c):
                raise AssertionError(
                    f"layouts: 'none' output shape {tuple(got.shape)} != {pixel_shape(c)} for the {name} "
                    f"{tuple(c.logits.shape)} ({describe(case)})"
                )
        out, out_other = out.reshape(-1), out_other.reshape(-1)
    defn = definition(flat)
    assert_close(
        out,
        out_other.detach(),
        pairwise_allowed(flat, defn),
        what=f"logits {tuple(case.logits.shape)} == the same pixels as {tuple(other.logits.shape)} ({describe(case)})",
    )


def check_nonnegative(impl: Impl, problem: Any) -> None:
    """``CE >= 0`` (``-0.0`` counts) whenever the weights and the target are non-negative."""
    case = as_case(problem)
    if case.weight is not None and bool((case.weight < 0).any()):
        return
    if case.target_kind == "probability" and bool((case.target < 0).any()):
        return
    out = call(impl, case)
    require_tensor(out, "nonnegative")
    got = out.detach().cpu().double()
    if case.reduction == "mean" and definition(case).denominator == 0:
        return
    bad = ~(got >= 0)
    if bool(bad.any()):
        i = int(torch.nonzero(bad.reshape(-1))[0])
        raise AssertionError(
            f"CE >= 0 violated: {float(got.reshape(-1)[i])!r} at element {i} ({describe(case)})"
        )


def _entropy_floor(q: torch.Tensor) -> torch.Tensor:
    """``min_p -sum_c q_c log p_c = -sum_c q_c log(q_c / sum q)`` (class-last, 0 log 0 = 0), float64."""
    total = q.sum(dim=-1, keepdim=True)
    ratio = torch.where(q > 0, q / total, torch.ones_like(q))
    return -(q * torch.log(ratio)).sum(dim=-1)


def as_probability_case(case):
    """``case`` itself for a probability target; an index target becomes its one-hot map (ignored
    pixels get an all-zero row, which is what ignoring them means for a probability target)."""
    if case.target_kind == "probability":
        return case
    q = one_hot(case.target, case.num_classes, dtype=case.dtype, ignore_index=case.ignore_index)
    return case.replace(target=q.to(case.device), ignore_index=-100)


def check_gibbs_inequality(impl: Impl, problem: Any) -> None:
    """Gibbs: ``CE(z, q) >= H(q)`` per pixel, with equality at ``z = log q``.

    Domain: nonnegative targets. On the simplex the floor is the entropy ``H(q)``; a row that sums to
    ``S != 1`` has the floor ``S H(q / S)`` (the same inequality, scaled). Unweighted, per pixel (or,
    for an implementation without ``none``, with the problem's reduction: a ``mean`` or ``sum`` of the
    pixels' floors); with label smoothing the bound is
    that of ``q_eps``; index targets are checked as one-hot maps. Equality is checked at
    ``q' = q/2 + 1/(2C)`` (all entries positive, so ``log q'`` is finite) within ``tolerance(dtype,
    "linearity")``; the floor within ``tolerance(dtype, "floor")``.
    """
    case = as_probability_case(as_case(problem))
    if bool((case.target < 0).any()):
        return  # outside the domain: a negative target has no floor
    num_classes = case.num_classes
    case = per_pixel_if_supported(impl, case.replace(weight=None))
    eps = case.label_smoothing
    q = class_last(case.target.detach().cpu().double())
    floor = _entropy_floor((1.0 - eps) * q + eps / num_classes)
    out = call(impl, case)
    require_tensor(out, "output")
    _, atol = tolerances.tolerance(case.dtype, "floor")
    max_abs = class_last(case.logits.detach().cpu().double()).abs().amax(dim=-1)
    slack = atol * torch.clamp(floor, min=1.0) + tolerances.logit_atol(case.dtype) * max_abs
    assert_within(out, case, floor, math.inf, slack, what="Gibbs inequality CE(z, q) >= H(q)")
    # Equality at z = log q' for a strictly positive target q'.
    positive = (0.5 * q + 0.5 / num_classes).to(case.dtype)
    logits = torch.log(positive)
    eq_case = case.replace(
        logits=class_first(logits).to(case.device),
        target=class_first(positive).to(case.device),
        label_smoothing=0.0,
    )
    out = call(impl, eq_case)
    per_pixel = _entropy_floor(positive.double())
    rtol, atol = tolerances.tolerance(case.dtype, "linearity", num_classes=num_classes)
    stability = tolerances.logit_atol(case.dtype) * logits.double().abs().amax(dim=-1)
    expected, allowed = reduced_expectation(per_pixel, atol + rtol * per_pixel.abs() + stability, eq_case)
    assert_close(out, expected, allowed, what=f"Gibbs equality CE(log q, q) == H(q) ({describe(eq_case)})")


#: ``a`` of :func:`check_target_scaling` when none is given: off the simplex, above 1.
DEFAULT_TARGET_SCALE = 2.5


def check_target_linearity(
    impl: Impl,
    problem: Any,
    other: torch.Tensor | None = None,
    alpha: float = 0.375,
    beta: float | None = None,
) -> None:
    """The loss is affine in the target: ``CE(z, a q1 + b q2) - CE(z, 0) ==
    a (CE(z, q1) - CE(z, 0)) + b (CE(z, q2) - CE(z, 0))``.

    ``CE(z, 0)`` is 0 without label smoothing and ``eps CE(z, 1/C)`` with it (the smoothed target
    ``(1 - eps) q + eps/C`` is affine in ``q``). ``beta`` defaults to ``1 - alpha``, a convex
    combination, where the ``CE(z, 0)`` terms cancel; any other ``a + b`` leaves the simplex, which
    catches a kernel that renormalises the target. Holds for every reduction (``mean`` divides by the
    pixel count), with weights and with smoothing, for any real ``a``, ``b`` and targets. Index targets
    are turned into one-hot maps (ignored pixels get zero rows). ``other`` defaults to ``q1`` with its
    classes rolled by one. Tolerance: ``tolerance(dtype, "linearity")`` for each of the calls, scaled
    by its coefficient.
    """
    case = as_probability_case(as_case(problem))
    alpha = float(alpha)
    beta = 1.0 - alpha if beta is None else float(beta)
    rest = 1.0 - alpha - beta
    q1 = case.target.detach()
    q2 = torch.roll(q1, 1, dims=class_dim(q1)) if other is None else torch.as_tensor(other).to(q1)
    mix = (alpha * q1.double() + beta * q2.double()).to(case.dtype)
    terms = [(1.0, mix), (alpha, q1), (beta, q2)]
    if rest != 0.0:
        terms.append((rest, torch.zeros_like(q1)))
    outs, allowed = [], 0.0
    for coefficient, target in terms:
        sub = case.replace(target=target)
        out = call(impl, sub)
        require_tensor(out, "linearity")
        outs.append(out.detach().double())
        allowed = allowed + abs(coefficient) * pairwise_allowed(sub, kind="linearity")
    out_mix = outs[0]
    expected = sum(coefficient * out for (coefficient, _), out in zip(terms[1:], outs[1:]))
    if tuple(out_mix.shape) != tuple(torch.as_tensor(expected).shape):
        raise AssertionError(f"linearity: output shapes {[tuple(o.shape) for o in outs]} differ")
    assert_close(
        out_mix,
        expected,
        allowed,
        what=f"the loss is affine in the target, a={alpha:g}, b={beta:g} ({describe(case)})",
    )


def check_target_scaling(impl: Impl, problem: Any, scale: float = DEFAULT_TARGET_SCALE) -> None:
    """``CE(z, a q) - CE(z, 0) == a (CE(z, q) - CE(z, 0))``: without smoothing ``CE(z, a q) = a CE(z, q)``.

    torch does not renormalise a probability target, so scaling it scales the loss (and a row summing
    to 0 gives 0); a kernel that divides by the row sums passes on the simplex and fails here. A special
    case of :func:`check_target_linearity` (``b = 0``), with ``scale`` (default 2.5) as ``a``.
    """
    case = as_probability_case(as_case(problem))
    check_target_linearity(impl, case, other=torch.zeros_like(case.target), alpha=scale, beta=0.0)
