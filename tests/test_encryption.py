"""Encryption at rest: with DATA_KEY set, phrases, notes, journal, triggers, check-in words and
waiting messages are stored as Fernet tokens; `python -m bot rotate-key` moves everything to a
new key; a database whose text the keys can't open is refused at start, in one sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot import texts
from bot.db import crypto
from bot.db.rotate import secret_columns
from tests.faketelegram import FakeTelegram
from tests.harness import ErrorLog, FakeClock, Steady, settings_for
from tests.stories import agree_phrase, pair
from tests.test_pause import take_a_moment
from tests.test_startup import clean_env, run_bot

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


async def raw_values(steady: Steady) -> list[str]:
    """Every sensitive value exactly as the database holds it (plain SQL, no decrypting)."""
    out: list[str] = []
    async with steady.rt.db.transaction() as session:
        for table, name in secret_columns():
            rows = await session.execute(text(f"SELECT {name} FROM {table.name}"))
            # PostgreSQL's driver hands JSON back decoded; render it as it is stored.
            values = [v if isinstance(v, str) else json.dumps(v) for (v,) in rows]
            out += [v for v in values if v != "null"]
    return out


async def start(telegram: FakeTelegram, url: str, clock: FakeClock, **keys: str) -> Steady:
    steady = Steady(telegram, clock, settings_for(telegram, url, **keys), ErrorLog())
    await steady.start()
    return steady


async def test_sensitive_text_is_stored_encrypted_and_read_back(
    telegram: FakeTelegram, database_url: str, clock: FakeClock
) -> None:
    steady = await start(telegram, database_url, clock, data_key=OLD)
    try:
        alex, sam = await pair(steady)
        await agree_phrase(alex, sam, "You are my calm place.")
        # Sam takes a moment, so the notice of Alex's journal entry waits for him in the outbox.
        await take_a_moment(sam, "1 hour")
        await alex.send("/journal Morning coffee on the balcony")
        await alex.expect("Added to your journal")
        await alex.send("/trigger the door slammed")
        await alex.expect(texts.TRIGGER_FEELING_ASK)
        await alex.send("/dates add Our first dance 14 Feb")
        await alex.expect("Added:")
        await alex.tap(texts.REASSURE_BUTTON)
        words = await alex.expect("💛 From Sam")
        assert "“You are my calm place.”" in words.shown
        stored = await raw_values(steady)
        assert len(stored) >= 4  # a phrase, a journal entry, a trigger, a waiting message
        assert all(v.startswith(("fernet:", '{"fernet": "fernet:')) for v in stored), stored
        flat = repr(stored)
        assert ("important_dates", "name") in {(t.name, n) for t, n in secret_columns()}
        for secret in ("calm place", "coffee", "door slammed", "first dance"):
            assert secret not in flat
        await sam.send("/resume")
        await sam.expect("Morning coffee on the balcony")
        await sam.send("/journal")
        listing = await sam.expect("Your journal")
        assert "Morning coffee on the balcony" in listing.shown
    finally:
        await steady.stop()
        crypto.configure(None)


@pytest.mark.slow
async def test_rotate_key_moves_everything_to_the_new_key(
    telegram: FakeTelegram, database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    steady = await start(telegram, database_url, clock, data_key=OLD)
    try:
        alex, sam = await pair(steady)
        await agree_phrase(alex, sam, "Still here.")
    finally:
        await steady.stop()
        crypto.configure(None)
    env = clean_env(DATABASE_URL=database_url, DATA_KEY=NEW, DATA_KEY_PREVIOUS=OLD)
    code, output = await run_bot(tmp_path, env, "rotate-key")
    assert code == 0, output
    assert output.startswith("Encrypted ") and "with the current DATA_KEY" in output
    # The old key alone no longer opens the database: refused at start, in one sentence.
    old_only = clean_env(
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        DATABASE_URL=database_url,
        DATA_KEY=OLD,
    )
    code, output = await run_bot(tmp_path, old_only, "run")
    assert code == 2, output
    assert output.strip() == texts.DATA_KEY_NEEDED
    assert OLD not in output
    steady = await start(telegram, database_url, clock, data_key=NEW)
    try:
        alex.mark_read()
        await alex.tap(texts.REASSURE_BUTTON)
        words = await alex.expect("💛 From Sam")
        assert "“Still here.”" in words.shown
    finally:
        await steady.stop()
        crypto.configure(None)


@pytest.mark.slow
async def test_a_malformed_key_is_explained(tmp_path: Path) -> None:
    code, output = await run_bot(tmp_path, clean_env(DATA_KEY="not-a-key"), "migrate")
    assert code == 2
    assert output.strip() == texts.BAD_DATA_KEY
    assert "not-a-key" not in output
