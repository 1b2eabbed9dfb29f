"""Shared machinery of the check functions: calling the implementation, the float64 definition of
cross-entropy, and assertions that report the measured and the allowed error.

Nothing here calls ``torch.nn.functional.cross_entropy`` or ``nll_loss``: the expected values are
computed from the mathematical definition in float64 with ``torch.logsumexp``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import torch

from seglint import tolerances
from seglint.implementations import NotSupported, supported_of
from seglint.problems import CrossEntropyProblem

Impl = Callable[..., torch.Tensor]

REDUCTIONS = ("none", "mean", "sum")


# The checks take any problem-like object; they work on this one type.
Case = CrossEntropyProblem


def as_case(problem: Any) -> Case:
    """Read any problem-like object (a ``CrossEntropyProblem`` or anything with its fields) into one."""
    if isinstance(problem, Case):
        return problem
    return Case(
        logits=problem.logits,
        target=problem.target,
        weight=getattr(problem, "weight", None),
        ignore_index=int(getattr(problem, "ignore_index", -100)),
        reduction=str(getattr(problem, "reduction", "mean")),
        label_smoothing=float(getattr(problem, "label_smoothing", 0.0)),
        grad_output=getattr(problem, "grad_output", None),
    )


def call(impl: Impl, case: Case, **changes: Any) -> torch.Tensor:
    """Call ``impl`` with ``case``'s arguments (``changes`` override them), all options as keywords."""
    if changes:
        case = case.replace(**changes)
    return impl(case.logits, case.target, **case.kwargs())


def cast(case: Case, dtype: torch.dtype) -> Case:
    """``case`` with its floating tensors (logits, weight, probability target) rounded to ``dtype``."""
    target = case.target.to(dtype) if case.target.is_floating_point() else case.target
    weight = None if case.weight is None else case.weight.to(dtype)
    return case.replace(logits=case.logits.to(dtype), target=target, weight=weight)


def to_device(case: Case, device: Any) -> Case:
    weight = None if case.weight is None else case.weight.to(device)
    return case.replace(logits=case.logits.to(device), target=case.target.to(device), weight=weight)


def as_index_case(case: Case) -> Case:
    """``case`` itself for an index target; a probability target becomes its argmax (no pixel ignored)."""
    if case.target_kind == "index":
        return case
    return case.replace(target=case.target.argmax(dim=class_dim(case.target)), ignore_index=-100)


def per_pixel_if_supported(impl: Impl, case: Case) -> Case:
    """``case`` with ``reduction="none"`` when ``impl`` declares it (a statement per pixel is the
    sharpest, and keeps float16's reductions from overflowing), its own reduction otherwise."""
    return case.replace(reduction="none") if "none" in supported_of(impl).reductions else case


def run_parts(*parts: Callable[[], None]) -> None:
    """Run each part of a check. A part the implementation does not support (``NotSupported``) is
    left out; when every part is, the check as a whole is not supported."""
    refused: NotSupported | None = None
    ran = False
    for part in parts:
        try:
            part()
        except NotSupported as exc:
            refused = refused or exc
        else:
            ran = True
    if not ran and refused is not None:
        raise refused


def class_dim(x: torch.Tensor) -> int:
    """The class dimension of logits or a probability target: 1, or 0 for unbatched ``(C,)``."""
    return 1 if x.dim() >= 2 else 0


def class_last(x: torch.Tensor) -> torch.Tensor:
    """(N, C, d..) -> (N, d.., C); (N, C) and (C,) unchanged."""
    return x.movedim(1, -1) if x.dim() >= 3 else x


