"""What seglint knows about third-party libraries, as data: which of their losses take logits, and
which of their models end in an activation.

Plain data (no libcst, no torch), read by the linter (``seglint.analysis.libraries``) and the runtime
guard. Every fact names the library version it was read in and the place in that library's source
that shows it (``source``); a test fails for a fact without one. To re-check a fact, read that file
(``pip download --no-deps NAME==VERSION``).

Values an argument can take are Python literals (``True``, ``"multiclass"``, ``None``). ``expects`` is
what the *input* must be: ``"logits"`` (class scores over a class dimension), ``"binary logits"``
(one score per element, a sigmoid applied inside), ``"log-probabilities"``, or ``None`` (the loss takes
probabilities or anything else: no requirement).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

Expectation = Literal["logits", "binary logits", "log-probabilities"]

# The versions each library's facts were read in.
CHECKED_VERSIONS: Mapping[str, str] = {
    "monai": "1.6.1",
    "segmentation_models_pytorch": "0.6.0",
    "torchvision": "0.29.1",
    "timm": "1.0.31",
}


@dataclass(frozen=True)
class Argument:
    """A constructor (or function) argument a fact depends on.

    ``position`` is its index among the positional arguments of the call (``self`` not counted), or
    ``None`` when it can only be passed by keyword. ``attribute`` is the instance attribute the library
    keeps it in (the runtime guard reads it there), or ``""``.
    """

    keyword: str
    position: int | None
    default: object
    attribute: str = ""


@dataclass(frozen=True)
class Case:
    """``expects`` holds when every ``(keyword, values)`` in ``when`` has one of its values.

    A case without conditions always holds; cases are tried in order.
    """

    expects: Expectation | None
    when: tuple[tuple[str, tuple[object, ...]], ...] = ()


@dataclass(frozen=True)
class LossFact:
    """A library loss: a class (its instances are called with the input) or a function."""

    library: str
    name: str  # the public qualified name, e.g. "monai.losses.DiceLoss"
    callable: Literal["class", "function"]
    input_position: int  # of the input in the call of ``forward`` (or of the function)
    input_keyword: str
    cases: tuple[Case, ...]
    arguments: tuple[Argument, ...] = ()  # every keyword the cases read
    class_dim: int = 1  # where the classes are, for "logits" (timm's classification losses: -1)
    source: str = ""  # "path/in/library.py: what it does with the input"
    # The losses (torch functions or other catalogued classes) the library passes the input to as it
    # came. The runtime guard checks the input where it arrives there; a class loss with none is checked
    # at its own ``forward`` (its own softmax, sigmoid or log_softmax is invisible to the guard otherwise).
    reaches: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActivationModelFact:
    """A model whose constructor argument ``activation`` picks the layer its output ends in.

    ``activations`` maps each literal value to the torch layer (qualified name) the model's output
    comes out of (``None``: no layer, or one that is not a class such as ``ArgMax``). A class passed as
    the value (``activation=nn.Sigmoid``) is instantiated with no arguments and is the last layer. With
    ``auxiliary`` given (not ``None``), the model returns a tuple ``(masks, labels)``, the labels ending
    in the activation named by that dict's ``"activation"`` key.
    """

    library: str
    name: str
    callable: Literal["class", "function"]
    activation: Argument
    activations: Mapping[object, str | None]
    auxiliary: Argument | None = None
    source: str = ""


@dataclass(frozen=True)
class HeadModelFact:
    """A model whose ``forward`` returns a dict; each key holds what the last layer of one of the
    model's attributes returns (through a resize that keeps values: bilinear interpolation)."""

    library: str
    name: str
    callable: Literal["class", "function"]
    heads: tuple[tuple[str, str, int], ...]  # (output key, attribute, how many layers it holds)
    source: str = ""


