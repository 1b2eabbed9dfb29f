"""Repository-wide pytest configuration: the Hypothesis profiles of seglint's own suite.

Profile choice, first match wins:
1. ``--hypothesis-profile NAME`` (Hypothesis's pytest plugin loads it after this hook);
2. the ``HYPOTHESIS_PROFILE`` environment variable;
3. ``ci`` when the ``CI`` environment variable is set (non-empty and not ``0``/``false``);
4. ``dev`` otherwise.

The profiles themselves are defined by ``seglint.pytest_plugin.register_profiles`` (``ci``, ``dev``,
``thorough``, ``debug``).

Tests marked ``third_party`` (other libraries' losses, in their own environments) are left out unless
the ``-m`` expression names that marker (``pytest -m third_party``).
"""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    from hypothesis import settings
    from hypothesis.errors import InvalidArgument

    from seglint.pytest_plugin import register_profiles

    register_profiles()
    if config.getoption("hypothesis_profile", None):
        return  # Hypothesis's own plugin loads it.
    name = os.environ.get("HYPOTHESIS_PROFILE", "").strip()
    if not name:
        ci = os.environ.get("CI", "").strip().lower()
        name = "ci" if ci and ci not in {"0", "false", "no"} else "dev"
    try:
        settings.load_profile(name)
    except InvalidArgument as exc:  # an unknown profile name
        raise pytest.UsageError(f"HYPOTHESIS_PROFILE={name!r}: {exc}") from None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "third_party" in (config.getoption("markexpr", "") or ""):
        return
    opt_in = [item for item in items if item.get_closest_marker("third_party")]
    if opt_in:
        config.hook.pytest_deselected(items=opt_in)
        items[:] = [item for item in items if not item.get_closest_marker("third_party")]
