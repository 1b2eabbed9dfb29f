"""Where the runtime guard's value thresholds come from, and how often they fire on logits.

    python benchmarks/guard_thresholds.py            # about a minute on 2 cores
    python benchmarks/guard_thresholds.py --quick    # fewer draws

1. The row-sum tolerance ``C * eps(dtype)``: the largest ``|sum - 1|`` over the class dimension of real
   ``softmax`` outputs (and of bilinearly resized ones), and of ``exp(log_softmax)``, in units of
   ``C * eps``, over dtypes, class counts and logit scales. The tolerance must sit above all of them.
2. False alarms at the minimum sizes, three ways:
   - i.i.d. N(0, 1) logits: the exact probability for the binary rule (``P(0 <= z <= 1)^n``), the
     scale-free bound for every rule (each needs every value on one side of 0: ``2^-n`` per rule),
     and a Monte-Carlo count through the guard's own statistics;
   - all-equal logits: never (constant tensors get no verdict), checked over a few values;
   - freshly initialised conv heads (default init, eval mode, no autograd history, random inputs):
     the rate of the binary rule at several sizes. The binary rule's minimum comes from this table.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from seglint.guard.verdicts import MIN_BINARY_VALUES, MIN_VALUES, received_from_statistics, value_statistics

DTYPES = (torch.float64, torch.float32, torch.bfloat16, torch.float16)
CLASSES = (2, 3, 10, 21, 150, 1000)
SCALES = (1.0, 10.0, 100.0)


def worst_row_sums(rows: int) -> None:
    print("1. max |row sum - 1| / (C * eps), over 3 seeds and logit scales", SCALES)
    print(f"   {'dtype':9} {'C':>5} {'softmax':>9} {'resized':>9} {'exp(log_softmax)':>17}")
    overall = 0.0
    for dtype in DTYPES:
        eps = torch.finfo(dtype).eps
        for classes in CLASSES:
            worst = [0.0, 0.0, 0.0]
            for seed in range(3):
                generator = torch.Generator().manual_seed(seed)
                for scale in SCALES:
                    z = (
                        torch.randn(rows, classes, 4, 4, generator=generator, dtype=torch.float64) * scale
                    ).to(dtype)
                    probabilities = torch.softmax(z, dim=1)
                    resized = F.interpolate(probabilities, size=(7, 7), mode="bilinear")
                    log_probabilities = F.log_softmax(z, dim=1)
                    for index, x in enumerate((probabilities, resized, log_probabilities)):
                        stats = value_statistics(x, 1).tolist()
                        deviation = stats[4] if index == 2 else stats[3]
                        worst[index] = max(worst[index], deviation / (classes * eps))
            overall = max(overall, *worst)
            print(f"   {str(dtype)[6:]:9} {classes:>5} {worst[0]:>9.3f} {worst[1]:>9.3f} {worst[2]:>17.3f}")
    print(
        f"   largest: {overall:.3f} of the tolerance (at most 1 is accepted; above it a map would be missed, never flagged)\n"
    )


def iid_false_alarms(draws: int) -> None:
    print("2a. i.i.d. N(0, 1) logits at the minimum sizes")
    p_unit = 0.5 * (math.erf(1 / math.sqrt(2)))  # P(0 <= z <= 1)
    print(
        f"   binary rule, n = {MIN_BINARY_VALUES}: P(all in [0, 1]) = {p_unit:.4f}^n = 10^{MIN_BINARY_VALUES * math.log10(p_unit):.0f}"
    )
    print(
        f"   any rule, n = {MIN_VALUES}: P <= 2^-n = {2.0**-MIN_VALUES:.2g} (every value must be >= 0, or <= 0)"
    )
    # Cross-entropy, C = 2 (the likeliest): a row is in [0, 1]^2 with |z1 + z2 - 1| <= t = 2 eps with
    # probability ~ 2t * integral_0^1 phi(x) phi(1 - x) dx; the verdict needs all MIN_VALUES / 2 rows.
    steps = 10_000
    density = (
        sum(math.exp(-((x / steps) ** 2 + (1 - x / steps) ** 2) / 2) for x in range(steps))
        / steps
        / (2 * math.pi)
    )
    for dtype in (torch.float32, torch.bfloat16, torch.float16):
        row = 2 * (2 * torch.finfo(dtype).eps) * density
        rows = MIN_VALUES // 2
        print(
            f"   cross_entropy SEG001, C = 2, {rows} rows, {str(dtype)[6:]:8}: {row:.2g} per row, "
            f"10^{rows * math.log10(row):.0f} for all"
        )
    cases = (
        ("logits", (MIN_VALUES // 2, 2), 1, True),
        ("logits", (MIN_VALUES // 16, 16), 1, True),
        ("log-probabilities", (MIN_VALUES,), None, False),
        ("binary logits", (MIN_BINARY_VALUES,), None, False),
    )
    for expects, shape, class_dim, cross_entropy in cases:
        for dtype in (torch.float32, torch.bfloat16):
            generator = torch.Generator().manual_seed(0)
            alarms = 0
            for _ in range(draws):
                z = torch.randn(*shape, generator=generator).to(dtype)
                stats = value_statistics(z, class_dim).tolist()
                classes = None if class_dim is None else shape[class_dim]
                alarms += (
                    received_from_statistics(
                        stats,
                        expects,
                        numel=z.numel(),
                        classes=classes,
                        dtype=dtype,
                        cross_entropy=cross_entropy,
                    )
                    is not None
                )
            print(f"   {expects:17} shape {shape!s:12} {str(dtype)[6:]:8}: {alarms} alarms in {draws} draws")
    print()


def constant_false_alarms() -> None:
    print("2b. all-equal logits")
    alarms = 0
    for value in (0.0, 0.5, 1.0, -1.0, 1 / 21):
        for expects, class_dim in (("logits", 1), ("binary logits", None), ("log-probabilities", None)):
            z = torch.full((4, 21, 8, 8), value)
            alarms += (
                received_from_statistics(
                    value_statistics(z, class_dim).tolist(),
                    expects,
                    numel=z.numel(),
                    classes=21,
                    dtype=z.dtype,
                    cross_entropy=True,
                )
                is not None
            )
    print(f"   {alarms} alarms over 5 values x 3 rules (constant tensors get no verdict)\n")


def fresh_head(kind: str) -> nn.Module:
    if kind == "conv-bn-relu, 1x1 head":
        return nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.Conv2d(16, 1, 1)
        )
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(32, 1, 3, padding=1),
    )


def fresh_head_false_alarms(trials: int) -> None:
    print("2c. freshly initialised heads, binary rule, no history (eval, no_grad), random N(0,1) images")
    for kind in ("conv-bn-relu, 1x1 head", "three 3x3 convs"):
        for side in (8, 16, 32, 64):
            alarms = 0
            for seed in range(trials):
                torch.manual_seed(seed)
                net = fresh_head(kind).eval()
                with torch.no_grad():
                    out = net(torch.randn(1, 3, side, side))
                alarms += (
                    received_from_statistics(
                        value_statistics(out, None).tolist(),
                        "binary logits",
                        numel=out.numel(),
                        classes=None,
                        dtype=out.dtype,
                        cross_entropy=False,
                    )
                    is not None
                )
            print(
                f"   {kind:22} {side:>2}x{side:<2} ({side * side:>4} values): {alarms}/{trials} "
                f"({100 * alarms / trials:.2f}%)"
            )
    print(f"   MIN_BINARY_VALUES = {MIN_BINARY_VALUES}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer draws and trials")
    options = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    worst_row_sums(rows=4 if options.quick else 16)
    iid_false_alarms(draws=200 if options.quick else 2000)
    constant_false_alarms()
    fresh_head_false_alarms(trials=100 if options.quick else 1000)
    print(f"({statistics.fmean([time.perf_counter() - start]):.0f} s)")


if __name__ == "__main__":
    main()