def _monai_activation(sigmoid: int, softmax: int) -> dict:
    """MONAI's ``sigmoid=``/``softmax=`` flags at these constructor positions: the input must be logits
    only when one of them is ``True``."""
    return {
        "cases": (
            Case("logits", (("softmax", (True,)),)),
            Case("binary logits", (("sigmoid", (True,)),)),
            Case(None),
        ),
        "arguments": (
            Argument("sigmoid", sigmoid, False, "sigmoid"),
            Argument("softmax", softmax, False, "softmax"),
        ),
    }


def _smp_from_logits(from_logits: int) -> dict:
    """segmentation_models_pytorch's ``mode`` (first) and ``from_logits`` arguments."""
    return {
        "cases": (
            Case(None, (("from_logits", (False,)),)),
            Case("binary logits", (("mode", ("binary", "multilabel")),)),
            Case("logits"),
        ),
        "arguments": (
            Argument("mode", 0, None, "mode"),
            Argument("from_logits", from_logits, True, "from_logits"),
        ),
    }


def _monai(name: str, source: str, **spec: object) -> LossFact:
    return LossFact("monai", f"monai.losses.{name}", "class", 0, "input", source=source, **spec)  # type: ignore[arg-type]


def _smp(name: str, source: str, **spec: object) -> LossFact:
    return LossFact(
        "segmentation_models_pytorch",
        f"segmentation_models_pytorch.losses.{name}",
        "class",
        0,
        "y_pred",
        source=source,
        **spec,  # type: ignore[arg-type]
    )


def _timm(
    name: str,
    source: str,
    *,
    expects: Expectation,
    keyword: str = "x",
    class_dim: int = -1,
    reaches: tuple[str, ...] = (),
) -> LossFact:
    return LossFact(
        "timm",
        f"timm.loss.{name}",
        "class",
        0,
        keyword,
        (Case(expects),),
        class_dim=class_dim,
        source=source,
        reaches=reaches,
    )


_ALWAYS_LOGITS = (Case("logits"),)
_CROSS_ENTROPY = "torch.nn.functional.cross_entropy"
_BCE_WITH_LOGITS = "torch.nn.functional.binary_cross_entropy_with_logits"

