"""The forward pre-hook that checks catalogued library losses which never reach a watched torch
function (MONAI's ``DiceLoss(softmax=True)``, timm's soft cross-entropies, ...).

A global module hook puts every module call of the process on torch's slower hook path (about +10% on
a dispatch-bound step), so it is registered only while a guard is active *and* one of the hooked
libraries is imported; a library imported later, while a guard is active, registers it at its import
(a ``sys.meta_path`` entry that only watches names and finds nothing itself).

The hook serves the innermost active guard of the calling thread; other threads are not watched.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any

import torch

from seglint.guard.losses import HOOKED_LIBRARIES, fact_for_class
from seglint.library_facts import LossFact

if TYPE_CHECKING:  # pragma: no cover
    from seglint.guard.session import Guard

_MISSING = object()
_fact_by_type: dict[type, LossFact | None] = {}
_local = threading.local()  # .guards: the calling thread's active guards, innermost last
_lock = threading.Lock()
_active = 0  # active guards in all threads
_handle: Any = None  # the registered hook's handle


def current_guard() -> Guard | None:
    guards = getattr(_local, "guards", None)
    return guards[-1] if guards else None


def activate(guard: Guard) -> None:
    global _active
    guards = getattr(_local, "guards", None)
    if guards is None:
        guards = _local.guards = []
    guards.append(guard)
    with _lock:
        _active += 1
        if _active == 1:
            sys.meta_path.insert(0, _IMPORT_WATCHER)
            if any(name in sys.modules for name in HOOKED_LIBRARIES):
                _register()


def deactivate(guard: Guard) -> None:
    global _active, _handle
    guards = _local.guards
    # Innermost first in a thread; remove this guard wherever it is (exits can interleave across threads).
    for index in range(len(guards) - 1, -1, -1):
        if guards[index] is guard:
            del guards[index]
            break
    with _lock:
        _active -= 1
        if _active == 0:
            if _IMPORT_WATCHER in sys.meta_path:
                sys.meta_path.remove(_IMPORT_WATCHER)
            if _handle is not None:
                _handle.remove()
                _handle = None


def hook_registered() -> bool:
    return _handle is not None


def _register() -> None:
    global _handle
    if _handle is None:
        _handle = torch.nn.modules.module.register_module_forward_pre_hook(_pre_hook)


class _ImportWatcher:
    """Registers the hook when a hooked library is first imported; finds no module itself."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name in HOOKED_LIBRARIES:
            with _lock:
                if _active:
                    _register()


_IMPORT_WATCHER = _ImportWatcher()


def _pre_hook(module: torch.nn.Module, args: tuple) -> None:
    fact = _fact_by_type.get(type(module), _MISSING)
    if fact is _MISSING:
        fact = _fact_by_type[type(module)] = fact_for_class(type(module))
    if fact is None:
        return
    guard = current_guard()
    if guard is not None:
        guard.check_library_loss(fact, module, args)  # type: ignore[arg-type]
    return
