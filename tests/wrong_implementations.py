"""Cross-entropy implementations for measuring the property suite's power.

Every function here has ``torch.nn.functional.cross_entropy``'s signature. The ``correct_*`` ones are
correct reimplementations computed differently from torch (they must pass every invariant); each of
the others carries one realistic bug, described in its docstring (it must be rejected by at least one
oracle-free invariant). They are written the way such losses are written in segmentation code bases:
class dimension 1, ``(N, C, d..)`` logits, index or probability targets.

Use one with ``pytest properties --ce-impl tests.wrong_implementations:NAME``.
"""

from __future__ import annotations

import torch

__all__ = [
    "CORRECT",
    "WRONG",
    "correct_float64",
    "correct_from_definition",
    "correct_logsumexp",
]


# ---------------------------------------------------------------------------------------------------------
# Building blocks (correct)
# ---------------------------------------------------------------------------------------------------------


def _class_last(x: torch.Tensor) -> torch.Tensor:
    return x.movedim(1, -1) if x.dim() >= 3 else x


def _log_softmax(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    m = z.amax(dim=dim, keepdim=True).detach()
    shifted = z - m
    return shifted - torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))


def _reduce_index(per_pixel, kept, w_y, reduction):
    if reduction == "none":
        return per_pixel
    total = per_pixel.sum()
    if reduction == "sum":
        return total
    return total / (w_y * kept).sum()


def _generic(
    input,
    target,
    weight=None,
    ignore_index=-100,
    reduction="mean",
    label_smoothing=0.0,
    *,
    compute_dtype=None,
    log_softmax=_log_softmax,
):
    """A straightforward, correct cross-entropy written from the definition (class-last internally)."""
    out_dtype = input.dtype
    dtype = compute_dtype or (
        torch.float32 if input.dtype in (torch.float16, torch.bfloat16) else input.dtype
    )
    z = _class_last(input).to(dtype)
    num_classes = z.shape[-1]
    logp = log_softmax(z)
    w = torch.ones(num_classes, dtype=dtype, device=z.device) if weight is None else weight.to(dtype)
    eps = float(label_smoothing)
    if target.is_floating_point():
        q = _class_last(target).to(dtype)
        q = (1.0 - eps) * q + eps / num_classes
        per_pixel = -(q * w * logp).sum(dim=-1)
        if reduction == "none":
            out = per_pixel
        elif reduction == "sum":
            out = per_pixel.sum()
        else:
            out = per_pixel.sum() / per_pixel.numel()
        return out.to(out_dtype)
    kept = target != ignore_index
    safe = torch.where(kept, target, torch.zeros_like(target))
    nll = -logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    w_y = w[safe]
    per_pixel = (1.0 - eps) * w_y * nll
    if eps > 0:
        per_pixel = per_pixel + (eps / num_classes) * -(w * logp).sum(dim=-1)
    per_pixel = torch.where(kept, per_pixel, torch.zeros_like(per_pixel))
    return _reduce_index(per_pixel, kept.to(dtype), w_y, reduction).to(out_dtype)


# ---------------------------------------------------------------------------------------------------------
# Correct reimplementations
# ---------------------------------------------------------------------------------------------------------


