"""pytest plugin for the cross-entropy property suite.

Enable it explicitly; it is never auto-loaded::

    pytest -p seglint.pytest_plugin            # command line
    pytest_plugins = ["seglint.pytest_plugin"] # a root conftest.py
    addopts = ["-p", "seglint.pytest_plugin"]  # [tool.pytest.ini_options]

It provides:

``--ce-impl=MODULE:ATTR``
    The cross-entropy implementation under test: a callable with the signature of
    ``torch.nn.functional.cross_entropy`` (everything supported), an ``nn.Module`` loss class taking
    ``F.cross_entropy``'s keywords in its constructor (as ``nn.CrossEntropyLoss`` does), or a
    :class:`seglint.implementations.Implementation`, which wraps a callable or a loss class with its
    declaration (:class:`~seglint.implementations.Supported`) and adapter. ``MODULE`` is imported
    normally (installed, on ``PYTHONPATH``, or added by pytest's ``pythonpath`` ini option); when it is
    not found there, the directory pytest was invoked from and the rootdir are tried as well, the way
    ``python -m pytest`` would find it. ``ATTR`` may be dotted (``Class.method``). Default:
    ``torch.nn.functional.cross_entropy``. A test that calls the implementation outside its
    declaration is SKIPPED with the reason ``not supported: <feature>``.
``--device=cpu|cuda|cuda:N|all``
    Repeatable or comma-separated. Default: ``cpu`` and ``cuda``. Every test that takes a ``device``
    argument is parametrised with these (ids ``cpu``, ``cuda``, ...). CUDA parameters carry the ``cuda``
    marker and are skipped with the reason ``"CUDA not available"`` on machines without CUDA, so CPU-only
    CI shows a counted SKIPPED instead of silently running less. ``all`` means ``cpu,cuda``.
fixtures
    ``ce_impl`` (session): the implementation under test. ``ce_impl_is_reference`` (session): ``True``
    when that is torch's own ``F.cross_entropy``.
markers
    ``reference`` (the test uses torch's ``F.cross_entropy`` as an oracle; deselect with
    ``-m "not reference"``) and ``cuda`` (needs a CUDA device).
:func:`register_profiles`
    Opt-in registration of the Hypothesis profiles ``ci``, ``dev``, ``thorough`` and ``debug``. Importing
    the plugin never registers or loads a profile.

torch is imported lazily: only when a test requests ``device`` with a CUDA parameter, when
``ce_impl`` is used, or when ``--ce-impl`` names a module that imports it.
"""
# Skipping outside the declaration: a test that takes ``ce_impl`` and raises ``NotSupported`` is
# skipped. Hypothesis would treat that exception as a failure and shrink it, so for a @given test the
# conversion wraps ``test.hypothesis.inner_test`` (the hook Hypothesis offers plugins), inside the
# examples; for a plain test, ``pytest_runtest_call`` converts it.

from __future__ import annotations

import functools
import importlib
import re
import sys
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from _pytest.config import Config
    from _pytest.config.argparsing import Parser
    from _pytest.python import Metafunc

__all__ = [
    "DEFAULT_DEVICES",
    "DEFAULT_IMPL",
    "PROFILE_SETTINGS",
    "register_profiles",
    "resolve_devices",
    "resolve_impl",
]

DEFAULT_IMPL = "torch.nn.functional:cross_entropy"
DEFAULT_DEVICES: tuple[str, ...] = ("cpu", "cuda")
CUDA_SKIP_REASON = "CUDA not available"

_DEVICE_CHOICES = "cpu, cuda, cuda:N, all"
_DEVICE_RE = re.compile(r"^(cpu|cuda|cuda:\d+|all)$")

_MARKERS = (
    "reference: compares against torch's own cross_entropy as an oracle",
    "cuda: needs a CUDA device",
)

# Hypothesis profiles registered by register_profiles(); "parent" names a built-in Hypothesis profile.
PROFILE_SETTINGS: dict[str, dict[str, Any]] = {
    # Built-in "ci" as the parent: derandomize=True, deadline=None, database=None, print_blob=True,
    # suppress HealthCheck.too_slow.
    "ci": {"parent": "ci", "max_examples": 50},
    "dev": {"parent": "default", "max_examples": 100, "deadline": None},
    "thorough": {
        "parent": "default",
        "max_examples": 1000,
        "derandomize": False,
        "database": None,
        "deadline": None,
        "suppress_health_check": ["too_slow"],
    },
    "debug": {"parent": "default", "max_examples": 10, "deadline": None, "verbosity": "verbose"},
}

