"""Worker processes with a watchdog: a job past its wall-clock limit has its worker killed and replaced.

The analysis is bounded by counted work (``seglint.analysis.budget``); this is only the safety net
behind it, for what the counting cannot see (a pathological input inside libcst's native parser, a
bug). A killed or crashed job becomes a result made by ``on_timeout`` / ``on_crash``; the others go on.
Results come back in the order of the items.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar


class AnalysisTimeout(BaseException):
    """Raised inside the analysis when its ``deadline`` passes (a ``BaseException``, like
    ``KeyboardInterrupt``, so that no ``except Exception`` on the way swallows it)."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise :class:`AnalysisTimeout` in the body once ``seconds`` have passed (a ``SIGALRM`` timer).

    Only in the main thread of a platform with ``setitimer``; elsewhere the body runs unlimited (the
    watchdog of :class:`WatchedPool` still applies in worker processes). A timer already set (by
    pytest-timeout, say) is restored with the time it had left."""
    if (
        seconds <= 0
        or not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise AnalysisTimeout

    start = time.monotonic()
    previous_handler = signal.signal(signal.SIGALRM, expire)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay > 0:
            left = max(previous_delay - (time.monotonic() - start), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, left, previous_interval)


def _nothing() -> None:
    pass


Item = TypeVar("Item")
Result = TypeVar("Result")


def _serve(connection: Connection, warm_up: Callable[[], None] | None, function: Callable) -> None:
    if warm_up is not None:
        warm_up()
    try:
        setup = connection.recv()  # the initializer and its arguments, sent once the parent knows them
    except EOFError:
        return
    if setup is None:
        return
    initializer, initargs = setup
    initializer(*initargs)
    while True:
        try:
            message = connection.recv()
        except EOFError:
            return
        if message is None:
            return
        index, item = message
        connection.send((index, function(item)))


class _Worker:
    def __init__(self, context: Any, warm_up: Callable[[], None] | None, function: Callable) -> None:
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, warm_up, function), daemon=True)
        self.process.start()
        child.close()
        self.set_up = False
        self.job: int | None = None
        self.started = 0.0

    def set_up_with(self, initializer: Callable[..., None], initargs: tuple) -> None:
        if not self.set_up:
            self.connection.send((initializer, initargs))
            self.set_up = True

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self.connection.close()

    def stop(self) -> None:
        try:
            self.connection.send(None)
        except OSError:
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.kill()
        else:
            self.connection.close()


class WatchedPool(Generic[Item, Result]):
    """``count`` processes running ``function`` on items, each job limited to ``timeout`` seconds."""

    def __init__(
        self,
        count: int,
        function: Callable[[Item], Result],
        *,
        timeout: float,
        on_timeout: Callable[[Item], Result],
        on_crash: Callable[[Item], Result],
        initializer: Callable[..., None] = _nothing,
        initargs: tuple = (),
        warm_up: Callable[[], None] | None = None,
    ) -> None:
        self._context = multiprocessing.get_context()
        self._count = count
        self._function = function
        self._timeout = timeout
        self._on_timeout = on_timeout
        self._on_crash = on_crash
        self._initializer = initializer
        self._initargs = initargs
        self._warm_up = warm_up
        self._early: list[_Worker] = []
        self.replaced = 0  # workers killed (past the timeout) or crashed, and started again

    def start(self) -> None:
        """Start the workers now: each runs ``warm_up`` (importing what the jobs need, say) while this
        process goes on preparing; ``map`` then sends the initializer's arguments, known only by then."""
        while len(self._early) < self._count:
            self._early.append(_Worker(self._context, self._warm_up, self._function))

    def close(self) -> None:
        """Stop the workers ``start`` made that no ``map`` has taken (a run that ended before)."""
        early, self._early = self._early, []
        for worker in early:
            worker.stop()

    def _start(self) -> _Worker:
        worker = _Worker(self._context, self._warm_up, self._function)
        worker.set_up_with(self._initializer, self._initargs)
        return worker

    def map(self, items: Iterable[Item], *, initargs: tuple | None = None) -> Iterator[Result]:
        """The results of ``function`` on ``items``, in their order (``initargs``: the initializer's
        arguments, when they were not known as the pool was made)."""
        if initargs is not None:
            self._initargs = initargs
        jobs: Sequence[Item] = list(items)
        pending = deque(range(len(jobs)))
        done: dict[int, Result] = {}
        early, self._early = self._early, []
        for surplus in early[len(jobs) :]:
            surplus.stop()
        workers = early[: len(jobs)]
        for worker in workers:
            worker.set_up_with(self._initializer, self._initargs)
        workers += [self._start() for _ in range(min(self._count, len(jobs)) - len(workers))]
        next_out = 0
        try:
            while next_out < len(jobs):
                for worker in workers:
                    if worker.job is None and pending:
                        worker.job = pending.popleft()
                        worker.started = time.monotonic()
                        worker.connection.send((worker.job, jobs[worker.job]))
                busy = [w for w in workers if w.job is not None]
                if busy:
                    deadline = min(w.started for w in busy) + self._timeout
                    ready = wait([w.connection for w in busy], timeout=max(0.0, deadline - time.monotonic()))
                    now = time.monotonic()
                    for position, worker in enumerate(workers):
                        if worker.job is None:
                            continue
                        if worker.connection in ready:
                            try:
                                index, result = worker.connection.recv()
                            except (EOFError, OSError):
                                done[worker.job] = self._on_crash(jobs[worker.job])
                                workers[position] = self._replace(worker)
                                continue
                            done[index] = result
                            worker.job = None
                        elif now - worker.started >= self._timeout:
                            done[worker.job] = self._on_timeout(jobs[worker.job])
                            workers[position] = self._replace(worker)
                while next_out in done:
                    yield done.pop(next_out)
                    next_out += 1
        finally:
            for worker in workers:
                if worker.job is None:
                    worker.stop()
                else:
                    worker.kill()

    def _replace(self, worker: _Worker) -> _Worker:
        worker.kill()
        self.replaced += 1
        return self._start()