LOSSES: tuple[LossFact, ...] = (
    # ------------------------------------------------------------------ MONAI 1.6.1
    _monai(
        "DiceCELoss",
        "monai/losses/dice.py: DiceCELoss.ce runs nn.CrossEntropyLoss (BCEWithLogitsLoss for one channel) on the input",
        cases=_ALWAYS_LOGITS,
        reaches=(_CROSS_ENTROPY, _BCE_WITH_LOGITS),
    ),
    _monai(
        "DiceFocalLoss",
        "monai/losses/dice.py: DiceFocalLoss.focal is a FocalLoss, which applies sigmoid or softmax to the input",
        cases=_ALWAYS_LOGITS,
    ),
    _monai(
        "GeneralizedDiceFocalLoss",
        "monai/losses/dice.py: GeneralizedDiceFocalLoss.focal is a FocalLoss on the input",
        cases=_ALWAYS_LOGITS,
    ),
    _monai(
        "FocalLoss",
        "monai/losses/focal_loss.py: forward calls sigmoid_focal_loss or softmax_focal_loss (use_softmax) on the input",
        cases=(Case("logits", (("use_softmax", (True,)),)), Case("binary logits")),
        arguments=(Argument("use_softmax", 6, False, "use_softmax"),),
    ),
    _monai(
        "GeneralizedWassersteinDiceLoss",
        "monai/losses/dice.py: GeneralizedWassersteinDiceLoss.forward takes F.softmax(input, dim=1) always",
        cases=_ALWAYS_LOGITS,
    ),
    _monai(
        "DiceLoss",
        "monai/losses/dice.py: DiceLoss.forward applies torch.sigmoid / torch.softmax only if self.sigmoid / self.softmax",
        **_monai_activation(2, 3),
    ),
    _monai(
        "MaskedDiceLoss",
        "monai/losses/dice.py: MaskedDiceLoss(DiceLoss) passes sigmoid/softmax to DiceLoss.__init__",
        **_monai_activation(2, 3),
    ),
    _monai(
        "GeneralizedDiceLoss",
        "monai/losses/dice.py: GeneralizedDiceLoss.forward applies sigmoid/softmax only if asked",
        **_monai_activation(2, 3),
    ),
    _monai(
        "TverskyLoss",
        "monai/losses/tversky.py: TverskyLoss.forward applies sigmoid/softmax only if asked",
        **_monai_activation(2, 3),
    ),
    _monai(
        "HausdorffDTLoss",
        "monai/losses/hausdorff_loss.py: HausdorffDTLoss(alpha, include_background, to_onehot_y, sigmoid, softmax, ...)",
        **_monai_activation(3, 4),
    ),
    _monai(
        "LogHausdorffDTLoss",
        "monai/losses/hausdorff_loss.py: LogHausdorffDTLoss(HausdorffDTLoss) keeps its constructor",
        **_monai_activation(3, 4),
    ),
    _monai(
        "SoftclDiceLoss",
        "monai/losses/cldice.py: SoftclDiceLoss(iter_, smooth_nr, smooth_dr, smooth, include_background, to_onehot_y, sigmoid, softmax, ...)",
        **_monai_activation(6, 7),
    ),
    _monai(
        "SoftDiceclDiceLoss",
        "monai/losses/cldice.py: SoftDiceclDiceLoss(iter_, alpha, ..., to_onehot_y, sigmoid, softmax, ...)",
        **_monai_activation(7, 8),
    ),
    _monai(
        "MCCLoss",
        "monai/losses/mcc_loss.py: MCCLoss.forward applies sigmoid/softmax only if asked",
        **_monai_activation(2, 3),
    ),
    _monai(
        "BoundaryLoss",
        "monai/losses/boundary_loss.py: BoundaryLoss.forward applies sigmoid/softmax only if asked",
        **_monai_activation(2, 3),
    ),
    # ------------------------------------------------------------------ segmentation_models_pytorch 0.6.0
    _smp(
        "DiceLoss",
        "segmentation_models_pytorch/losses/dice.py: if self.from_logits: log_softmax(dim=1).exp() (multiclass) or logsigmoid().exp()",
        **_smp_from_logits(3),
    ),
    _smp(
        "JaccardLoss",
        "segmentation_models_pytorch/losses/jaccard.py: as DiceLoss, from_logits is the fourth argument",
        **_smp_from_logits(3),
    ),
    _smp(
        "TverskyLoss",
        "segmentation_models_pytorch/losses/tversky.py: TverskyLoss(DiceLoss), from_logits is the fourth argument",
        **_smp_from_logits(3),
    ),
    _smp(
        "FocalLoss",
        "segmentation_models_pytorch/losses/focal.py: focal_loss_with_logits on the input unless from_logits=False (fifth argument)",
        **_smp_from_logits(4),
        # losses/_functional.py: focal_loss_with_logits calls F.binary_cross_entropy_with_logits (per class slice).
        reaches=(_BCE_WITH_LOGITS,),
    ),
    _smp(
        "LovaszLoss",
        "segmentation_models_pytorch/losses/lovasz.py: forward ignores from_logits: softmax(dim=1) (multiclass) or the hinge on logits",
        cases=(Case("binary logits", (("mode", ("binary", "multilabel")),)), Case("logits")),
        arguments=(Argument("mode", 0, None, "mode"),),
    ),
    _smp(
        "SoftCrossEntropyLoss",
        "segmentation_models_pytorch/losses/soft_ce.py: forward takes F.log_softmax(y_pred, dim=self.dim), then a gather",
        cases=_ALWAYS_LOGITS,
    ),
    _smp(
        "SoftBCEWithLogitsLoss",
        "segmentation_models_pytorch/losses/soft_bce.py: forward calls F.binary_cross_entropy_with_logits on y_pred",
        cases=(Case("binary logits"),),
        reaches=(_BCE_WITH_LOGITS,),
    ),
    # ------------------------------------------------------------------ torchvision 0.29.1
    LossFact(
        "torchvision",
        "torchvision.ops.sigmoid_focal_loss",
        "function",
        0,
        "inputs",
        (Case("binary logits"),),
        source="torchvision/ops/focal_loss.py: sigmoid_focal_loss applies torch.sigmoid and BCE-with-logits to inputs",
        reaches=(_BCE_WITH_LOGITS,),
    ),
    # ------------------------------------------------------------------ timm 1.0.31
    _timm(
        "LabelSmoothingCrossEntropy",
        "timm/loss/cross_entropy.py: forward takes F.log_softmax(x, dim=-1), then a gather",
        expects="logits",
    ),
    _timm(
        "SoftTargetCrossEntropy",
        "timm/loss/cross_entropy.py: forward sums -target * F.log_softmax(x, dim=-1)",
        expects="logits",
    ),
    _timm(
        "BinaryCrossEntropy",
        "timm/loss/binary_cross_entropy.py: forward calls F.binary_cross_entropy_with_logits on x",
        expects="binary logits",
        reaches=(_BCE_WITH_LOGITS,),
    ),
    _timm(
        "AsymmetricLossMultiLabel",
        "timm/loss/asymmetric_loss.py: AsymmetricLossMultiLabel.forward takes torch.sigmoid(x)",
        expects="binary logits",
    ),
    _timm(
        "AsymmetricLossSingleLabel",
        "timm/loss/asymmetric_loss.py: AsymmetricLossSingleLabel.forward applies nn.LogSoftmax(dim=-1) to inputs",
        expects="logits",
        keyword="inputs",
    ),
    _timm(
        "PolyCrossEntropy",
        "timm/loss/poly_loss.py: PolyCrossEntropy.forward takes F.log_softmax(x.float(), dim=-1)",
        expects="logits",
    ),
    _timm(
        "JsdCrossEntropy",
        "timm/loss/jsd.py: forward splits x and applies a cross-entropy and F.softmax(logits, dim=1) to the splits",
        expects="logits",
        class_dim=1,
        # It overrides __call__, not forward; its first split goes to one of these.
        reaches=("timm.loss.LabelSmoothingCrossEntropy", "torch.nn.CrossEntropyLoss"),
    ),
)