_CE_IMPL_KEY = pytest.StashKey[Callable[..., Any]]()
_CE_IMPL_IS_REFERENCE_KEY = pytest.StashKey[bool]()
_DEVICES_KEY = pytest.StashKey["tuple[str, ...]"]()


# ---------------------------------------------------------------------------------------------------------
# Hooks
# ---------------------------------------------------------------------------------------------------------


def pytest_addoption(parser: Parser) -> None:
    group = parser.getgroup("seglint", "seglint property suite")
    group.addoption(
        "--ce-impl",
        action="store",
        dest="seglint_ce_impl",
        default=None,
        metavar="MODULE:ATTR",
        help=(
            "cross-entropy implementation under test, with the signature of torch.nn.functional."
            "cross_entropy (default: torch.nn.functional:cross_entropy)"
        ),
    )
    group.addoption(
        "--device",
        action="append",
        dest="seglint_devices",
        default=None,
        metavar="DEVICE",
        help=(
            "device(s) for tests taking a `device` argument: cpu, cuda, cuda:N or all; repeatable or "
            "comma-separated (default: cpu,cuda; CUDA is skipped when not available)"
        ),
    )


def pytest_configure(config: Config) -> None:
    for line in _MARKERS:
        config.addinivalue_line("markers", line)
    config.stash[_DEVICES_KEY] = resolve_devices(config.getoption("seglint_devices", None))
    spec = config.getoption("seglint_ce_impl", None)
    if spec is not None:
        # Resolve eagerly so that a bad value is a usage error before collection, not N test errors.
        extra = list(dict.fromkeys([str(config.invocation_params.dir), str(config.rootpath)]))
        impl = resolve_impl(spec, extra_paths=extra)
        config.stash[_CE_IMPL_KEY] = impl
        config.stash[_CE_IMPL_IS_REFERENCE_KEY] = _is_torch_cross_entropy(impl)


def pytest_report_header(config: Config) -> str | None:
    spec = config.getoption("seglint_ce_impl", None) or f"{DEFAULT_IMPL} (default)"
    devices = ",".join(config.stash.get(_DEVICES_KEY, DEFAULT_DEVICES))
    return f"seglint: ce-impl={spec}, devices={devices}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "ce_impl" not in getattr(item, "fixturenames", ()):
            continue
        handle = getattr(getattr(item, "obj", None), "hypothesis", None)
        inner = getattr(handle, "inner_test", None)
        if inner is not None and not getattr(inner, "_seglint_skips_unsupported", False):
            handle.inner_test = _skipping_unsupported(inner)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    try:
        return (yield)
    except Exception as exc:
        if "ce_impl" in getattr(item, "fixturenames", ()) and _is_not_supported(exc):
            pytest.skip(str(exc))
        raise


def pytest_generate_tests(metafunc: Metafunc) -> None:
    if "device" not in metafunc.fixturenames or _parametrizes_device_itself(metafunc):
        return
    devices = metafunc.config.stash.get(_DEVICES_KEY, DEFAULT_DEVICES)
    metafunc.parametrize("device", [_device_param(d) for d in devices])


# ---------------------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def ce_impl(pytestconfig: pytest.Config) -> Callable[..., Any]:
    """The cross-entropy implementation under test (``--ce-impl``; default ``F.cross_entropy``).

    Always called with ``F.cross_entropy``'s signature; a declared one (an ``Implementation``) carries
    its ``supported`` declaration, which ``seglint.implementations.supported_of`` reads."""
    impl = pytestconfig.stash.get(_CE_IMPL_KEY, None)
    if impl is None:
        import torch.nn.functional as F

        impl = F.cross_entropy
    return impl


@pytest.fixture(scope="session")
def ce_impl_is_reference(pytestconfig: pytest.Config) -> bool:
    """``True`` when the implementation under test is torch's own ``F.cross_entropy``."""
    return pytestconfig.stash.get(_CE_IMPL_IS_REFERENCE_KEY, True)


