"""Configuration of the property suite.

torch runs single-threaded here: the drawn problems hold a few hundred pixels, where intra-op
parallelism only adds synchronisation (measured: the suite takes twice as long with 2 threads on a
2-core machine, and far longer when the machine is shared). CPU determinism across thread counts is
checked explicitly by ``check_deterministic``.
"""

from __future__ import annotations

import torch


def pytest_configure(config) -> None:
    torch.set_num_threads(1)
