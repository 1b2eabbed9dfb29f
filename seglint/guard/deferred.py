"""Value checks that finish later, so that a guarded CUDA training step never waits for the device.

The statistics (``verdicts.value_statistics``, six float64 numbers) are computed on the device and
copied to pinned host memory with ``non_blocking=True``; a CUDA event recorded after the copy says
when they have arrived. Every later guarded loss call polls the queue (``event.query()`` never blocks)
and reports what has arrived, at the call site captured when the check was made. Leaving ``watch``
waits for what is still pending: one synchronisation per ``with`` block, not per call. The queue is
bounded: when it is full, new value checks are skipped (counted), never waited for.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

DEFAULT_LIMIT = 64


@dataclass
class Transfer:
    """A copy of the statistics on its way to the host."""

    host: torch.Tensor
    ready: Callable[[], bool]  # never blocks
    wait: Callable[[], None]  # blocks until ready


def transfer(statistics: torch.Tensor) -> Transfer:
    """Start copying ``statistics`` to the host without waiting for it."""
    if statistics.device.type == "cuda":
        host = torch.empty(statistics.shape, dtype=statistics.dtype, pin_memory=True)
        host.copy_(statistics, non_blocking=True)
        event = torch.cuda.Event()
        event.record()
        return Transfer(host, event.query, event.synchronize)
    # The CPU (and devices without events): the copy is done when it returns.
    host = statistics.to("cpu")
    return Transfer(host, lambda: True, lambda: None)


@dataclass
class _Pending:
    transfer: Transfer
    finish: Callable[[Sequence[float]], None]


class DeferredChecks:
    """The queue of value checks whose statistics are still on their way."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        if limit < 1:
            raise ValueError(f"limit={limit!r}: must be at least 1")
        self.limit = limit
        self.skipped = 0  # checks not made because the queue was full
        self._queue: deque[_Pending] = deque()

    def __len__(self) -> int:
        return len(self._queue)

    def submit(self, statistics: torch.Tensor, finish: Callable[[Sequence[float]], None]) -> bool:
        """Queue ``finish(values)`` for when ``statistics`` has reached the host; ``False`` (and the
        check skipped) when the queue is full."""
        if len(self._queue) >= self.limit:
            self.skipped += 1
            return False
        self._queue.append(_Pending(transfer(statistics), finish))
        return True

    def poll(self) -> None:
        """Finish, in order, the checks whose statistics have arrived; never blocks."""
        while self._queue and self._queue[0].transfer.ready():
            self._finish(self._queue.popleft())

    def drain(self) -> None:
        """Wait for every pending check and finish it."""
        while self._queue:
            pending = self._queue.popleft()
            pending.transfer.wait()
            self._finish(pending)

    @staticmethod
    def _finish(pending: _Pending) -> None:
        pending.finish(pending.transfer.host.tolist())
