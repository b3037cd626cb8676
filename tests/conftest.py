from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.databases import BACKEND, Databases
from tests.faketelegram import FakeTelegram
from tests.harness import FakeClock, Steady, running_bot

# A Monday morning, away from any daylight-saving change.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    made = Databases(tmp_path_factory.mktemp("databases"))
    yield made
    made.close()


@pytest.fixture
def database_url(tmp_path: Path, databases: Databases) -> Iterator[str]:
    """A migrated database of its own for this test (SQLite file, or PostgreSQL database)."""
    url = databases.migrated(tmp_path)
    yield url
    databases.drop(url)


@pytest.fixture
def empty_database_url(tmp_path: Path, databases: Databases) -> Iterator[str]:
    """An empty database, for the migration tests."""
    url = databases.empty(tmp_path)
    yield url
    databases.drop(url)


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def steady(
    telegram: FakeTelegram, database_url: str, clock: FakeClock
) -> AsyncIterator[Steady]:
    async with running_bot(telegram, database_url, clock) as bot:
        yield bot
        assert not bot.errors.records, [r.getMessage() for r in bot.errors.records]


# How hard property tests try: a quick default for `make test`, more in CI, 10,000 for `make fuzz`.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("default", max_examples=60)
_hypothesis_settings.register_profile("ci", max_examples=1_000)
_hypothesis_settings.register_profile("fuzz", max_examples=10_000)
_hypothesis_settings.load_profile(__import__("os").environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_report_header() -> str:
    return f"database backend: {BACKEND}"
