"""Symmetries and exact relations: both sides computed by the implementation, no reference involved."""

from __future__ import annotations

from typing import Any

import torch

from seglint import tolerances
from seglint.invariants._core import (
    Impl,
    allowed_error,
    as_case,
    assert_close,
    call,
    class_first,
    class_last,
    definition,
    describe,
    kept_mask,
    one_hot,
    pixel_shape,
    require_tensor,
)

__all__ = [
    "check_flatten_equivalence",
    "check_gibbs_inequality",
    "check_index_equals_one_hot",
    "check_log_softmax_idempotence",
    "check_nonnegative",
    "check_permutation_equivariance",
    "check_shift_invariance",
    "check_target_linearity",
]


def _symmetry_allowed(case, defn=None, *, kind="symmetry", max_abs_logit=0.0):
    defn = definition(case) if defn is None else defn
    rtol, atol = tolerances.tolerance(
        case.dtype, kind, num_classes=case.num_classes, max_abs_logit=max_abs_logit
    )
    red_rtol, _ = tolerances.tolerance(case.dtype, "reduced")
    # Both sides are computed by the implementation: each may carry the backward-stability error.
    stability = 0.0 if kind == "shift" else 2 * tolerances.logit_atol(case.dtype)
    return allowed_error(defn, rtol=rtol, atol=atol, reduction_rtol=red_rtol, logit_atol=stability)


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
    allowed = _symmetry_allowed(case, kind="shift", max_abs_logit=mag)
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
    logits = case.logits.index_select(1, perm.to(dev))
    weight = None if case.weight is None else case.weight.index_select(0, perm.to(case.weight.device))
    if case.target_kind == "index":
        kept = case.target != ii
        safe = torch.where(kept, case.target, torch.zeros_like(case.target))
        target = torch.where(kept, inverse.to(dev)[safe], case.target)
    else:
        target = case.target.index_select(1, perm.to(dev))
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
        _symmetry_allowed(case),
        what=f"class permutation {perm.tolist()} ({describe(case)})",
    )


def check_log_softmax_idempotence(impl: Impl, problem: Any) -> None:
    """``CE(log_softmax(z), y) == CE(z, y)``: log-probabilities are valid logits of the same loss."""
    case = as_case(problem)
    z = case.logits.detach()
    log_probs = torch.log_softmax(z, dim=1 if z.dim() >= 2 else 0)
    out = call(impl, case.replace(logits=log_probs))
    base = call(impl, case)
    assert_close(
        out, base.detach(), _symmetry_allowed(case), what=f"log_softmax idempotence ({describe(case)})"
    )


def check_index_equals_one_hot(impl: Impl, problem: Any) -> None:
    """Index targets equal their one-hot probability targets (smoothed by hand when ``label_smoothing > 0``).

    ``none`` and ``sum`` are equal; ``mean`` differs by design (pytorch #61309): the probability-target
    mean divides by the pixel count, the index one by ``sum_kept w_{y_i}``, so
    ``mean_prob * n == mean_index * sum_kept w_{y_i}``. Ignored pixels get an all-zero target row.
    """
    case = as_case(problem)
    if case.target_kind != "index":
        return
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
    allowed = _symmetry_allowed(case, defn)
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


