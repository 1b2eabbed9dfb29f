"""Runs generated programs with torch for tests/fuzzing.py: one JSON request a line on stdin, one JSON
answer a line on stdout. A request names a directory holding ``main.py`` (and maybe ``parts.py``);
the answer is ``main.compute(logits, target)`` as a float with the dtype it was computed in, or the
error it raised."""

from __future__ import annotations

import importlib
import json
import sys

import torch

SHAPE = (2, 3, 4, 4)  # N, C, H, W


def compute(directory: str, seed: int, scale: float, dtype: str) -> dict:
    generator = torch.Generator().manual_seed(seed)
    logits = (torch.randn(SHAPE, generator=generator, dtype=torch.float64) * scale).to(getattr(torch, dtype))
    target = torch.randint(0, SHAPE[1], (SHAPE[0], *SHAPE[2:]), generator=generator)
    for name in ("main", "parts"):
        sys.modules.pop(name, None)
    sys.path.insert(0, directory)
    try:
        main = importlib.import_module("main")
        value = main.compute(logits, target)
    finally:
        sys.path.remove(directory)
    # The dtype the loss was computed in (a one-hot ``.float()`` makes float64 inputs float32).
    return {"value": float(value), "dtype": str(value.dtype).removeprefix("torch.")}


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = compute(request["directory"], request["seed"], request["scale"], request["dtype"])
        except Exception as exc:  # noqa: BLE001 - reported to the test, which decides
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
