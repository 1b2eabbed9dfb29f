"""What seglint knows about torch's API, by fully qualified name.

Everything here is data: which callables produce probabilities, one-hot or log-probability tensors,
which losses expect logits or log-probabilities, and which tensor methods keep a tensor's kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from seglint.library_facts import ActivationModelFact, HeadModelFact, LossFact


class Kind(str, Enum):
    """What a tensor holds, as far as a loss is concerned."""

    PROBABILITIES = "probabilities"
    ONE_HOT = "one-hot"
    LOG_PROBABILITIES = "log-probabilities"


class Expects(str, Enum):
    """What a loss expects as its input."""

    LOGITS = "logits"
    BINARY_LOGITS = "binary logits"
    LOG_PROBABILITIES = "log-probabilities"


# Producers: the short name is what messages say ("the output of `softmax`").
PRODUCER_FUNCTIONS: dict[str, tuple[Kind, str]] = {
    "torch.softmax": (Kind.PROBABILITIES, "softmax"),
    "torch.nn.functional.softmax": (Kind.PROBABILITIES, "softmax"),
    "torch.special.softmax": (Kind.PROBABILITIES, "softmax"),
    "torch.sigmoid": (Kind.PROBABILITIES, "sigmoid"),
    "torch.nn.functional.sigmoid": (Kind.PROBABILITIES, "sigmoid"),
    "torch.special.expit": (Kind.PROBABILITIES, "sigmoid"),
    "torch.nn.functional.one_hot": (Kind.ONE_HOT, "one_hot"),
    "torch.log_softmax": (Kind.LOG_PROBABILITIES, "log_softmax"),
    "torch.nn.functional.log_softmax": (Kind.LOG_PROBABILITIES, "log_softmax"),
    "torch.special.log_softmax": (Kind.LOG_PROBABILITIES, "log_softmax"),
}

# Module classes whose instances, when called, produce a kind.
PRODUCER_MODULES: dict[str, tuple[Kind, str]] = {
    "torch.nn.Softmax": (Kind.PROBABILITIES, "nn.Softmax"),
    "torch.nn.Softmax2d": (Kind.PROBABILITIES, "nn.Softmax2d"),
    "torch.nn.Sigmoid": (Kind.PROBABILITIES, "nn.Sigmoid"),
    "torch.nn.LogSoftmax": (Kind.LOG_PROBABILITIES, "nn.LogSoftmax"),
}

PRODUCER_METHODS: dict[str, tuple[Kind, str]] = {
    "softmax": (Kind.PROBABILITIES, "softmax"),
    "sigmoid": (Kind.PROBABILITIES, "sigmoid"),
    "log_softmax": (Kind.LOG_PROBABILITIES, "log_softmax"),
}

LOG_FUNCTIONS = frozenset({"torch.log"})
LOG_METHOD = "log"

LOSS_FUNCTIONS: dict[str, Expects] = {
    "torch.nn.functional.cross_entropy": Expects.LOGITS,
    "torch.nn.functional.binary_cross_entropy_with_logits": Expects.BINARY_LOGITS,
    "torch.nn.functional.nll_loss": Expects.LOG_PROBABILITIES,
    "torch.nn.functional.kl_div": Expects.LOG_PROBABILITIES,
}

LOSS_MODULES: dict[str, Expects] = {
    "torch.nn.CrossEntropyLoss": Expects.LOGITS,
    "torch.nn.BCEWithLogitsLoss": Expects.BINARY_LOGITS,
    "torch.nn.NLLLoss": Expects.LOG_PROBABILITIES,
    "torch.nn.KLDivLoss": Expects.LOG_PROBABILITIES,
}

# Losses that are cross-entropy proper (SEG004 only concerns these).
CROSS_ENTROPY_LOSSES = frozenset({"torch.nn.functional.cross_entropy", "torch.nn.CrossEntropyLoss"})

# Tensor methods and torch functions that return the same values rearranged, cast or moved.
PRESERVING_METHODS = frozenset(
    {
        "float",
        "double",
        "half",
        "bfloat16",
        "to",
        "type",
        "cuda",
        "cpu",
        "detach",
        "clone",
        "contiguous",
        "permute",
        "movedim",
        "moveaxis",
        "transpose",
        "view",
        "reshape",
        "flatten",
        "squeeze",
        "unsqueeze",
        "type_as",
        "view_as",
        "reshape_as",
        "requires_grad_",
        "detach_",
        # Resizing, repeating, flipping and selecting keep probabilities.
        "resize",
        "resize_",
        "resize_as",
        "expand",
        "expand_as",
        "repeat",
        "repeat_interleave",
        "flip",
        "fliplr",
        "flipud",
        "roll",
        "narrow",
        "select",
        "index_select",
        "masked_select",
        "unflatten",
        "squeeze_",
        "unsqueeze_",
        "swapaxes",
        "swapdims",
        "t",
    }
)
# Tensor methods (and torch functions) that clamp values into a range: probabilities stay
# probabilities, and their log is finite, so taking it is no longer log(softmax)'s problem.
CLAMPING_METHODS = frozenset(
    {"clamp", "clamp_", "clip", "clip_", "clamp_min", "clamp_min_", "clamp_max", "clamp_max_"}
)
CLAMPING_FUNCTIONS = frozenset({"torch.clamp", "torch.clip", "torch.clamp_min", "torch.clamp_max"})
# Tensor methods that split a tensor into a tuple of tensors of the same kind.
SPLITTING_METHODS = frozenset({"chunk", "split", "unbind", "tensor_split", "split_with_sizes"})
SPLITTING_FUNCTIONS = frozenset(
    {"torch.chunk", "torch.split", "torch.unbind", "torch.tensor_split", "torch.split_with_sizes"}
)
# Functions whose result holds the elements of the sequence they are given, of the same kind.
JOINING_FUNCTIONS = frozenset(
    {
        "torch.cat",
        "torch.concat",
        "torch.concatenate",
        "torch.stack",
        "torch.hstack",
        "torch.vstack",
        "torch.dstack",
    }
)
# Functions that return their first argument (a model) wrapped, so that calling the result calls it.
MODEL_WRAPPERS = frozenset(
    {
        "torch.nn.DataParallel",
        "torch.nn.parallel.DataParallel",
        "torch.nn.parallel.DistributedDataParallel",
        "torch.nn.SyncBatchNorm.convert_sync_batchnorm",
        "torch.compile",
        "torch.jit.script",
        "torch.optim.swa_utils.AveragedModel",
        "copy.deepcopy",
        "copy.copy",
    }
)
# Module classes whose instances return their input's values resampled or unchanged.
PASS_THROUGH_MODULES = frozenset(
    {
        "torch.nn.Upsample",
        "torch.nn.UpsamplingBilinear2d",
        "torch.nn.UpsamplingNearest2d",
        "torch.nn.Identity",
    }
)
# ``F.interpolate`` keeps probabilities in these modes (bicubic can overshoot [0, 1]).
INTERPOLATE_FUNCTIONS = frozenset({"torch.nn.functional.interpolate", "torch.nn.functional.upsample"})
INTERPOLATE_KEEPING_MODES = frozenset({"nearest", "nearest-exact", "linear", "bilinear", "trilinear", "area"})
# Containers of modules: they hold what the list or dict they are given holds.
MODULE_CONTAINERS = frozenset({"torch.nn.ModuleList", "torch.nn.ModuleDict"})
# Methods of an nn.Module that return the module itself.
MODULE_SELF_METHODS = frozenset(
    {
        "to",
        "cuda",
        "cpu",
        "float",
        "double",
        "half",
        "bfloat16",
        "train",
        "eval",
        "requires_grad_",
        "type",
        "apply",
    }
)
PRESERVING_FUNCTIONS = frozenset(
    {
        "torch.flip",
        "torch.roll",
        "torch.flatten",
        "torch.reshape",
        "torch.squeeze",
        "torch.unsqueeze",
        "torch.transpose",
        "torch.permute",
        "torch.movedim",
        "torch.moveaxis",
    }
)

# Public re-exports that name the same object.
_ALIASES = {
    "torch.nn.modules.loss.": "torch.nn.",
    "torch.nn.modules.activation.": "torch.nn.",
    "torch.nn.modules.container.": "torch.nn.",
    "torch.nn.modules.": "torch.nn.",
    "monai.losses.": "monai.losses.",
    "segmentation_models_pytorch.losses.": "segmentation_models_pytorch.losses.",
    "segmentation_models_pytorch.decoders.": "segmentation_models_pytorch.",
    "segmentation_models_pytorch.base.": "segmentation_models_pytorch.base.",
    "torchvision.ops.": "torchvision.ops.",
    "torchvision.models.segmentation.": "torchvision.models.segmentation.",
    "timm.loss.": "timm.loss.",
}


def canonical(qualified_name: str) -> str:
    """Map a re-exported path (``torch.nn.modules.loss.CrossEntropyLoss``) to its public name."""
    for prefix, public in _ALIASES.items():
        if qualified_name.startswith(prefix):
            return public + qualified_name[len(prefix) :].rsplit(".", 1)[-1]
    return qualified_name


def short_name(qualified_name: str) -> str:
    """How messages name a torch callable: ``F.cross_entropy``, ``nn.CrossEntropyLoss``, ``torch.log``."""
    if qualified_name.startswith("torch.nn.functional."):
        return "F." + qualified_name.rsplit(".", 1)[1]
    if qualified_name.startswith("torch.nn."):
        return "nn." + qualified_name.rsplit(".", 1)[1]
    return qualified_name


# ----------------------------------------------------------------------------- configurable catalogue
@dataclass(frozen=True)
class LossSpec:
    """A loss and the input it expects.

    ``fact``: a library loss whose expectation depends on its constructor's arguments (MONAI's
    ``DiceLoss(softmax=True)``, segmentation_models_pytorch's ``from_logits=True`` default); the
    analysis reads them where the loss object is built (see ``seglint.library_facts``).
    """

    expects: Expects
    input_keyword: str = "input"
    input_position: int = 0
    fact: LossFact | None = None


@dataclass(frozen=True)
class Catalogue:
    """The names the analysis recognises, torch's plus what the configuration adds."""

    producer_functions: Mapping[str, tuple[Kind, str]] = field(
        default_factory=lambda: dict(PRODUCER_FUNCTIONS)
    )
    loss_functions: Mapping[str, LossSpec] = field(
        default_factory=lambda: {name: LossSpec(expects) for name, expects in LOSS_FUNCTIONS.items()}
    )
    loss_modules: Mapping[str, LossSpec] = field(
        default_factory=lambda: {name: LossSpec(expects) for name, expects in LOSS_MODULES.items()}
    )
    # The library (its import name) each library loss belongs to: the prefilter counts such a loss's
    # name only in a file or project that imports that library.
    library_of: Mapping[str, str] = field(default_factory=dict)
    # Library models whose output ends in an activation their arguments choose (``smp.Unet``).
    models: Mapping[str, ActivationModelFact | HeadModelFact] = field(default_factory=dict)
    _words: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    def extended(
        self,
        *,
        loss_functions: Mapping[str, LossSpec] = {},
        loss_modules: Mapping[str, LossSpec] = {},
        producer_functions: Mapping[str, tuple[Kind, str]] = {},
        library_of: Mapping[str, str] = {},
        models: Mapping[str, ActivationModelFact | HeadModelFact] = {},
    ) -> Catalogue:
        return Catalogue(
            producer_functions={**self.producer_functions, **producer_functions},
            loss_functions={**self.loss_functions, **loss_functions},
            loss_modules={**self.loss_modules, **loss_modules},
            library_of={**self.library_of, **library_of},
            models={**self.models, **models},
        )

    def star_names(self, module: str) -> dict[str, str]:
        """What ``from module import *`` binds among the names this catalogue knows."""
        prefix = module + "."
        known = (*self.producer_functions, *self.loss_functions, *self.loss_modules, *PRODUCER_MODULES)
        return {q[len(prefix) :]: q for q in known if q.startswith(prefix) and "." not in q[len(prefix) :]}

    def loss_words(self) -> frozenset[str]:
        """The last component of every loss name, for the byte prefilter (memoised: the provider
        scan asks for every file)."""
        if "loss words" not in self._words:
            names = (*self.loss_functions, *self.loss_modules)
            self._words["loss words"] = frozenset(name.rsplit(".", 1)[-1] for name in names)
        return self._words["loss words"]

    def library_words(self) -> Mapping[str, frozenset[str]]:
        """The loss words that count only where their library is imported, by library. A word that
        some other loss (torch's, the user's) also ends in counts everywhere and is not among them."""
        if "library words" in self._words:
            return self._words["library words"]
        everywhere = {
            name.rsplit(".", 1)[-1]
            for name in (*self.loss_functions, *self.loss_modules)
            if name not in self.library_of
        }
        words: dict[str, set[str]] = {}
        for name, library in self.library_of.items():
            word = name.rsplit(".", 1)[-1]
            if word not in everywhere:
                words.setdefault(library, set()).add(word)
        result = {library: frozenset(found) for library, found in sorted(words.items())}
        self._words["library words"] = result
        return result

    def loss_words_where(self, imported: frozenset[str]) -> frozenset[str]:
        """The loss words that count in a file where the libraries ``imported`` are imported (memoised:
        the prefilter asks for every file)."""
        found = self._words.get(imported)
        if found is None:
            gated = self.library_words()
            everywhere = self.loss_words().difference(*gated.values())
            found = everywhere.union(*(gated[library] for library in imported if library in gated))
            self._words[imported] = found
        return found

    def producer_words(self) -> frozenset[str]:
        return frozenset(name.rsplit(".", 1)[-1] for name in self.producer_functions)


TORCH = Catalogue()