# segmentation_models_pytorch/base/modules.py: Activation(name) builds nn.Identity (None, "identity"),
# nn.Sigmoid ("sigmoid"), nn.Softmax(dim=1) ("softmax2d"), nn.Softmax ("softmax": implicit dim, 1 for
# 4-D input), nn.LogSoftmax ("logsoftmax"), nn.Tanh, ArgMax, Clamp; a callable it calls with no
# arguments (``activation=nn.Sigmoid``).
SMP_ACTIVATIONS: Mapping[object, str | None] = {
    None: None,
    "identity": None,
    "sigmoid": "torch.nn.Sigmoid",
    "softmax2d": "torch.nn.Softmax",
    "softmax": "torch.nn.Softmax",
    "logsoftmax": "torch.nn.LogSoftmax",
    "tanh": "torch.nn.Tanh",
    "argmax": None,
    "argmax2d": None,
    "clamp": None,
}

_SMP_ARCHITECTURES = (
    "Unet",
    "UnetPlusPlus",
    "MAnet",
    "Linknet",
    "FPN",
    "PSPNet",
    "DeepLabV3",
    "DeepLabV3Plus",
    "PAN",
    "UPerNet",
    "Segformer",
    "DPT",
)


def _smp_model(name: str, callable: Literal["class", "function"] = "class") -> ActivationModelFact:
    return ActivationModelFact(
        "segmentation_models_pytorch",
        f"segmentation_models_pytorch.{name}",
        callable,
        # Passed by keyword in every architecture's documentation; its position differs between them.
        Argument("activation", None, None),
        SMP_ACTIVATIONS,
        Argument("aux_params", None, None),
        source=(
            "segmentation_models_pytorch/base/model.py: SegmentationModel.forward returns "
            "segmentation_head(...) (a SegmentationHead ending in Activation(activation)), or "
            "(masks, labels) when classification_head (from aux_params) is set"
        ),
    )


