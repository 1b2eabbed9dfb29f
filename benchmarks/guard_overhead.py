"""What the runtime guard costs: a training step with and without ``seglint.guard.watch()``.

    python benchmarks/guard_overhead.py            # about a minute
    python benchmarks/guard_overhead.py --repeats 21 --steps 200

Two workloads, both on the CPU with one thread, timed in the same process, interleaved (plain, guarded,
plain, ...) so that load on the machine hits both alike; medians of the repeats:

- a small conv-net segmentation step (3->16->32->5 channels, 2x3x64x64 images): compute-bound;
- a tiny MLP step (16->32->32->4, batch 8): dispatch-bound, every torch call is a large share of it.

Variants: ``plain``; ``naive mode`` (a TorchFunctionMode that looks at every call: normalises the
keyword arguments and asks ``torch.overrides.resolve_name`` before passing it on; the kind of mode the
issue measured at +24% and 2.2x); ``guard`` (``watch()``, whose mode passes every call that is not one
of the four losses on at once); ``guard + module hook`` (as when MONAI, smp or timm is imported: the
global forward pre-hook is on); ``guard, eval`` (the same step's loss under ``no_grad``, so the value
checks run on every call).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode, resolve_name

from seglint.guard import hooks, watch

WATCHED_NAMES = frozenset(
    {
        "torch.nn.functional.cross_entropy",
        "torch.nn.functional.nll_loss",
        "torch.nn.functional.kl_div",
        "torch.nn.functional.binary_cross_entropy_with_logits",
    }
)


class NaiveMode(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if resolve_name(func) in WATCHED_NAMES:
            pass
        return func(*args, **kwargs)


def conv_step() -> Callable[[], None]:
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(32, 5, 1),
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    images, masks = torch.randn(2, 3, 64, 64), torch.randint(0, 5, (2, 64, 64))

    def step() -> None:
        optimizer.zero_grad()
        F.cross_entropy(model(images), masks).backward()
        optimizer.step()

    return step


def mlp_step() -> Callable[[], None]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 4))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(8, 16), torch.randint(0, 4, (8,))

    def step() -> None:
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    return step


def eval_of(make: Callable[[], Callable[[], None]]) -> Callable[[], None]:
    """The same model's loss under no_grad: no autograd history, so the value checks run."""
    torch.manual_seed(0)
    if make is conv_step:
        model: nn.Module = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 5, 1))
        x, y = torch.randn(2, 3, 64, 64), torch.randint(0, 5, (2, 64, 64))
    else:
        model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
        x, y = torch.randn(8, 16), torch.randint(0, 4, (8,))

    def step() -> None:
        with torch.no_grad():
            F.cross_entropy(model(x), y)

    return step


def timed(step: Callable[[], None], steps: int, context: Callable[[], object] | None) -> float:
    """Seconds per step."""
    manager = context() if context else None
    if manager is not None:
        manager.__enter__()
    try:
        start = time.perf_counter()
        for _ in range(steps):
            step()
        return (time.perf_counter() - start) / steps
    finally:
        if manager is not None:
            manager.__exit__(None, None, None)


class GuardWithHook:
    """``watch()`` with the module hook on, as when a hooked library is imported."""

    def __enter__(self) -> None:
        self.guard = watch()
        self.guard.__enter__()
        hooks._register()

    def __exit__(self, *exc: object) -> None:
        self.guard.__exit__(None, None, None)


def measure(name: str, step: Callable[[], None], variants: dict, steps: int, repeats: int) -> None:
    for context in variants.values():  # warm up every path once
        timed(step, max(steps // 10, 5), context)
    times: dict[str, list[float]] = {label: [] for label in variants}
    for _ in range(repeats):
        for label, context in variants.items():
            times[label].append(timed(step, steps, context))
    plain = statistics.median(times["plain"])
    print(f"\n{name}")
    for label, values in times.items():
        median = statistics.median(values)
        print(
            f"  {label:20} {median * 1e6:9.1f} us/step  {median / plain:5.2f}x  ({(median / plain - 1) * 100:+.0f}%)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--steps", type=int, default=0, help="steps per timing (default: conv 20, MLP 300)")
    options = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, medians of {options.repeats} interleaved repeats")
    training = {"plain": None, "naive mode": NaiveMode, "guard": watch, "guard + module hook": GuardWithHook}
    measure("small conv-net training step", conv_step(), training, options.steps or 20, options.repeats)
    measure(
        "tiny MLP training step (dispatch-bound)", mlp_step(), training, options.steps or 300, options.repeats
    )
    evaluation = {"plain": None, "guard, eval": watch}
    measure(
        "conv-net loss under no_grad (value checks)",
        eval_of(conv_step),
        evaluation,
        options.steps or 20,
        options.repeats,
    )
    measure(
        "MLP loss under no_grad (value checks)",
        eval_of(mlp_step),
        evaluation,
        options.steps or 300,
        options.repeats,
    )


if __name__ == "__main__":
    main()
