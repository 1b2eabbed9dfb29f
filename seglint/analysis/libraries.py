"""Third-party segmentation losses whose input must be logits, enabled by name in the configuration.

Each entry was checked against the library's own source (MONAI 1.6.1, segmentation_models_pytorch
0.6.0, torchvision's ``ops/focal_loss.py``); the version is named so the next reader can re-check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from seglint.analysis.catalogue import TORCH, Catalogue, Expects, Kind, LossSpec

_MONAI_ACTIVATION = LossSpec(Expects.LOGITS, when_true=("softmax", "sigmoid"))
_MONAI_ALWAYS = LossSpec(Expects.LOGITS)
_SMP_FROM_LOGITS_AT_3 = LossSpec(
    Expects.LOGITS, unless_false="from_logits", unless_false_position=3, input_keyword="y_pred"
)
_SMP_ALWAYS = LossSpec(Expects.LOGITS, input_keyword="y_pred")

LIBRARIES: Mapping[str, tuple[Mapping[str, LossSpec], Mapping[str, LossSpec]]] = {
    # (loss modules, loss functions)
    "monai": (
        {
            # The cross-entropy half always runs nn.CrossEntropyLoss / BCEWithLogitsLoss on the input.
            "monai.losses.DiceCELoss": _MONAI_ALWAYS,
            # FocalLoss applies sigmoid (or softmax with use_softmax=True) itself, always.
            "monai.losses.FocalLoss": _MONAI_ALWAYS,
            "monai.losses.DiceFocalLoss": _MONAI_ALWAYS,
            "monai.losses.GeneralizedDiceFocalLoss": _MONAI_ALWAYS,
            # These apply an activation only when asked to.
            "monai.losses.DiceLoss": _MONAI_ACTIVATION,
            "monai.losses.MaskedDiceLoss": _MONAI_ACTIVATION,
            "monai.losses.GeneralizedDiceLoss": _MONAI_ACTIVATION,
            "monai.losses.TverskyLoss": _MONAI_ACTIVATION,
        },
        {},
    ),
    "segmentation_models_pytorch": (
        {
            # ``from_logits: bool = True`` is the fourth parameter of each of these.
            "segmentation_models_pytorch.losses.DiceLoss": _SMP_FROM_LOGITS_AT_3,
            "segmentation_models_pytorch.losses.JaccardLoss": _SMP_FROM_LOGITS_AT_3,
            "segmentation_models_pytorch.losses.TverskyLoss": _SMP_FROM_LOGITS_AT_3,
            # FocalLoss(mode, alpha, gamma, ignore_index, from_logits=True, ...)
            "segmentation_models_pytorch.losses.FocalLoss": LossSpec(
                Expects.LOGITS, unless_false="from_logits", unless_false_position=4, input_keyword="y_pred"
            ),
            # LovaszLoss takes from_logits but ignores it: multiclass mode always applies softmax.
            "segmentation_models_pytorch.losses.LovaszLoss": _SMP_ALWAYS,
            "segmentation_models_pytorch.losses.SoftCrossEntropyLoss": _SMP_ALWAYS,
            "segmentation_models_pytorch.losses.SoftBCEWithLogitsLoss": _SMP_ALWAYS,
        },
        {},
    ),
    "torchvision": (
        {},
        {"torchvision.ops.sigmoid_focal_loss": LossSpec(Expects.LOGITS, input_keyword="inputs")},
    ),
}


def build_catalogue(
    *,
    libraries: Iterable[str] = (),
    logits_losses: Iterable[str] = (),
    log_probability_losses: Iterable[str] = (),
    probability_functions: Iterable[str] = (),
) -> Catalogue:
    """torch's catalogue plus the named libraries and the user's own names (all validated by config).

    A user loss whose last name component starts with a capital letter is taken for a class (its
    instances are called with the input); any other name for a function called with the input.
    """
    loss_modules: dict[str, LossSpec] = {}
    loss_functions: dict[str, LossSpec] = {}
    for library in libraries:
        modules, functions = LIBRARIES[library]
        loss_modules.update(modules)
        loss_functions.update(functions)
    for names, expects in (
        (logits_losses, Expects.LOGITS),
        (log_probability_losses, Expects.LOG_PROBABILITIES),
    ):
        for name in names:
            target = loss_modules if name.rsplit(".", 1)[-1][:1].isupper() else loss_functions
            target[name] = LossSpec(expects)
    producers = {name: (Kind.PROBABILITIES, name.rsplit(".", 1)[-1]) for name in probability_functions}
    return TORCH.extended(
        loss_functions=loss_functions, loss_modules=loss_modules, producer_functions=producers
    )
