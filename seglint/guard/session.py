"""``watch()``: the guard as a context manager and decorator, and the TorchFunctionMode it pushes."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping, Sequence

import torch
from torch.overrides import TorchFunctionMode

from seglint.guard import hooks
from seglint.guard.deferred import DEFAULT_LIMIT, DeferredChecks
from seglint.guard.losses import WATCHED_FUNCTIONS, WatchedLoss, watched_library_loss
from seglint.guard.report import NAMES, Action, CallSite, Reporter, Verdict, call_site, message
from seglint.guard.verdicts import (
    Evidence,
    class_count,
    history,
    received_from_statistics,
    received_from_values,
    too_small,
    value_statistics,
)
from seglint.library_facts import UNDECIDED, Argument, LossFact, expected_input

_is_functorch_wrapped = torch._C._functorch.is_functorch_wrapped_tensor
_is_exporting = getattr(torch.compiler, "is_exporting", lambda: False)
_busy = threading.local()  # .depth > 0 while a guard runs a watched loss: outer guards leave it alone


class GuardMode(TorchFunctionMode):
    """Sees every torch function call; does nothing but pass it on unless it is a watched loss.

    It does not override ``__enter__``/``__exit__``: Dynamo traces (and allows graph breaks under)
    such modes only."""

    def __init__(self, guard: Guard) -> None:
        super().__init__()
        self.guard = guard

    def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        loss = WATCHED_FUNCTIONS.get(func)
        if loss is None:  # the minimal path: everything that is not one of four losses
            if kwargs is None:
                return func(*args)
            return func(*args, **kwargs)
        if torch.compiler.is_compiling():
            if _graph_breaks_allowed():
                _check_outside_the_graph(self.guard, loss, args, kwargs)
            return func(*args, **(kwargs or {}))
        depth = getattr(_busy, "depth", 0)
        if not depth:
            self.guard.check_call(loss, args, kwargs)
        _busy.depth = depth + 1
        try:
            return func(*args, **(kwargs or {}))
        finally:
            _busy.depth = depth


@torch.compiler.assume_constant_result
def _graph_breaks_allowed() -> bool:
    """Whether the frame being compiled may graph-break: not under ``fullgraph=True``,
    ``error_on_graph_break(True)`` or export. Read from Dynamo's tracer (internal); ``False`` when that
    cannot be read, so compilation never fails because of the guard."""
    try:
        from torch._dynamo.symbolic_convert import InstructionTranslator

        tx = InstructionTranslator.current_tx()
        return not (tx.one_graph or getattr(tx, "error_on_graph_break", False) or _is_exporting())
    except Exception:  # noqa: BLE001 - any change in Dynamo's internals means: do not break
        return False


@torch.compiler.disable
def _check_outside_the_graph(guard: Guard, loss: WatchedLoss, args: tuple, kwargs: Mapping | None) -> None:
    """Runs eagerly on the real tensors: a graph break at the loss call."""
    guard.check_call(loss, args, kwargs)


def _checkable(tensor: object) -> bool:
    """A plain dense floating-point tensor with real data: subclasses (fake tensors among them), meta
    tensors and functorch's wrapped tensors (inside ``vmap``/``grad``) are left alone."""
    return (
        (type(tensor) is torch.Tensor or type(tensor) is torch.nn.Parameter)
        and tensor.layout is torch.strided  # type: ignore[attr-defined]
        and not tensor.is_meta  # type: ignore[attr-defined]
        and tensor.is_floating_point()  # type: ignore[attr-defined]
        and not _is_functorch_wrapped(tensor)
    )


def _code(loss: WatchedLoss, received: str) -> str | None:
    if loss.expects == "log-probabilities":
        return "SEG003" if received in ("probabilities", "one-hot") else None
    if received == "probabilities":
        return "SEG001"
    if received == "one-hot":
        return "SEG002"
    return "SEG004" if loss.cross_entropy else None  # log-probabilities into a logits loss


