"""What the guard tells the user: the verdict object, a warning class per code, where the call was made
(the first frame outside torch, seglint and the catalogued libraries) and the three actions."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Literal

from seglint.library_facts import LIBRARIES

# The linter's codes and names (tests check they stay the same as seglint.rules').
NAMES: dict[str, str] = {
    "SEG001": "probabilities-as-logits",
    "SEG002": "one-hot-as-logits",
    "SEG003": "probabilities-as-log-probabilities",
    "SEG004": "redundant-log-softmax",
}
# Redundant, not wrong: ``raise`` only warns for these.
NEVER_RAISED = frozenset({"SEG004"})

# Frames of these packages are never "the call site": a MONAI user sees their own line.
_LIBRARY_PACKAGES = frozenset({"torch", "seglint", *LIBRARIES})


@dataclass(frozen=True)
class CallSite:
    filename: str
    lineno: int
    function: str
    module: str
    module_globals: dict | None = None


@dataclass(frozen=True)
class Verdict:
    """One finding of the guard: the loss, what it expected, what it received and how the guard knows."""

    code: str  # "SEG001"
    name: str  # "probabilities-as-logits"
    loss: str  # "torch.nn.functional.cross_entropy", "monai.losses.DiceLoss"
    expects: str  # "logits", "binary logits", "log-probabilities"
    received: str  # "probabilities", "one-hot", "log-probabilities"
    evidence: str  # "autograd: SoftmaxBackward0 -> PermuteBackward0" or a statement about the values
    filename: str
    lineno: int
    function: str
    message: str


class GuardWarning(UserWarning):
    """Base class of the guard's warnings; ``code`` is the linter's code."""

    code = ""


class ProbabilitiesAsLogitsWarning(GuardWarning):
    code = "SEG001"


class OneHotAsLogitsWarning(GuardWarning):
    code = "SEG002"


class ProbabilitiesAsLogProbabilitiesWarning(GuardWarning):
    code = "SEG003"


class RedundantLogSoftmaxWarning(GuardWarning):
    code = "SEG004"


WARNINGS: dict[str, type[GuardWarning]] = {
    cls.code: cls
    for cls in (
        ProbabilitiesAsLogitsWarning,
        OneHotAsLogitsWarning,
        ProbabilitiesAsLogProbabilitiesWarning,
        RedundantLogSoftmaxWarning,
    )
}


class GuardError(ValueError):
    """Raised by ``watch(action="raise")`` at the loss call, for SEG001-SEG003."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(f"{verdict.filename}:{verdict.lineno}: {verdict.message}")
        self.verdict = verdict


# The public names, as users import them (``-W error::seglint.guard.GuardWarning``, tracebacks).
for _public in (Verdict, GuardWarning, *WARNINGS.values(), GuardError):
    _public.__module__ = "seglint.guard"


Action = Literal["warn", "raise"] | Callable[[Verdict], object]


def validate_action(action: object) -> None:
    if action in ("warn", "raise") or callable(action):
        return
    raise ValueError(f"watch(action={action!r}): expected 'warn', 'raise' or a callable taking a Verdict")


def call_site(depth: int = 1) -> CallSite:
    """The innermost frame outside torch, seglint and the catalogued libraries."""
    frame: FrameType | None = sys._getframe(depth)
    outermost = frame
    while frame is not None:
        module = frame.f_globals.get("__name__") or ""
        if module.partition(".")[0] not in _LIBRARY_PACKAGES:
            return CallSite(
                frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name, module, frame.f_globals
            )
        outermost = frame
        frame = frame.f_back
    assert outermost is not None  # every frame is a library's: name the outermost one
    return CallSite(outermost.f_code.co_filename, outermost.f_lineno, outermost.f_code.co_name, "", None)


def message(code: str, short_loss: str, expects: str, received: str, evidence: str) -> str:
    if code == "SEG004":
        text = f"`{short_loss}` applies `log_softmax` itself; its input is already log-probabilities"
    else:
        article = "a " if received == "one-hot" else ""
        text = f"`{short_loss}` expects {expects} but receives {article}{received}"
        if received == "one-hot":
            text += " tensor"
    return f"{code} {NAMES[code]}: {text} ({evidence})"


class Reporter:
    """Carries out one guard's action: each call site and code once (``raise``: every time)."""

    def __init__(self, action: Action) -> None:
        validate_action(action)
        self.action = action
        self.verdicts: list[Verdict] = []  # every verdict reported, in order
        self._seen: set[tuple[str, int, str]] = set()

    def report(self, verdict: Verdict, site: CallSite) -> None:
        raising = self.action == "raise" and verdict.code not in NEVER_RAISED
        key = (verdict.filename, verdict.lineno, verdict.code)
        if not raising:
            if key in self._seen:
                return
            self._seen.add(key)
        self.verdicts.append(verdict)
        if raising:
            raise GuardError(verdict)
        if callable(self.action):
            self.action(verdict)
            return
        registry = site.module_globals.setdefault("__warningregistry__", {}) if site.module_globals else None
        warnings.warn_explicit(
            verdict.message,
            WARNINGS[verdict.code],
            site.filename,
            site.lineno,
            module=site.module or None,
            registry=registry,
        )
