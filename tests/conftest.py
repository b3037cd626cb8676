from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.faketelegram import FakeTelegram
from tests.harness import FakeClock, Steady, running_bot

# A Monday morning, away from any daylight-saving change.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated by Alembic once; each test gets a copy (the bot still runs the
    migrations at start, finding nothing to do — as it does on every restart)."""
    import asyncio

    from bot.db import migrate

    path = tmp_path_factory.mktemp("template") / "steady.db"
    asyncio.run(migrate.upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture
def database_url(tmp_path: Path, migrated_template: Path) -> str:
    path = tmp_path / "steady.db"
    shutil.copy(migrated_template, path)
    return f"sqlite+aiosqlite:///{path}"


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
_hypothesis_settings.register_profile("ci", max_examples=300)
_hypothesis_settings.register_profile("fuzz", max_examples=10_000)
_hypothesis_settings.load_profile(__import__("os").environ.get("HYPOTHESIS_PROFILE", "default"))
