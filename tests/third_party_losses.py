"""The cross-entropy losses of other libraries, declared for the property suite.

Each is an :class:`~seglint.implementations.Implementation` naming its loss as ``"module:attr"``, so
this module imports without the libraries; the loss is imported at the first call. Use one with
``pytest properties --ce-impl tests.third_party_losses:NAME`` or from Python with ``check_all``; the
opt-in ``tests/test_third_party.py`` (marker ``third_party``) runs them all. Environments:
``tools/third_party_env.sh``.

Each declaration states what the library's documentation and code promise, not what passes: where it
promises torch's semantics and does not deliver, ``tests/test_third_party.py`` pins the divergence
with its minimal failing input.
"""

from __future__ import annotations

from typing import Any

import torch

from seglint.implementations import Implementation, Supported

__all__ = [
    "IMPLEMENTATIONS",
    "MONAI_DICE_CE",
    "MONAI_DICE_CE_CROSS_ENTROPY",
    "SMP_SOFT_CROSS_ENTROPY",
    "TIMM_LABEL_SMOOTHING",
    "TIMM_SOFT_TARGET",
]

#: timm 1.0.31 ``timm.loss.LabelSmoothingCrossEntropy(smoothing=0.1)``: ``(N, C)`` logits (it takes
#: ``log_softmax(dim=-1)``), class indices, always the mean; ``assert smoothing < 1.0``.
TIMM_LABEL_SMOOTHING = Implementation(
    "timm.loss:LabelSmoothingCrossEntropy",
    arguments={"label_smoothing": "smoothing"},
    supported=Supported(
        reductions=("mean",),
        target_kinds=("index",),
        weight=False,
        ignore_index=False,
        label_smoothing=(0.0, 0.999),
        max_spatial_dims=0,
        unbatched=False,
    ),
)

#: timm 1.0.31 ``timm.loss.SoftTargetCrossEntropy()``: ``sum(-target * log_softmax(x, -1), -1).mean()``,
#: class probabilities only (mixup/cutmix targets), no options; a ``(C,)`` input reduces to its one loss.
TIMM_SOFT_TARGET = Implementation(
    "timm.loss:SoftTargetCrossEntropy",
    arguments={},
    supported=Supported(
        reductions=("mean",),
        target_kinds=("probability",),
        weight=False,
        ignore_index=False,
        label_smoothing=False,
        max_spatial_dims=0,
    ),
)

#: segmentation_models_pytorch 0.6.0 ``losses.SoftCrossEntropyLoss(reduction, smooth_factor,
#: ignore_index, dim=1)``, documented as a "drop-in replacement for torch.nn.CrossEntropyLoss with
#: label_smoothing": class indices, no weight, ``(N, 1, d..)`` for ``reduction="none"``.
#: ``smooth_factor=None`` (its default) fails (``None / C``), so the adapter always passes a number.
SMP_SOFT_CROSS_ENTROPY = Implementation(
    "segmentation_models_pytorch.losses:SoftCrossEntropyLoss",
    arguments={"reduction": "reduction", "label_smoothing": "smooth_factor", "ignore_index": "ignore_index"},
    output_layout="pixels_with_class_dim",
    supported=Supported(target_kinds=("index",), weight=False, unbatched=False),
)


def _monai_cross_entropy_part(
    input: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Any:
    """MONAI's ``DiceCELoss(...).ce(input, target)``: the cross-entropy half, with MONAI's own target
    handling (a ``(N, 1, d..)`` index target is squeezed; a same-shape target is a probability map)."""
    from monai.losses import DiceCELoss

    loss = DiceCELoss(weight=weight, reduction=reduction, label_smoothing=label_smoothing)
    return loss.ce(input, target)


#: MONAI 1.6.1 ``losses.DiceCELoss`` (cross-entropy part, ``.ce``): ``reduction`` mean or sum only,
#: no ``ignore_index`` (documented), index targets with a class dimension, or probability maps.
MONAI_DICE_CE_CROSS_ENTROPY = Implementation(
    _monai_cross_entropy_part,
    target_layout="indices_with_class_dim",
    arguments={"weight": "weight", "reduction": "reduction", "label_smoothing": "label_smoothing"},
    supported=Supported(reductions=("mean", "sum"), ignore_index=False, unbatched=False),
    name="monai.losses.DiceCELoss.ce",
)

#: MONAI 1.6.1 ``losses.DiceCELoss(to_onehot_y=True, softmax=True, lambda_dice=0.0)`` called as a
#: user does (``forward``): with the Dice term weighted 0 it is the cross-entropy. ``to_onehot_y``
#: needs index targets.
MONAI_DICE_CE = Implementation(
    "monai.losses:DiceCELoss",
    arguments={"weight": "weight", "reduction": "reduction", "label_smoothing": "label_smoothing"},
    options={"to_onehot_y": True, "softmax": True, "lambda_dice": 0.0},
    target_layout="indices_with_class_dim",
    supported=Supported(
        reductions=("mean", "sum"),
        target_kinds=("index",),
        ignore_index=False,
        min_spatial_dims=1,
        unbatched=False,
    ),
)

#: Every declaration, with the distribution it needs (for ``pytest.importorskip``).
IMPLEMENTATIONS: dict[str, tuple[str, Implementation]] = {
    "TIMM_LABEL_SMOOTHING": ("timm", TIMM_LABEL_SMOOTHING),
    "TIMM_SOFT_TARGET": ("timm", TIMM_SOFT_TARGET),
    "SMP_SOFT_CROSS_ENTROPY": ("segmentation_models_pytorch", SMP_SOFT_CROSS_ENTROPY),
    "MONAI_DICE_CE_CROSS_ENTROPY": ("monai", MONAI_DICE_CE_CROSS_ENTROPY),
    "MONAI_DICE_CE": ("monai", MONAI_DICE_CE),
}