_TORCHVISION_SEGMENTATION = (
    "deeplabv3_resnet50",
    "deeplabv3_resnet101",
    "deeplabv3_mobilenet_v3_large",
    "fcn_resnet50",
    "fcn_resnet101",
)


def _smp_head(name: str, position: int, signature: str) -> ActivationModelFact:
    return ActivationModelFact(
        "segmentation_models_pytorch",
        f"segmentation_models_pytorch.base.{name}",
        "class",
        Argument("activation", position, None),
        SMP_ACTIVATIONS,
        source=f"segmentation_models_pytorch/base/heads.py: {name}({signature}) is an nn.Sequential ending in Activation(activation)",
    )


MODELS: tuple[ActivationModelFact | HeadModelFact, ...] = (
    *(_smp_model(name) for name in _SMP_ARCHITECTURES),
    # The heads themselves, for models that build their own (``self.head = SegmentationHead(...)``).
    _smp_head(
        "SegmentationHead", 3, "in_channels, out_channels, kernel_size=3, activation=None, upsampling=1"
    ),
    _smp_head("ClassificationHead", 4, "in_channels, classes, pooling='avg', dropout=0.2, activation=None"),
    # ``create_model(arch, ..., **kwargs)`` passes ``activation`` and ``aux_params`` on to the class.
    _smp_model("create_model", "function"),
    *(
        HeadModelFact(
            "torchvision",
            f"torchvision.models.segmentation.{name}",
            "function",
            # DeepLabHead(ASPP, Conv2d, BatchNorm2d, ReLU, Conv2d) and FCNHead(Conv2d, BatchNorm2d,
            # ReLU, Dropout, Conv2d): five layers each (deeplabv3.py, fcn.py); the last makes the logits.
            (("out", "classifier", 5), ("aux", "aux_classifier", 5)),
            source=(
                "torchvision/models/segmentation/_utils.py: _SimpleSegmentationModel.forward returns "
                'OrderedDict(out=F.interpolate(self.classifier(...), mode="bilinear"), aux=... aux_classifier)'
            ),
        )
        for name in _TORCHVISION_SEGMENTATION
    ),
    HeadModelFact(
        "torchvision",
        "torchvision.models.segmentation.lraspp_mobilenet_v3_large",
        "function",
        (("out", "classifier", 1),),  # an LRASPPHead: one module, not a sequence
        source=(
            "torchvision/models/segmentation/lraspp.py: LRASPP.forward returns "
            'OrderedDict(out=F.interpolate(self.classifier(features), mode="bilinear"))'
        ),
    ),
)

# Named constants the libraries export for argument values.
CONSTANTS: Mapping[str, object] = {
    # segmentation_models_pytorch/losses/constants.py
    "segmentation_models_pytorch.losses.BINARY_MODE": "binary",
    "segmentation_models_pytorch.losses.MULTICLASS_MODE": "multiclass",
    "segmentation_models_pytorch.losses.MULTILABEL_MODE": "multilabel",
}

LIBRARIES: tuple[str, ...] = tuple(sorted(CHECKED_VERSIONS))


class Undecided:
    """An argument whose value the caller cannot tell (not a literal, not known at run time)."""

    def __repr__(self) -> str:
        return "UNDECIDED"


UNDECIDED = Undecided()


def expected_input(fact: LossFact, value_of: Callable[[Argument], object]) -> Expectation | None:
    """What ``fact``'s input must be, given ``value_of(argument)`` for the arguments it reads
    (``UNDECIDED`` when unknown). ``None`` also when an undecided argument could make the input free:
    a miss is better than a false alarm."""
    arguments = {argument.keyword: argument for argument in fact.arguments}
    possible: list[Expectation | None] = []
    for case in fact.cases:
        holds: bool | None = True
        for keyword, values in case.when:
            value = value_of(arguments[keyword])
            if value is UNDECIDED:
                holds = None
            elif value not in values:
                holds = False
                break
        if holds is False:
            continue
        possible.append(case.expects)
        if holds:
            break
    if not possible or None in possible:
        return None
    return possible[0]