def class_first(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`class_last`."""
    return x.movedim(-1, 1) if x.dim() >= 3 else x


def pixel_shape(case: Case) -> tuple[int, ...]:
    return case.target_shape


def num_pixels(case: Case) -> int:
    return math.prod(case.target_shape)


def grad_output_of(case: Case) -> torch.Tensor:
    """The upstream gradient for ``case``'s output, float64 on the CPU, of the output's shape.

    ``case.grad_output``, or ones when it is ``None``. A check that changed the reduction keeps a
    ``grad_output`` of the old shape: a scalar then takes its first element, a per-pixel one is that
    scalar broadcast, so the gradient checks stay a vector-Jacobian product, never the gradient of the sum.
    """
    shape = case.output_shape
    g = case.grad_output
    if g is None or g.numel() == 0:
        return torch.ones(shape, dtype=torch.float64)
    g = g.detach().to("cpu", torch.float64)
    if tuple(g.shape) != shape:
        g = g.reshape(-1)[0].expand(shape)
    return g


def kept_mask(case: Case) -> torch.Tensor:
    """Boolean map of the pixels that count (all of them for probability targets)."""
    if case.target_kind == "probability":
        return torch.ones(pixel_shape(case), dtype=torch.bool, device=case.target.device)
    return case.target != case.ignore_index


def one_hot(target: torch.Tensor, num_classes: int, *, dtype: torch.dtype, ignore_index: int) -> torch.Tensor:
    """Class-first one-hot map of an index target; ignored pixels get an all-zero row."""
    kept = target != ignore_index
    safe = torch.where(kept, target, torch.zeros_like(target))
    onehot = torch.nn.functional.one_hot(safe, num_classes).to(dtype) * kept.unsqueeze(-1).to(dtype)
    return class_first(onehot) if target.dim() >= 1 else onehot


@dataclasses.dataclass(frozen=True)
class Definition:
    """Cross-entropy of one case, from the definition, in float64 on the CPU.

    ``effective_target`` is ``t = w * ((1 - eps) q + eps / C)`` (class-last, zero at ignored pixels),
    so that the per-pixel loss is ``-sum_c t_c log p_c`` and its gradient ``mass * p - t``. ``dtype``
    is the dtype the implementation computes in (the case's), which bounds its underflow
    (:func:`underflow_error`); the values themselves are float64.
    """

    per_pixel: torch.Tensor
    mass: torch.Tensor
    max_abs_logit: torch.Tensor
    kept: torch.Tensor
    probs: torch.Tensor
    log_probs: torch.Tensor
    effective_target: torch.Tensor
    denominator: float
    reduction: str
    dtype: torch.dtype = torch.float64

    @property
    def value(self) -> torch.Tensor:
        return reduce(self.per_pixel, self.reduction, self.denominator)

    @property
    def num_pixels(self) -> int:
        return self.per_pixel.numel()


def reduce(per_pixel: torch.Tensor, reduction: str, denominator: float) -> torch.Tensor:
    if reduction == "none":
        return per_pixel
    total = per_pixel.sum()
    if reduction == "sum":
        return total
    if reduction == "mean":
        return total / denominator if denominator != 0 else torch.tensor(math.nan, dtype=total.dtype)
    raise ValueError(f"unknown reduction {reduction!r}; available: {', '.join(REDUCTIONS)}")


def definition(case: Case) -> Definition:
    """Evaluate ``case`` from the definition of cross-entropy, in float64 (never via torch's losses).

    ``l_i = -sum_c w_c q_ic log softmax(z_i)_c`` with ``q = (1 - eps) onehot(y) + eps / C`` for an
    index target (zero at ignored pixels) or ``q = (1 - eps) target + eps / C`` for a probability
    target; ``mean`` divides by ``sum_kept w_{y_i}`` (index) or by the pixel count (probability).
    """
    z = class_last(case.logits.detach().to("cpu", torch.float64))
    num_classes = z.shape[-1]
    # Shift by the max first, so that log p keeps its relative accuracy for logits of any size.
    shifted = z - z.amax(dim=-1, keepdim=True)
    log_probs = shifted - torch.logsumexp(shifted, dim=-1, keepdim=True)
    probs = torch.exp(log_probs)
    w = (
        torch.ones(num_classes, dtype=torch.float64)
        if case.weight is None
        else case.weight.detach().to("cpu", torch.float64)
    )
    eps = float(case.label_smoothing)
    target = case.target.detach().cpu()
    if case.target_kind == "index":
        kept = target != case.ignore_index
        safe = torch.where(kept, target, torch.zeros_like(target))
        q = torch.nn.functional.one_hot(safe, num_classes).to(torch.float64)
        q = (1.0 - eps) * q + eps / num_classes
        q = q * kept.unsqueeze(-1).to(torch.float64)
        denominator = float((w[safe] * kept.to(torch.float64)).sum())
    else:
        kept = torch.ones(z.shape[:-1], dtype=torch.bool)
        q = (1.0 - eps) * class_last(target.to(torch.float64)) + eps / num_classes
        denominator = float(kept.numel())
    t = q * w
    # 0 * log p is 0 even where p underflows to 0 (log p = -inf cannot happen for finite logits).
    per_pixel = -(t * log_probs).sum(dim=-1)
    per_pixel = torch.where(kept, per_pixel, torch.zeros_like(per_pixel))
    return Definition(
        per_pixel=per_pixel,
        mass=t.sum(dim=-1),
        max_abs_logit=torch.where(kept, z.abs().amax(dim=-1), torch.zeros_like(per_pixel)),
        kept=kept,
        probs=probs,
        log_probs=log_probs,
        effective_target=t,
        denominator=denominator,
        reduction=case.reduction,
        dtype=case.dtype,
    )


def underflow_error(defn: Definition) -> torch.Tensor:
    """Per-pixel absolute error of gradual underflow, for the implementation (in ``defn.dtype``) and
    the float64 definition together: ``(u(dtype) + u(float64)) * (1 + sum_c (1 + 2 |log p_c| [t_c <
    tiny]))`` at kept pixels, with ``u = tolerances.underflow_atol`` and ``tiny`` the dtype's smallest
    normal.

    Each class's product ``t_c log p_c`` and its addition to the pixel's sum, and the pixel's addition
    to a reduction, may each be rounded below the smallest normal (half a unit each); forming a target
    entry that lies there (``(1 - eps) q_c``, ``+ eps / C``, ``* w_c``) costs up to two units, which
    ``|log p_c|`` then multiplies. Above ``tiny`` those roundings are relative, within every ``rtol``.
    Negligible except for losses near the smallest normal: a probability row scaled to 1e-307 in
    float64, a smoothing of 1e-7 on a zero row in float16 (``seglint.tolerances``, "Gradual underflow").
    """
    unit = tolerances.underflow_atol(defn.dtype) + tolerances.underflow_atol(torch.float64)
    small = defn.effective_target.abs() < tolerances.smallest_normal(defn.dtype)
    terms = 1.0 + 2.0 * defn.log_probs.abs() * small.to(torch.float64)
    per_pixel = unit * (1.0 + terms.sum(dim=-1))
    return torch.where(defn.kept, per_pixel, torch.zeros_like(per_pixel))


def reduce_kept(per_pixel: torch.Tensor, kept: torch.Tensor, reduction: str) -> torch.Tensor:
    """Unweighted pixel values reduced as an unweighted loss is: 0 at ignored pixels for ``none``,
    the sum over kept pixels for ``sum``, their average for ``mean`` (NaN when none is kept)."""
    values = torch.where(kept, per_pixel, torch.zeros_like(per_pixel))
    count = int(kept.sum())
    return reduce(values, reduction, float(count))


def reduced_expectation(
    expected: torch.Tensor, allowed: torch.Tensor | float, case: Case
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-pixel expected values and allowed errors of an unweighted loss, reduced like ``case``'s
    (:func:`reduce_kept`), with ``tolerance(dtype, "reduced")`` added for ``sum`` and ``mean``."""
    kept = kept_mask(case).cpu()
    value = reduce_kept(expected, kept, case.reduction)
    tol = reduce_kept(torch.as_tensor(allowed, dtype=torch.float64).expand(kept.shape), kept, case.reduction)
    if case.reduction != "none":
        tol = tol + tolerances.tolerance(case.dtype, "reduced")[0] * value.abs()
    return value, tol


def allowed_error(
    defn: Definition,
    *,
    rtol: float,
    atol: float,
    reduction_rtol: float = 0.0,
    logit_atol: float = 0.0,
    per_pixel: torch.Tensor | None = None,
) -> torch.Tensor:
    """Allowed |error| of a result with ``defn``'s reduction.

    Each pixel may be off by ``rtol |l_i| + (atol + logit_atol * max_c |z_ic|) * mass_i``
    (``mass_i = sum_c t_ic``, the pixel's weight) plus its :func:`underflow_error`; a ``sum`` adds
    those up plus ``reduction_rtol |sum|`` for its own rounding, and a ``mean`` divides that by its
    denominator.
    """
    values = defn.per_pixel if per_pixel is None else per_pixel
    pixel = rtol * values.abs() + (atol + logit_atol * defn.max_abs_logit) * defn.mass + underflow_error(defn)
    if defn.reduction == "none":
        return pixel
    total = pixel.sum() + reduction_rtol * values.sum().abs()
    if defn.reduction == "sum":
        return total
    return total / defn.denominator if defn.denominator != 0 else torch.tensor(math.inf, dtype=torch.float64)


def pairwise_allowed(
    case: Case, defn: Definition | None = None, *, kind: str = "symmetry", max_abs_logit: float = 0.0
) -> torch.Tensor:
    """Allowed |difference| between two results of the implementation that must agree on ``case``
    (a symmetry, another layout, another thread count): ``tolerance(dtype, kind)`` per pixel plus
    ``tolerance(dtype, "reduced")``, and the backward-stability error of both sides (``shift`` has
    its own, larger, term instead)."""
    defn = definition(case) if defn is None else defn
    rtol, atol = tolerances.tolerance(
        case.dtype, kind, num_classes=case.num_classes, max_abs_logit=max_abs_logit
    )
    red_rtol, _ = tolerances.tolerance(case.dtype, "reduced")
    stability = 0.0 if kind == "shift" else 2 * tolerances.logit_atol(case.dtype)
    return allowed_error(defn, rtol=rtol, atol=atol, reduction_rtol=red_rtol, logit_atol=stability)


def require_tensor(out: Any, what: str) -> torch.Tensor:
    """``out`` itself, or ``AssertionError`` (a failed check, not a usage error) if it is no tensor."""
    if not isinstance(out, torch.Tensor):
        raise AssertionError(f"{what}: the implementation returned {type(out).__name__}, not a tensor")  # noqa: TRY004
    return out


def _fmt_index(flat: int, shape: tuple[int, ...]) -> str:
    if not shape:
        return "()"
    idx = []
    for size in reversed(shape):
        idx.append(flat % size)
        flat //= size
    return str(tuple(reversed(idx)))


def assert_close(
    actual: torch.Tensor,
    expected: torch.Tensor,
    allowed: torch.Tensor | float,
    *,
    what: str,
) -> None:
    """Raise ``AssertionError`` unless ``|actual - expected| <= allowed`` element-wise.

    NaN is expected exactly where ``expected`` is NaN; shapes must match exactly. ``allowed`` grows by
    the smallest subnormal of ``actual``'s dtype: no result in that dtype resolves less (a loss of
    1e-58 is 0 in float16, whatever the tolerance scaled by that loss says).
    """
    a = require_tensor(actual, what)
    floor = torch.finfo(a.dtype).smallest_normal * torch.finfo(a.dtype).eps if a.is_floating_point() else 0.0
    a = a.detach().to("cpu", torch.float64)
    e = torch.as_tensor(expected).detach().to("cpu", torch.float64)
    if tuple(a.shape) != tuple(e.shape):
        raise AssertionError(f"{what}: output shape {tuple(a.shape)} != expected shape {tuple(e.shape)}")
    tol = (torch.as_tensor(allowed, dtype=torch.float64) + floor).expand_as(e)
    e_nan = torch.isnan(e)
    a_nan = torch.isnan(a)
    bad_nan = e_nan != a_nan
    err = torch.where(e_nan | a_nan, torch.zeros_like(a), (a - e).abs())
    # inf - inf is nan: equal infinities are fine, anything else non-finite is a failure.
    err = torch.where(torch.isnan(err), torch.full_like(err, math.inf), err)
    same_inf = torch.isinf(a) & torch.isinf(e) & (a == e)
    err = torch.where(same_inf, torch.zeros_like(err), err)
    over = (err > tol) | bad_nan
    if bool(over.any()):
        excess = torch.where(bad_nan, torch.full_like(err, math.inf), err - tol)
        excess = torch.where(over, excess, torch.full_like(err, -math.inf))
        flat = int(excess.reshape(-1).argmax())
        shape = tuple(e.shape)
        av = float(a.reshape(-1)[flat])
        ev = float(e.reshape(-1)[flat])
        er = float(err.reshape(-1)[flat]) if not bool(bad_nan.reshape(-1)[flat]) else math.nan
        tl = float(tol.reshape(-1)[flat])
        n_bad = int(over.sum())
        where = f" at {_fmt_index(flat, shape)}" if shape else ""
        raise AssertionError(
            f"{what}: |error| {er:.3g}{where} exceeds the allowed {tl:.3g} "
            f"(actual {av!r}, expected {ev!r}; {n_bad} of {max(1, e.numel())} elements out of tolerance)"
        )


def assert_within(
    out: torch.Tensor,
    case: Any,
    lo: float | torch.Tensor,
    hi: float | torch.Tensor,
    slack: float | torch.Tensor,
    *,
    what: str,
) -> None:
    """``lo - slack <= out <= hi + slack`` per kept pixel (bounds per pixel or scalars), reduced like
    ``case``'s unweighted loss (``reduction_rtol`` of the bound added for ``sum``/``mean``); ignored
    pixels of a ``none`` output must be exactly 0."""
    kept = kept_mask(case).cpu()

    def per_pixel(value: float | torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(value, dtype=torch.float64).expand(kept.shape)

    lo_r = reduce_kept(per_pixel(lo), kept, case.reduction)
    hi_r = reduce_kept(per_pixel(hi), kept, case.reduction)
    slack_r = reduce_kept(per_pixel(slack), kept, case.reduction)
    if case.reduction != "none":
        scale = torch.where(torch.isfinite(hi_r), hi_r.abs(), lo_r.abs())
        slack_r = slack_r + tolerances.tolerance(case.dtype, "reduced")[0] * scale
    got = out.detach().cpu().double()
    if tuple(got.shape) != tuple(lo_r.shape):
        raise AssertionError(
            f"{what}: output shape {tuple(got.shape)} != {tuple(lo_r.shape)} ({describe(case)})"
        )
    if case.reduction == "mean" and not bool(kept.any()):
        return
    bad = ~((got >= lo_r - slack_r) & (got <= hi_r + slack_r))
    if bool(bad.any()):
        i = int(torch.nonzero(bad.reshape(-1))[0])
        at = f" at pixel {i}" if got.dim() else ""
        raise AssertionError(
            f"{what} violated: {float(got.reshape(-1)[i])!r} outside [{float(lo_r.reshape(-1)[i])!r}, "
            f"{float(hi_r.reshape(-1)[i])!r}] +- {float(slack_r.reshape(-1)[i]):.3g}{at} ({describe(case)})"
        )


def describe(case: Case) -> str:
    weight = "none" if case.weight is None else "w"
    return (
        f"{case.target_kind} target, logits {tuple(case.logits.shape)} {str(case.dtype).replace('torch.', '')} "
        f"on {case.device}, reduction={case.reduction!r}, weight={weight}, "
        f"ignore_index={case.ignore_index}, label_smoothing={case.label_smoothing}"
    )


def eps_of(dtype: torch.dtype) -> float:
    return tolerances.eps(dtype)
