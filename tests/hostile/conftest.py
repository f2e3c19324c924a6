"""Fixtures of the hostile suite and the tally of hostile cases it tried, printed per category at the end."""

from collections import Counter
from collections.abc import Iterator

import pytest

from tests.server.conftest import (  # noqa: F401  (fixtures shared with the server tests)
    estate_home,
    estate_store,
    make_runtime,
    write_policy,
)

CATEGORIES = ("arguments", "auth", "artifacts", "faults", "load", "scale-out")
_TALLY = pytest.StashKey[Counter[str]]()


class HostileTally:
    """Counts hostile cases tried per category for the run's summary."""

    def __init__(self, counts: Counter[str]) -> None:
        self._counts = counts

    def tried(self, category: str, cases: int = 1) -> None:
        assert category in CATEGORIES, f"unknown hostile category {category!r}"
        self._counts[category] += cases


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_TALLY] = Counter()


@pytest.fixture(scope="session")
def hostile(pytestconfig: pytest.Config) -> Iterator[HostileTally]:
    yield HostileTally(pytestconfig.stash[_TALLY])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    counts = config.stash.get(_TALLY, Counter())
    if not counts:
        return
    terminalreporter.section("hostile cases tried per category")
    for category in CATEGORIES:
        terminalreporter.write_line(f"{category}: {counts.get(category, 0)}")
    terminalreporter.write_line(
        "kill -9 of an ingest mid-run: tests/hostile/test_faults.py (the CLI) and tests/store/test_concurrency.py "
        "(store level), both backends"
    )
