"""Webhook mode: with WEBHOOK_URL, WEBHOOK_SECRET and WEBHOOK_LISTEN set, updates arrive as
Telegram's POSTs to the bot's own HTTP server (PTB's run_webhook machinery), over real HTTP —
and a request without the secret header, or with a wrong one, gets 403 and changes nothing."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot import texts
from bot.app import StartupError
from bot.config import ConfigError
from bot.db.models import Person
from tests.faketelegram import FakeTelegram
from tests.harness import FakeClock, Steady, running_bot
from tests.stories import agree_phrase, pair

SECRET = "s3cret-token_for-the-webhook-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def hooked(
    telegram: FakeTelegram, database_url: str, clock: FakeClock
) -> AsyncIterator[tuple[Steady, str]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/updates"
    async with running_bot(
        telegram,
        database_url,
        clock,
        webhook_url=url,
        webhook_secret=SECRET,
        webhook_listen=f"127.0.0.1:{port}",
    ) as steady:
        yield steady, url
        assert not steady.errors.records


def start_update(user_id: int, update_id: int = 900) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "Eve"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_772_442_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Eve"},
            "from": user,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def people(steady: Steady) -> int:
    async with steady.rt.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(Person)) or 0)


async def test_in_webhook_mode_updates_arrive_by_post_and_the_bot_works(
    hooked: tuple[Steady, str],
) -> None:
    steady, url = hooked
    telegram = steady.telegram
    assert telegram.bot.webhook_url == url
    assert telegram.bot.webhook_secret == SECRET
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "I'm right here.")
    await alex.tap(texts.REASSURE_BUTTON)
    words = await alex.expect("💛 From Sam")
    assert "I'm right here." in words.shown
    await sam.expect("Alex asked for reassurance")
    assert telegram.bot.webhook_answers and set(telegram.bot.webhook_answers) == {200}
    assert not [method for _, method in telegram.calls if method == "getUpdates"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Telegram-Bot-Api-Secret-Token": "not-the-secret-0123456789"},
        {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1]},
    ],
    ids=["no header", "wrong secret", "almost the secret"],
)
async def test_a_post_without_the_secret_gets_403_and_changes_nothing(
    hooked: tuple[Steady, str], headers: dict[str, str]
) -> None:
    steady, url = hooked
    before = await people(steady)
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            url, json=start_update(5555), headers={"Content-Type": "application/json", **headers}
        ) as response,
    ):
        assert response.status == 403
    await steady.settle()
    assert await people(steady) == before
    assert not [m for _, m in steady.telegram.calls if m == "sendMessage"]


async def test_webhook_mode_without_a_secret_or_on_a_busy_port_refuses_to_start(
    telegram: FakeTelegram, database_url: str, clock: FakeClock
) -> None:
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET is not"):
        async with running_bot(
            telegram, database_url, clock, webhook_url="https://example.org/hook"
        ):
            pass
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(StartupError, match="Could not listen"):
            async with running_bot(
                telegram,
                database_url,
                clock,
                webhook_url=f"http://127.0.0.1:{port}/hook",
                webhook_secret=SECRET,
                webhook_listen=f"127.0.0.1:{port}",
            ):
                pass
