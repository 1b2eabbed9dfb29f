"""pytest plugin for seglint's runtime guard (registered as the ``pytest11`` entry point
``seglint-guard``, so it loads wherever seglint is installed).

It imports nothing heavy and does nothing unless asked:

``--seglint-guard[=warn|raise]``
    Run every test's call phase under ``seglint.guard.watch(action)`` (``warn`` when no value is
    given). Fixtures' setup and teardown are not guarded: the plugin never touches them.
``seglint_guard`` fixture
    Guards the test that requests it (action: the option's, else ``warn``) and yields the ``Guard``,
    whose ``verdicts`` list what it found.

Warnings show in pytest's warnings summary (``-W error::seglint.guard.GuardWarning`` makes them fail
the test); under ``raise`` a verdict fails the test with ``seglint.guard.GuardError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from _pytest.config import Config
    from _pytest.config.argparsing import Parser

_ACTIONS = ("warn", "raise")


def pytest_addoption(parser: Parser) -> None:
    group = parser.getgroup("seglint-guard", "seglint runtime guard")
    group.addoption(
        "--seglint-guard",
        nargs="?",
        const="warn",
        default=None,
        choices=_ACTIONS,
        dest="seglint_guard",
        metavar="ACTION",
        help="check every loss call's input while the tests run (warn, the default, or raise)",
    )


def _action(config: Config) -> str | None:
    return config.getoption("seglint_guard", None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    action = _action(item.config)
    if action is None or "seglint_guard" in getattr(item, "fixturenames", ()):
        return (yield)
    from seglint.guard import watch

    with watch(action):
        return (yield)


@pytest.fixture
def seglint_guard(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The test runs under ``seglint.guard.watch``; yields the ``Guard``."""
    from seglint.guard import watch

    with watch(_action(request.config) or "warn") as guard:
        yield guard
