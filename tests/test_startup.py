"""Starting Steady: `python -m bot` as a real process — exit codes, clear sentences, no token in
any output, the command menu, and a graceful stop on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import texts
from bot.db.models import Delivery
from tests.faketelegram import FakeTelegram
from tests.harness import Steady
from tests.processes import HANG
from tests.stories import agree_phrase, pair


def clean_env(**values: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "LOG_"))
    }
    env.update(values)
    return env


async def run_bot(
    cwd: Path, env: dict[str, str], *args: str, timeout: float = HANG
) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode or 0, out.decode()


def assert_one_clear_sentence(output: str) -> None:
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output


@pytest.mark.slow
async def test_without_a_token_it_stops_with_exit_2_and_says_how_to_get_one(tmp_path: Path) -> None:
    code, output = await run_bot(tmp_path, clean_env())
    assert code == 2
    assert_one_clear_sentence(output)
    assert "TELEGRAM_BOT_TOKEN is not set" in output
    assert "@BotFather" in output and ".env" in output


@pytest.mark.slow
async def test_a_token_that_is_not_a_token_stops_with_exit_2(tmp_path: Path) -> None:
    secret = "this-is-not-a-real-token-but-a-secret"
    code, output = await run_bot(tmp_path, clean_env(TELEGRAM_BOT_TOKEN=secret))
    assert code == 2
    assert_one_clear_sentence(output)
    assert "does not look like a bot token" in output
    assert secret not in output


@pytest.mark.slow
async def test_a_token_telegram_rejects_stops_with_exit_2_without_echoing_it(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    token = "123456:ThisTokenIsWellFormedButUnknownToTelegram"
    code, output = await run_bot(
        tmp_path,
        clean_env(TELEGRAM_BOT_TOKEN=token, TELEGRAM_API_BASE_URL=telegram.base_url),
    )
    assert code == 2
    assert_one_clear_sentence(output)
    assert "Telegram did not accept TELEGRAM_BOT_TOKEN" in output
    assert token not in output and token.split(":")[1] not in output
    assert not (tmp_path / "data").exists()  # nothing was set up with a token Telegram refused


@pytest.mark.slow
async def test_an_unreachable_api_stops_with_exit_1_and_a_clear_sentence(tmp_path: Path) -> None:
    code, output = await run_bot(
        tmp_path,
        clean_env(
            TELEGRAM_BOT_TOKEN="123456:ThisTokenIsWellFormedButUnknownToTelegram",
            TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot",
        ),
    )
    assert code == 1
    assert_one_clear_sentence(output)
    assert "Could not reach the Telegram Bot API at http://127.0.0.1:9" in output
    assert "ThisTokenIsWellFormed" not in output


@pytest.mark.slow
async def test_settings_with_wrong_values_are_explained(tmp_path: Path) -> None:
    code, output = await run_bot(tmp_path, clean_env(LOG_LEVEL="loud", DATABASE_URL="mysql://x"))
    assert code == 2
    assert_one_clear_sentence(output)
    assert "LOG_LEVEL" in output and "DATABASE_URL" in output


@pytest.mark.slow
async def test_settings_are_read_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=not-a-token-from-dotenv\n")
    code, output = await run_bot(tmp_path, clean_env())
    assert code == 2
    assert "does not look like a bot token" in output


@pytest.mark.slow
async def test_migrate_against_an_unreachable_database_says_so_in_one_sentence(
    tmp_path: Path,
) -> None:
    env = clean_env(DATABASE_URL="postgresql+asyncpg://steady:secret-pw@127.0.0.1:9/steady")
    code, output = await run_bot(tmp_path, env, "migrate")
    assert code == 1
    assert_one_clear_sentence(output)
    assert (
        "Could not open the database at postgresql+asyncpg://steady:***@127.0.0.1:9/steady"
        in output
    )
    assert "secret-pw" not in output


@pytest.mark.slow
async def test_migrate_creates_the_database_and_is_idempotent(tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/db/steady.db")
    for _ in range(2):
        code, output = await run_bot(tmp_path, env, "migrate")
        assert code == 0, output
        assert "The database is up to date." in output
    assert (tmp_path / "db" / "steady.db").exists()


@pytest.mark.parametrize("log_format", ["text", "json"])
@pytest.mark.slow
async def test_the_real_process_answers_and_stops_gracefully_on_sigterm(
    tmp_path: Path, telegram: FakeTelegram, log_format: str
) -> None:
    env = clean_env(
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/steady.db",
        LOG_LEVEL="INFO",
        LOG_FORMAT=log_format,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        alex = telegram.user("Alex")
        await alex.start()
        await alex.expect("Steady helps", timeout=HANG)
        await alex.send("/pair secret words of Alex")
        await alex.expect("Here's your invite")
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(process.communicate(), 10)
    output = out.decode()
    assert process.returncode == 0, output
    assert "Steady stopped" in output
    assert telegram.token not in output
    assert telegram.token.split(":")[1] not in output
    # At INFO, nothing anyone wrote or was sent appears in the logs.
    assert "secret words" not in output
    assert "Here's your invite" not in output
    assert "Steady helps" not in output
    assert (tmp_path / "steady.db").exists()
    if log_format == "json":  # one object per line, for log collectors
        entries = [json.loads(line) for line in output.splitlines() if line.strip()]
        assert {"Steady stopped", "Steady is stopping"} <= {e["message"] for e in entries}
        assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)


async def test_start_sets_the_command_menu_and_description(steady: Steady) -> None:
    bot = steady.telegram.bot
    assert [(c["command"], c["description"]) for c in bot.commands] == texts.COMMANDS
    assert bot.description == texts.BOT_DESCRIPTION
    assert bot.short_description == texts.BOT_SHORT_DESCRIPTION


async def test_help_names_every_command_in_its_group(steady: Steady) -> None:
    """The help is grouped and short; the command menu (the / key) gives each its line."""
    alex = steady.user("Alex")
    await alex.start()
    await alex.send("/help")
    help_message = await alex.expect("Here's what I can do")
    named = set(re.findall(r"/([a-z]+)\b", help_message.shown))
    assert {name for name, _ in texts.COMMANDS} - named == {"start", "help"}


@pytest.mark.slow
async def test_stats_counts_couples_rituals_and_the_days_deliveries(
    steady: Steady, database_url: str, tmp_path: Path
) -> None:
    await steady.advance_to(datetime.now(UTC))  # `stats` looks back 24 h from the real now
    alex, sam = await pair(steady)
    await alex.send("/ritual add checkin 12:30 daily")
    await alex.expect("Added:")
    await agree_phrase(alex, sam, "Here for you.")
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.expect("💛 From Sam")
    await steady.settle()
    async with steady.rt.db.transaction() as session:
        sent = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.status == "sent")
        )
    code, output = await run_bot(tmp_path, clean_env(DATABASE_URL=database_url), "stats")
    assert code == 0, output
    lines = output.splitlines()
    assert lines[:3] == ["couples: 1", "people: 2", "active rituals: 1"]
    assert lines[3].startswith("deliveries in the last 24 h: ") and f"sent {sent}" in lines[3]
    assert "Here for you" not in output  # counts, never anyone's words