# ---------------------------------------------------------------------------------------------------------
# Helpers (public so that other harnesses can reuse them)
# ---------------------------------------------------------------------------------------------------------


def resolve_devices(values: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """Turn ``--device`` values into an ordered, de-duplicated tuple of device strings.

    ``None`` (option not given) gives ``DEFAULT_DEVICES``. ``all`` expands to ``cpu, cuda``. Raises
    ``pytest.UsageError`` naming the bad value and the valid choices.
    """
    if not values:
        return DEFAULT_DEVICES
    out: list[str] = []
    for value in values:
        for raw in str(value).split(","):
            item = raw.strip().lower()
            if not _DEVICE_RE.match(item):
                raise pytest.UsageError(
                    f"--device={raw.strip()!r} is not a valid device; choose from {_DEVICE_CHOICES} "
                    "(repeatable or comma-separated)"
                )
            for dev in DEFAULT_DEVICES if item == "all" else (item,):
                if dev not in out:
                    out.append(dev)
    return tuple(out)


def resolve_impl(spec: str, *, extra_paths: list[str] | tuple[str, ...] = ()) -> Callable[..., Any]:
    """Import ``MODULE:ATTR`` and return the implementation; ``pytest.UsageError`` naming ``--ce-impl``
    otherwise.

    A callable or an ``Implementation`` is returned as is; an ``nn.Module`` subclass is wrapped in an
    ``Implementation`` (constructed per call with ``F.cross_entropy``'s keywords, everything supported).

    When ``MODULE`` cannot be found on ``sys.path``, each of ``extra_paths`` is tried (prepended to
    ``sys.path``, and left there once the import succeeds, as pytest's ``pythonpath`` option does).
    """
    module_name, sep, attr_path = spec.partition(":")
    module_name, attr_path = module_name.strip(), attr_path.strip()
    if not sep or not module_name or not attr_path or ":" in attr_path:
        raise pytest.UsageError(
            f"--ce-impl={spec!r} is not of the form MODULE:ATTR (for example mypkg.losses:cross_entropy)"
        )
    module = _import_module(spec, module_name, extra_paths)
    obj: Any = module
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise pytest.UsageError(
                f"--ce-impl={spec!r}: module {module_name!r} ({getattr(module, '__file__', '?')}) has no "
                f"attribute {attr_path!r}"
            ) from None
    if _is_loss_class(obj):
        from seglint.implementations import Implementation

        return Implementation(obj)
    if not callable(obj):
        raise pytest.UsageError(
            f"--ce-impl={spec!r}: {module_name}:{attr_path} is an object of type {type(obj).__name__}, "
            "not a callable, an nn.Module loss class or a seglint.implementations.Implementation"
        )
    return obj


def register_profiles() -> None:
    """Register the Hypothesis profiles ``ci``, ``dev``, ``thorough`` and ``debug`` (opt-in; loads none).

    - ``ci``: the built-in ``ci`` profile (``derandomize=True, deadline=None, database=None,
      print_blob=True``, ``too_slow`` suppressed) with ``max_examples=50``. Hypothesis loads ``ci`` by
      itself when the ``CI`` environment variable is set; re-registering the active profile takes effect.
    - ``dev``: ``max_examples=100, deadline=None`` and the default ``.hypothesis/`` database.
    - ``thorough``: ``max_examples=1000, derandomize=False, database=None, deadline=None``, ``too_slow``
      suppressed; pass ``--hypothesis-seed`` to replay a run.
    - ``debug``: ``max_examples=10, deadline=None``, verbose.

    Calling it again is harmless. Load one with ``--hypothesis-profile NAME`` or
    ``hypothesis.settings.load_profile(NAME)``.
    """
    from hypothesis import HealthCheck, Verbosity, settings

    for name, options in PROFILE_SETTINGS.items():
        kwargs = dict(options)
        parent = kwargs.pop("parent", None)
        if "suppress_health_check" in kwargs:
            kwargs["suppress_health_check"] = [HealthCheck[h] for h in kwargs["suppress_health_check"]]
        if "verbosity" in kwargs:
            kwargs["verbosity"] = Verbosity[kwargs["verbosity"]]
        # An explicit parent: `parent=None` would inherit from whichever profile happens to be loaded.
        # Registering the active profile again takes effect immediately (Hypothesis reloads it).
        settings.register_profile(name, parent=settings.get_profile(parent), **kwargs)


# ---------------------------------------------------------------------------------------------------------
# Internals
# ---------------------------------------------------------------------------------------------------------


def _import_module(spec: str, module_name: str, extra_paths: list[str] | tuple[str, ...]) -> Any:
    added: list[str] = []
    candidates = [None, *[p for p in extra_paths if p]]
    last_missing: ModuleNotFoundError | None = None
    for path in candidates:
        if path is not None:
            if path in sys.path:
                continue
            sys.path.insert(0, path)
            added.append(path)
        try:
            return importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if not _is_missing(exc, module_name):
                _undo(added)
                raise pytest.UsageError(
                    f"--ce-impl={spec!r}: importing module {module_name!r} failed: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            last_missing = exc
            if path is not None:
                sys.path.remove(path)
                added.remove(path)
        except Exception as exc:  # an error while executing the module
            _undo(added)
            raise pytest.UsageError(
                f"--ce-impl={spec!r}: importing module {module_name!r} failed: {type(exc).__name__}: {exc}"
            ) from exc
    searched = ", ".join(repr(p) for p in extra_paths if p)
    raise pytest.UsageError(
        f"--ce-impl={spec!r}: no module named {module_name!r} on sys.path"
        + (f" (also tried {searched})" if searched else "")
        + "; install it, add its directory to PYTHONPATH, or set pytest's `pythonpath` option"
    ) from last_missing


def _is_missing(exc: ModuleNotFoundError, module_name: str) -> bool:
    """True when the module itself (or a parent package) is missing, not one of its own imports."""
    missing = exc.name or ""
    return missing == module_name or module_name.startswith(missing + ".")


def _undo(added: list[str]) -> None:
    for path in added:
        if path in sys.path:
            sys.path.remove(path)


def _is_loss_class(obj: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, type) and issubclass(obj, torch.nn.Module)


def _is_not_supported(exc: BaseException) -> bool:
    implementations = sys.modules.get("seglint.implementations")
    return implementations is not None and isinstance(exc, implementations.NotSupported)


def _skipping_unsupported(test: Callable[..., Any]) -> Callable[..., Any]:
    """``test``, with a ``NotSupported`` raised in an example turned into a skip of the whole test."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return test(*args, **kwargs)
        except Exception as exc:
            if _is_not_supported(exc):
                pytest.skip(str(exc))
            raise

    wrapper._seglint_skips_unsupported = True  # type: ignore[attr-defined]
    return wrapper


def _is_torch_cross_entropy(obj: Any) -> bool:
    module = sys.modules.get("torch.nn.functional")
    return module is not None and obj is getattr(module, "cross_entropy", None)


def _parametrizes_device_itself(metafunc: Metafunc) -> bool:
    for mark in metafunc.definition.iter_markers("parametrize"):
        argnames = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
        if isinstance(argnames, str):
            argnames = [a.strip() for a in argnames.split(",")]
        if "device" in argnames:
            return True
    return False


def _device_param(device: str) -> Any:
    if device == "cpu":
        return pytest.param("cpu", id="cpu")
    available, count = _cuda_state()
    marks = [pytest.mark.cuda, pytest.mark.skipif(not available, reason=CUDA_SKIP_REASON)]
    index = int(device.split(":")[1]) if ":" in device else 0
    if available and index >= count:
        marks.append(pytest.mark.skip(reason=f"{device} not available ({count} CUDA device(s))"))
    return pytest.param(device, id=device, marks=marks)


_CUDA_STATE: tuple[bool, int] | None = None


def _cuda_state() -> tuple[bool, int]:
    """(is_available, device_count), computed once; neither call creates a CUDA context."""
    global _CUDA_STATE
    if _CUDA_STATE is None:
        import torch

        available = bool(torch.cuda.is_available())
        _CUDA_STATE = (available, torch.cuda.device_count() if available else 0)
    return _CUDA_STATE