def correct_float64(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Correct: everything in float64 (``torch.log_softmax``), then cast back to the input's dtype."""
    return _generic(
        input,
        target,
        weight,
        ignore_index,
        reduction,
        label_smoothing,
        compute_dtype=torch.float64,
        log_softmax=lambda z: torch.log_softmax(z, dim=-1),
    )


def correct_from_definition(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Correct: a hand-written max-shifted log-softmax, float32 accumulation for half precision."""
    return _generic(input, target, weight, ignore_index, reduction, label_smoothing)


def correct_logsumexp(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Correct: ``z - logsumexp(z)`` in the input's own dtype (no upcast at all), the way many ports
    write it. Less accurate for large logits in half precision, but still correct."""
    return _generic(
        input,
        target,
        weight,
        ignore_index,
        reduction,
        label_smoothing,
        compute_dtype=input.dtype,
        log_softmax=lambda z: z - torch.logsumexp(z, dim=-1, keepdim=True),
    )


# ---------------------------------------------------------------------------------------------------------
# Wrong implementations, one realistic bug each
# ---------------------------------------------------------------------------------------------------------


def no_max_shift(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Bug: log-softmax as ``z - log(sum(exp(z)))`` without subtracting the max first, so ``exp``
    overflows to inf for logits above 88.7 (float32) and the loss becomes NaN or inf."""
    return _generic(
        input,
        target,
        weight,
        ignore_index,
        reduction,
        label_smoothing,
        compute_dtype=input.dtype,
        log_softmax=lambda z: z - torch.log(torch.exp(z).sum(dim=-1, keepdim=True)),
    )


def mean_over_all_pixels(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug: ``mean`` divides by every pixel, ignored ones included, instead of by the kept weight,
    so images with many ``ignore_index`` pixels get a shrunken loss."""
    out = _generic(
        input, target, weight, ignore_index, "sum" if reduction == "mean" else reduction, label_smoothing
    )
    if reduction != "mean":
        return out
    if target.is_floating_point():
        return out / target[:, 0].numel()
    if weight is None:
        return out / target.numel()
    safe = torch.where(target != ignore_index, target, torch.zeros_like(target))
    return out / weight[safe].sum()


def smoothing_over_other_classes(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug: label smoothing puts ``1 - eps`` on the target and spreads ``eps`` over the *other* C-1
    classes (``eps/(C-1)`` each) instead of ``eps/C`` over all C, as some papers define it."""
    if label_smoothing == 0 or target.is_floating_point():
        return _generic(input, target, weight, ignore_index, reduction, label_smoothing)
    num_classes = input.shape[1]
    eps = float(label_smoothing)
    kept = target != ignore_index
    safe = torch.where(kept, target, torch.zeros_like(target))
    onehot = torch.nn.functional.one_hot(safe, num_classes).to(torch.float32)
    q = onehot * (1.0 - eps) + (1.0 - onehot) * (eps / max(num_classes - 1, 1))
    z = _class_last(input).float()
    logp = _log_softmax(z)
    w = torch.ones(num_classes, device=input.device) if weight is None else weight.float()
    per_pixel = -(q * w * logp).sum(-1) * kept
    w_y = w[safe]
    return _reduce_index(per_pixel, kept.float(), w_y, reduction).to(input.dtype)


def mean_ignores_weights(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug: weighted ``mean`` divides by the number of kept pixels instead of ``sum_kept w[y_i]``."""
    out = _generic(
        input, target, weight, ignore_index, "sum" if reduction == "mean" else reduction, label_smoothing
    )
    if reduction != "mean":
        return out
    if target.is_floating_point():
        return out / target[:, 0].numel()
    return out / (target != ignore_index).sum()


def ignored_pixels_not_zeroed(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug: ignored pixels are mapped to class 0 and only dropped from the ``mean``/``sum``, so
    ``reduction='none'`` reports a loss (and the map a user plots) at every ignored pixel."""
    if target.is_floating_point():
        return _generic(input, target, weight, ignore_index, reduction, label_smoothing)
    kept = target != ignore_index
    safe = torch.where(kept, target, torch.zeros_like(target))
    per_pixel = _generic(input, safe, weight, ignore_index, "none", label_smoothing)
    if reduction == "none":
        return per_pixel
    masked = per_pixel * kept
    if reduction == "sum":
        return masked.sum()
    w = torch.ones(input.shape[1], dtype=input.dtype, device=input.device) if weight is None else weight
    return masked.sum() / (w[safe] * kept).sum()


def softmax_over_last_dim(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug: ``log_softmax(input, dim=-1)`` (right for ``(N, C)``, wrong for ``(N, C, H, W)``, where it
    normalises over the width instead of over the classes)."""
    logp = torch.log_softmax(input, dim=-1)
    return _generic(logp, target, weight, ignore_index, reduction, label_smoothing, log_softmax=lambda z: z)


def reshape_without_movedim(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug: flattens ``(N, C, H, W)`` logits with ``input.reshape(-1, C)`` instead of
    ``input.movedim(1, -1).reshape(-1, C)``, mixing classes and pixels."""
    num_classes = input.shape[1]
    flat = input.reshape(-1, num_classes)
    if target.is_floating_point():
        flat_target = target.reshape(-1, num_classes)
        shape = target.shape[:1] + target.shape[2:]
    else:
        flat_target = target.reshape(-1)
        shape = target.shape
    out = _generic(flat, flat_target, weight, ignore_index, reduction, label_smoothing)
    return out.reshape(shape) if reduction == "none" else out


def eps_inside_log(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Bug: "numerically safe" ``log(softmax(z) + 1e-7)``: biased for confident wrong predictions
    (the loss saturates near 16.1) and slightly negative for confident right ones."""
    return _generic(
        input,
        target,
        weight,
        ignore_index,
        reduction,
        label_smoothing,
        log_softmax=lambda z: torch.log(torch.softmax(z, dim=-1) + 1e-7),
    )


def smoothing_ignores_weights(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug: the smoothing term ``(eps/C) sum_c -log p_c`` is left unweighted when class weights are
    given (torch weights it: ``(eps/C) sum_c w_c (-log p_c)``)."""
    if weight is None or label_smoothing == 0 or target.is_floating_point():
        return _generic(input, target, weight, ignore_index, reduction, label_smoothing)
    num_classes = input.shape[1]
    eps = float(label_smoothing)
    z = _class_last(input).float()
    logp = _log_softmax(z)
    kept = target != ignore_index
    safe = torch.where(kept, target, torch.zeros_like(target))
    w = weight.float()
    w_y = w[safe]
    per_pixel = (1 - eps) * w_y * -logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1) + (
        eps / num_classes
    ) * -logp.sum(-1)
    per_pixel = per_pixel * kept
    return _reduce_index(per_pixel, kept.float(), w_y, reduction).to(input.dtype)


def probability_mean_over_weights(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug: with probability targets and class weights, ``mean`` divides by ``sum_i sum_c w_c q_ic``
    (the way index targets divide by ``sum w[y_i]``) instead of by the pixel count (pytorch #61309)."""
    if not target.is_floating_point() or weight is None or reduction != "mean":
        return _generic(input, target, weight, ignore_index, reduction, label_smoothing)
    total = _generic(input, target, weight, ignore_index, "sum", label_smoothing)
    q = _class_last(target).float()
    return (total.float() / (q * weight.float()).sum()).to(input.dtype)


def returns_float32(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Bug: computes in float32 for half-precision inputs and forgets to cast back, so a float16
    model gets a float32 loss (and mixed-precision code that checks dtypes breaks)."""
    return _generic(
        input.float(),
        target.float() if target.is_floating_point() else target,
        None if weight is None else weight.float(),
        ignore_index,
        reduction,
        label_smoothing,
    )


def detached_normaliser(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Bug: the log-sum-exp is computed under ``detach()`` "for stability", so the forward value is
    right but the gradient is ``-onehot`` instead of ``p - onehot``."""
    return _generic(
        input,
        target,
        weight,
        ignore_index,
        reduction,
        label_smoothing,
        log_softmax=lambda z: z - torch.logsumexp(z.detach(), dim=-1, keepdim=True),
    )


def smoothing_at_ignored_pixels(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug (pytorch #73205 before its fix): the label-smoothing term is added at ignored pixels too."""
    if target.is_floating_point() or label_smoothing == 0:
        return _generic(input, target, weight, ignore_index, reduction, label_smoothing)
    num_classes = input.shape[1]
    eps = float(label_smoothing)
    z = _class_last(input).float()
    logp = _log_softmax(z)
    kept = target != ignore_index
    safe = torch.where(kept, target, torch.zeros_like(target))
    w = torch.ones(num_classes, device=input.device) if weight is None else weight.float()
    w_y = w[safe]
    nll = -logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1) * kept
    per_pixel = (1 - eps) * w_y * nll + (eps / num_classes) * -(w * logp).sum(-1)
    return _reduce_index(per_pixel, kept.float(), w_y, reduction).to(input.dtype)


def soft_targets_hardened(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug: probability targets are turned into index targets with ``argmax`` ("hard labels"), which
    silently drops soft labels (mixup, distillation, smoothed maps)."""
    if target.is_floating_point():
        target = target.argmax(dim=1)
        out = _generic(input, target, weight, ignore_index, reduction, label_smoothing)
        if reduction == "mean" and weight is not None:
            # keep the probability-target convention of dividing by the pixel count
            total = _generic(input, target, weight, ignore_index, "sum", label_smoothing)
            out = total / target.numel()
        return out
    return _generic(input, target, weight, ignore_index, reduction, label_smoothing)


def zero_when_all_ignored(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug (a "safe" mean): divides by ``clamp(sum w, min=1)``, so a fully ignored batch gives a mean of
    0 instead of NaN, and a weighted mean whose kept weight is below 1 is wrong as well."""
    out = _generic(
        input, target, weight, ignore_index, "sum" if reduction == "mean" else reduction, label_smoothing
    )
    if reduction != "mean":
        return out
    if target.is_floating_point():
        return out / target[:, 0].numel()
    kept = target != ignore_index
    safe = torch.where(kept, target, torch.zeros_like(target))
    w = (
        torch.ones(input.shape[1], dtype=torch.float32, device=input.device)
        if weight is None
        else weight.float()
    )
    return (out.float() / (w[safe] * kept).sum().clamp(min=1.0)).to(input.dtype)


def mean_of_image_means(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Bug: ``mean`` averages the per-image means, so images with few kept pixels weigh as much as
    full ones (and an image with no kept pixel makes it NaN)."""
    if reduction != "mean" or input.dim() < 3:
        return _generic(input, target, weight, ignore_index, reduction, label_smoothing)
    means = [
        _generic(input[i : i + 1], target[i : i + 1], weight, ignore_index, "mean", label_smoothing)
        for i in range(input.shape[0])
    ]
    return torch.stack(means).mean()


def softmax_before_loss(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Bug (the one seglint's SEG001 finds): the model's output goes through ``softmax`` before the
    loss, which applies log-softmax again, so the loss can never drop below ``log(1+(C-1)/e)``."""
    probs = torch.softmax(input, dim=1)
    return _generic(probs, target, weight, ignore_index, reduction, label_smoothing)


def sum_is_mean(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Bug: ``reduction='sum'`` falls through to the mean branch (an ``if reduction == 'none' ... else``
    reduction switch)."""
    return _generic(
        input, target, weight, ignore_index, "none" if reduction == "none" else "mean", label_smoothing
    )


def nondeterministic_sum(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug: sums the per-pixel losses in a random order on every call (as an atomic-add kernel
    would), so two identical calls on the CPU differ in the last bits."""
    per_pixel = _generic(input, target, weight, ignore_index, "none", label_smoothing)
    if reduction == "none":
        return per_pixel
    flat = per_pixel.reshape(-1)
    total = torch.zeros((), dtype=flat.dtype, device=flat.device)
    for chunk in flat[torch.randperm(flat.numel(), device=flat.device)].split(3):
        total = total + chunk.sum()
    if reduction == "sum":
        return total
    if target.is_floating_point():
        return total / flat.numel()
    kept = target != ignore_index
    safe = torch.where(kept, target, torch.zeros_like(target))
    w = torch.ones(input.shape[1], dtype=input.dtype, device=input.device) if weight is None else weight
    return total / (w[safe] * kept).sum()


def class_weights_ignored(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug: the ``weight`` argument is accepted and dropped."""
    return _generic(input, target, None, ignore_index, reduction, label_smoothing)


def kernel_ignores_strides(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug: a kernel that indexes its inputs from ``data_ptr()`` as if they were contiguous, so a
    channels-last or transposed tensor is read in the wrong order (no error, wrong numbers)."""

    def as_if_contiguous(x):
        strides, step = [], 1
        for size in reversed(x.shape):
            strides.append(step)
            step *= size
        return torch.as_strided(x, x.shape, tuple(reversed(strides)), x.storage_offset())

    return _generic(
        as_if_contiguous(input), as_if_contiguous(target), weight, ignore_index, reduction, label_smoothing
    )


# ---------------------------------------------------------------------------------------------------------
# Wrong where the drawn problems did not reach before issue 12 (each passed the whole suite then, except
# weight_normalised_in_place, which CPU determinism caught by chance: the second call sees other weights)
# ---------------------------------------------------------------------------------------------------------


def renormalised_probability_targets(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug: probability targets are divided by their row sums "to make them distributions". torch does
    not renormalise: ``CE(z, a q) = a CE(z, q)``, and a row summing to 0.5 counts half. Right on the
    simplex, so it passed while every drawn target row summed to 1."""
    if target.is_floating_point():
        dim = 1 if target.dim() >= 2 else 0
        q = target.to(torch.float64 if target.dtype == torch.float64 else torch.float32)
        target = q / q.sum(dim=dim, keepdim=True).clamp(min=1e-12)  # an all-zero row stays zero
    return _generic(input, target, weight, ignore_index, reduction, label_smoothing)


def ignores_labels_outside_the_classes(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug: "ignored" means a label outside ``[0, C)`` (the kernel never reads ``ignore_index``), so
    ``ignore_index=0`` (ignore the background class, a common segmentation convention) counts the
    background pixels as class 0. Right for -100 and 255, the only values drawn before."""
    if target.is_floating_point():
        return _generic(input, target, weight, ignore_index, reduction, label_smoothing)
    num_classes = input.shape[1] if input.dim() >= 2 else input.shape[0]
    outside = (target < 0) | (target >= num_classes)
    marker = torch.full_like(target, -1)
    return _generic(input, torch.where(outside, marker, target), weight, -1, reduction, label_smoothing)


def hard_coded_void_label(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug: label 255 (the VOC/Cityscapes void label) is always ignored, whatever ``ignore_index`` says.
    Right while C <= 255 (255 is never a class then); with a vocabulary, class 255 is dropped."""
    if target.is_floating_point():
        return _generic(input, target, weight, ignore_index, reduction, label_smoothing)
    void = target == 255
    target = torch.where(void, torch.full_like(target, ignore_index), target)
    return _generic(input, target, weight, ignore_index, reduction, label_smoothing)


#: Classes per block of the online log-sum-exp below (a kernel's tile width).
BLOCK = 2048


def online_logsumexp_without_rescale(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug: a blocked ("online") log-sum-exp over tiles of 2048 classes that raises its running max
    without rescaling the running sum by ``exp(old_max - new_max)``. One tile (C <= 2048) is exact,
    so it passed while C stayed at 16; with a vocabulary the loss is wrong."""

    def log_softmax(z):
        running_max = running_sum = None
        for tile in z.split(BLOCK, dim=-1):
            tile_max = tile.amax(dim=-1, keepdim=True).detach()
            new_max = tile_max if running_max is None else torch.maximum(running_max, tile_max)
            tile_sum = torch.exp(tile - new_max).sum(dim=-1, keepdim=True)
            running_sum = tile_sum if running_sum is None else running_sum + tile_sum  # missing rescale
            running_max = new_max
        return z - running_max - torch.log(running_sum)

    return _generic(input, target, weight, ignore_index, reduction, label_smoothing, log_softmax=log_softmax)


def unbatched_as_a_batch_of_one(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug: ``(C,)`` logits are handled as a batch of one and never squeezed back, so an unbatched
    ``reduction='none'`` returns shape ``(1,)`` instead of ``()``. Unbatched inputs were never drawn."""
    if input.dim() == 1:
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    return _generic(input, target, weight, ignore_index, reduction, label_smoothing)


class _FusedCrossEntropy(torch.autograd.Function):
    """A fused kernel: the forward pass computes the loss and its gradient at once (as fused
    cross-entropy kernels do, to free the logits' activations early); backward only scales it."""

    @staticmethod
    def forward(ctx, input, target, weight, ignore_index, reduction, label_smoothing, flaw):
        with torch.enable_grad():
            z = input.detach().requires_grad_(True)
            out = _generic(z, target, weight, ignore_index, reduction, label_smoothing)
            (grad,) = torch.autograd.grad(out.sum(), z)
        if flaw == "gradient into the logits" and input.requires_grad:
            input.data.copy_(grad)  # saves a buffer: the caller's logits now hold the gradient
            grad = input.data
        ctx.save_for_backward(grad)
        ctx.flaw = flaw
        return out.detach()

    @staticmethod
    def backward(ctx, grad_output):
        (grad,) = ctx.saved_tensors
        if ctx.flaw != "ignores grad_output":
            class_dim = 1 if grad.dim() >= 2 else 0
            grad = grad * (grad_output.unsqueeze(class_dim) if grad_output.dim() else grad_output)
        return grad, None, None, None, None, None, None


def backward_ignores_grad_output(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug: a fused kernel whose backward returns the gradient it computed in the forward pass without
    multiplying by ``grad_output``. Right for ``loss.backward()`` on a mean (upstream 1), which is all
    the gradient checks did (``out.sum()``); wrong under loss scaling, weighting or ``none``."""
    return _FusedCrossEntropy.apply(
        input, target, weight, ignore_index, reduction, label_smoothing, "ignores grad_output"
    )


def gradient_into_the_logits_buffer(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug: a fused kernel that writes the gradient into the caller's logits buffer when they require
    grad (a memory saving real fused cross-entropy kernels have shipped). Values and gradients are
    right; the caller's logits are destroyed. Nothing checked the inputs after the call."""
    return _FusedCrossEntropy.apply(
        input, target, weight, ignore_index, reduction, label_smoothing, "gradient into the logits"
    )


def weight_normalised_in_place(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Bug: the class weights are normalised in place (``weight /= weight.sum()``), so the caller's
    weight tensor, shared by every training step, changes on the first call."""
    if weight is not None:
        weight.div_(weight.sum())
    return _generic(input, target, weight, ignore_index, reduction, label_smoothing)


CORRECT = ("correct_float64", "correct_from_definition", "correct_logsumexp")
WRONG = (
    "no_max_shift",
    "mean_over_all_pixels",
    "smoothing_over_other_classes",
    "mean_ignores_weights",
    "ignored_pixels_not_zeroed",
    "softmax_over_last_dim",
    "reshape_without_movedim",
    "eps_inside_log",
    "smoothing_ignores_weights",
    "probability_mean_over_weights",
    "returns_float32",
    "detached_normaliser",
    "smoothing_at_ignored_pixels",
    "soft_targets_hardened",
    "zero_when_all_ignored",
    "mean_of_image_means",
    "softmax_before_loss",
    "sum_is_mean",
    "nondeterministic_sum",
    "class_weights_ignored",
    "kernel_ignores_strides",
    *(
        "renormalised_probability_targets",
        "ignores_labels_outside_the_classes",
        "hard_coded_void_label",
        "online_logsumexp_without_rescale",
        "unbatched_as_a_batch_of_one",
        "backward_ignores_grad_output",
        "gradient_into_the_logits_buffer",
    ),
    "weight_normalised_in_place",
)
#: The wrong implementations that passed the whole property suite before issue 12 widened the draws.
PASSED_THE_NARROW_SUITE = WRONG[-8:-1]