def check_flatten_equivalence(impl: Impl, problem: Any) -> None:
    """``(N, C, d..)`` equals ``(N * prod(d), C)`` after ``movedim(1, -1).reshape(-1, C)``.

    Catches a softmax over the wrong dimension and a ``reshape(-1, C)`` without the ``movedim``.
    """
    case = as_case(problem)
    if case.logits.dim() < 3:
        return
    num_classes = case.num_classes
    flat_logits = class_last(case.logits).reshape(-1, num_classes)
    if case.target_kind == "index":
        flat_target = case.target.reshape(-1)
    else:
        flat_target = class_last(case.target).reshape(-1, num_classes)
    flat = case.replace(logits=flat_logits, target=flat_target)
    out_nd = call(impl, case)
    out_2d = call(impl, flat)
    require_tensor(out_nd, "flatten")
    defn = definition(flat)
    expected = out_2d.detach()
    if case.reduction == "none":
        if tuple(out_nd.shape) != pixel_shape(case):
            raise AssertionError(
                f"flatten: output shape {tuple(out_nd.shape)} != {pixel_shape(case)} ({describe(case)})"
            )
        out_nd = out_nd.reshape(-1)
    assert_close(
        out_nd,
        expected,
        _symmetry_allowed(flat, defn),
        what=f"(N,C,d..) == flattened (N*d.., C) ({describe(case)})",
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


def check_gibbs_inequality(impl: Impl, problem: Any) -> None:
    """Gibbs: ``CE(z, q) >= H(q)`` per pixel, with equality at ``z = log q``.

    Probability targets only (unweighted, ``reduction='none'``); with label smoothing the bound is
    ``H(q_eps)``. Equality is checked at ``q' = q/2 + 1/(2C)`` (all entries positive, so ``log q'`` is
    finite) within ``tolerance(dtype, "linearity")``; the floor within ``tolerance(dtype, "floor")``.
    """
    case = as_case(problem)
    if case.target_kind != "probability":
        return
    num_classes = case.num_classes
    case = case.replace(weight=None, reduction="none")
    eps = case.label_smoothing
    q = class_last(case.target.detach().cpu().double())
    floor = _entropy_floor((1.0 - eps) * q + eps / num_classes)
    out = call(impl, case)
    require_tensor(out, "output")
    if tuple(out.shape) != tuple(floor.shape):
        raise AssertionError(f"Gibbs: output shape {getattr(out, 'shape', None)} != {tuple(floor.shape)}")
    _, atol = tolerances.tolerance(case.dtype, "floor")
    max_abs = class_last(case.logits.detach().cpu().double()).abs().amax(dim=-1)
    slack = atol * torch.clamp(floor, min=1.0) + tolerances.logit_atol(case.dtype) * max_abs
    got = out.detach().cpu().double()
    bad = ~(got >= floor - slack)
    if bool(bad.any()):
        i = int(torch.nonzero(bad.reshape(-1))[0])
        raise AssertionError(
            f"Gibbs inequality CE(z, q) >= H(q) violated: {float(got.reshape(-1)[i])!r} < "
            f"{float(floor.reshape(-1)[i])!r} at pixel {i} ({describe(case)})"
        )
    # Equality at z = log q' for a strictly positive target q'.
    positive = (0.5 * q + 0.5 / num_classes).to(case.dtype)
    logits = torch.log(positive)
    eq_case = case.replace(
        logits=class_first(logits).to(case.device),
        target=class_first(positive).to(case.device),
        label_smoothing=0.0,
    )
    out = call(impl, eq_case)
    expected = _entropy_floor(positive.double())
    rtol, atol = tolerances.tolerance(case.dtype, "linearity", num_classes=num_classes)
    stability = tolerances.logit_atol(case.dtype) * logits.double().abs().amax(dim=-1)
    assert_close(
        out,
        expected,
        atol + rtol * expected.abs() + stability,
        what=f"Gibbs equality CE(log q, q) == H(q) ({describe(eq_case)})",
    )


def check_target_linearity(
    impl: Impl, problem: Any, other: torch.Tensor | None = None, alpha: float = 0.375
) -> None:
    """``CE(z, a q1 + (1-a) q2) == a CE(z, q1) + (1-a) CE(z, q2)`` for probability targets.

    Holds for every reduction, with weights and with label smoothing (an affine map of the target,
    preserved by a convex combination). Index targets are turned into one-hot maps (ignored pixels
    get zero rows). ``other`` defaults to ``q1`` with its classes rolled by one.
    Tolerance: ``tolerance(dtype, "linearity")``.
    """
    case = as_case(problem)
    num_classes = case.num_classes
    if case.target_kind == "index":
        q1 = one_hot(case.target, num_classes, dtype=case.dtype, ignore_index=case.ignore_index)
        case = case.replace(target=q1.to(case.device), ignore_index=-100)
    q1 = case.target.detach()
    q2 = torch.roll(q1, 1, dims=1) if other is None else torch.as_tensor(other).to(q1)
    mix = (alpha * q1.double() + (1.0 - alpha) * q2.double()).to(case.dtype)
    out_mix = call(impl, case.replace(target=mix))
    out_1 = call(impl, case.replace(target=q1))
    out_2 = call(impl, case.replace(target=q2))
    for name, out in (("mix", out_mix), ("q1", out_1), ("q2", out_2)):
        require_tensor(out, "linearity")
    expected = alpha * out_1.detach().double() + (1.0 - alpha) * out_2.detach().double()
    mix_case = case.replace(target=mix)
    defn = definition(mix_case)
    rtol, atol = tolerances.tolerance(case.dtype, "linearity", num_classes=num_classes)
    red_rtol, _ = tolerances.tolerance(case.dtype, "reduced")
    allowed = allowed_error(
        defn, rtol=rtol, atol=atol, reduction_rtol=red_rtol, logit_atol=2 * tolerances.logit_atol(case.dtype)
    )
    assert_close(out_mix, expected, allowed, what=f"linearity in the target, a={alpha} ({describe(case)})")
