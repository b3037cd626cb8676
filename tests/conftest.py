from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests import worlds
from tests.databases import BACKEND, Databases
from tests.faketelegram import FakeTelegram
from tests.harness import T0, FakeClock, Steady, running_bot
from tests.worlds import Prepared, World


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
def world_url(prepared: Prepared, databases: Databases, tmp_path: Path) -> Iterator[str]:
    """A copy of the database of the test module's `prepared` world (tests/worlds.py)."""
    url = databases.copy(prepared.database, tmp_path)
    yield url
    databases.drop(url)


@pytest.fixture
async def w(prepared: Prepared, world_url: str) -> AsyncIterator[World]:
    """The test module's prepared world, with the bot running in it."""
    async with worlds.entered(prepared, world_url) as world:
        yield world


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