class Guard(contextlib.ContextDecorator):
    """A guard session: ``with watch():`` or ``@watch()``. Reentrant; one reporter (each call site
    reported once) for all its entries."""

    def __init__(
        self, action: Action = "warn", *, defer: bool | None = None, max_pending: int = DEFAULT_LIMIT
    ):
        if defer and action == "raise":
            raise ValueError(
                "watch(action='raise', defer=True): a deferred check cannot raise at the loss call"
            )
        self._reporter = Reporter(action)
        self.action = action
        self.defer = defer
        self.deferred = DeferredChecks(max_pending)
        self._modes = threading.local()  # .stack: the modes this guard pushed in this thread

    @property
    def verdicts(self) -> list[Verdict]:
        """Every verdict reported so far, in order (each call site and code once, except under raise)."""
        return self._reporter.verdicts

    def __enter__(self) -> Guard:  # noqa: PYI034 - typing.Self needs Python 3.11
        stack = getattr(self._modes, "stack", None)
        if stack is None:
            stack = self._modes.stack = []
        mode = GuardMode(self)
        mode.__enter__()
        stack.append(mode)
        hooks.activate(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        hooks.deactivate(self)
        mode = self._modes.stack.pop()
        mode.__exit__(None, None, None)
        self.deferred.drain()

    # ------------------------------------------------------------------------------------------ checks
    def check_call(self, loss: WatchedLoss, args: tuple, kwargs: Mapping | None) -> None:
        self.check(loss, loss.input_of(args, kwargs))

    def check_library_loss(self, fact: LossFact, module: torch.nn.Module, args: tuple) -> None:
        if torch.compiler.is_compiling() or getattr(_busy, "depth", 0):
            return

        def value_of(argument: Argument) -> object:
            return getattr(module, argument.attribute, UNDECIDED) if argument.attribute else UNDECIDED

        expects = expected_input(fact, value_of)
        if expects is not None and len(args) > fact.input_position:
            self.check(watched_library_loss(fact, expects), args[fact.input_position])

    def check(self, loss: WatchedLoss, tensor: object) -> None:
        """Judge one loss input: autograd history first; values when there is none to read."""
        if self.deferred:
            self.deferred.poll()
        if not _checkable(tensor):
            return
        assert isinstance(tensor, torch.Tensor)
        found = history(tensor)
        if found.readable:
            if found.evidence is not None:
                self._conclude(loss, found.evidence, call_site())
            return
        class_dim = loss.class_dim_for(tensor)
        if (loss.class_dim is not None and class_dim is None) or too_small(tensor, loss.expects, class_dim):
            return
        defers = self._defers(tensor)
        with torch._C.DisableTorchFunction():  # other modes do not see the guard's own arithmetic
            if defers:
                statistics = value_statistics(tensor, class_dim)
            else:
                evidence = received_from_values(
                    tensor, loss.expects, class_dim, cross_entropy=loss.cross_entropy
                )
        if not defers:
            if evidence is not None:
                self._conclude(loss, evidence, call_site())
            return
        numel, dtype, classes = tensor.numel(), tensor.dtype, class_count(tensor, class_dim)
        site = call_site()

        def finish(values: Sequence[float]) -> None:
            evidence = received_from_statistics(
                values,
                loss.expects,
                numel=numel,
                classes=classes,
                dtype=dtype,
                cross_entropy=loss.cross_entropy,
            )
            if evidence is not None:
                self._conclude(loss, evidence, site)

        self.deferred.submit(statistics, finish)

    def _defers(self, tensor: torch.Tensor) -> bool:
        if self.defer is None:
            return self.action != "raise" and tensor.is_cuda
        return self.defer

    def _conclude(self, loss: WatchedLoss, evidence: Evidence, site: CallSite) -> None:
        code = _code(loss, evidence.received)
        if code is None:
            return
        verdict = Verdict(
            code=code,
            name=NAMES[code],
            loss=loss.name,
            expects=loss.expects,
            received=evidence.received,
            evidence=evidence.how,
            filename=site.filename,
            lineno=site.lineno,
            function=site.function,
            message=message(code, loss.short, loss.expects, evidence.received, evidence.how),
        )
        self._reporter.report(verdict, site)


def watch(action: Action = "warn", *, defer: bool | None = None, max_pending: int = DEFAULT_LIMIT) -> Guard:
    """Check, while the code runs, the input of every cross-entropy-like loss call.

    ``action``: ``"warn"`` (a ``GuardWarning`` subclass per code, at the user's line, once per call site),
    ``"raise"`` (``GuardError`` at the loss call for SEG001-SEG003; SEG004 only warns) or a callable that
    receives each ``Verdict`` (once per call site and code). ``defer``: value checks on CUDA tensors
    finish later without a host synchronisation (default: yes unless ``action="raise"``); ``True``
    defers on every device, ``False`` checks at the call. ``max_pending`` bounds the deferred queue.
    Use as ``with watch():`` or ``@watch()``.
    """
    return Guard(action, defer=defer, max_pending=max_pending)
