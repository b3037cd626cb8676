"""Services and building blocks, tested without any bot: they take ids and values."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import callbacks, texts
from bot.config import Settings
from bot.db import Database
from bot.db.models import Person, Phrase
from bot.services import pairing, people
from bot.services.common import clean_name, clean_text
from bot.services.pairing import Redeem
from bot.services.reassurance import choose

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def person(db: Database, telegram_id: int, name: str) -> int:
    async with db.transaction() as session:
        p = await people.touch(
            session, telegram_id=telegram_id, chat_id=telegram_id, first_name=name, now=NOW
        )
        return p.id


async def test_concurrent_redemptions_on_separate_connections_pair_exactly_one(
    database_url: str,
) -> None:
    db = Database(database_url)
    inviter = await person(db, 1, "Alex")
    async with db.transaction() as session:
        me = await session.get(Person, inviter)
        assert me is not None
        made = await pairing.create_invite(session, me, NOW)
    assert isinstance(made, pairing.NewInvite)
    redeemers = [await person(db, 100 + i, f"P{i}") for i in range(8)]

    async def redeem(person_id: int) -> Redeem:
        async with db.transaction() as session:
            p = await session.get(Person, person_id)
            assert p is not None
            return (await pairing.redeem(session, p, made.token, NOW)).outcome

    outcomes = await asyncio.gather(*(redeem(r) for r in redeemers))
    assert outcomes.count(Redeem.PAIRED) == 1
    assert outcomes.count(Redeem.USED) == 7
    await db.dispose()


async def test_invite_tokens_are_long_random_and_url_safe(database_url: str) -> None:
    db = Database(database_url)
    tokens = set()
    for i in range(50):
        pid = await person(db, 1000 + i, "X")
        async with db.transaction() as session:
            p = await session.get(Person, pid)
            assert p is not None
            made = await pairing.create_invite(session, p, NOW)
            assert isinstance(made, pairing.NewInvite)
            tokens.add(made.token)
            assert made.expires_at - NOW == timedelta(hours=24)
    assert len(tokens) == 50
    assert all(len(t) >= 22 and pairing.TOKEN_SHAPE.match(t) for t in tokens)
    await db.dispose()


def test_rotation_never_repeats_the_last_phrase_while_there_are_others() -> None:
    phrases = [Phrase(id=i, text=str(i)) for i in range(1, 4)]
    rng = random.Random(7)
    last = None
    for _ in range(200):
        chosen = choose(phrases, last, rng)
        assert chosen.id != last
        last = chosen.id
    assert choose(phrases[:1], 1, rng).id == 1


@given(st.text())
def test_clean_text_keeps_only_showable_characters(raw: str) -> None:
    cleaned = clean_text(raw)
    assert cleaned == cleaned.strip()
    assert all(c == "\n" or not (ord(c) < 32 or 0x7F <= ord(c) < 0xA0) for c in cleaned)
    cleaned.encode("utf-8")  # storable


def test_clean_text_keeps_what_people_type() -> None:
    typed = "<b>&amp;</b> *x* _y_ 👩‍❤️‍👨 ﷽\nsecond line"
    assert clean_text(typed) == typed
    assert clean_text("a\tb\r\nc\x00d\ud800") == "ab\ncd"
    assert clean_text("one\n\n\n\ntwo") == "one\n\n\n\ntwo"
    assert clean_name(None) == texts.NAMELESS
    assert clean_name("  Ann\u0000a   Lee ") == "Anna Lee"


@given(data=st.data())
def test_callback_data_round_trips_and_fits_telegrams_limit(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(sorted(callbacks.SHAPES)))
    action = data.draw(st.sampled_from(sorted(callbacks.SHAPES[kind])))
    refs = data.draw(
        st.tuples(*[st.integers(0, callbacks.MAX_ID)] * callbacks.SHAPES[kind][action])
    )
    packed = callbacks.pack(kind, action, *refs)
    assert len(packed.encode()) <= 64
    assert callbacks.unpack(packed) == callbacks.Callback(kind, action, refs)


def test_extra_or_missing_ids_are_not_our_callback_data() -> None:
    assert callbacks.unpack("pa:a:1:2") is None
    assert callbacks.unpack("pa:a") is None
    assert callbacks.unpack("ci:m:1") is None
    assert callbacks.unpack(f"pa:a:{callbacks.MAX_ID + 1}") is None  # not a 32-bit id
    assert callbacks.unpack("tz:Europe/Berlin") == callbacks.Callback(
        "tz", "set", (), "Europe/Berlin"
    )


@given(st.one_of(st.text(max_size=80), st.binary(max_size=64), st.integers(), st.none()))
def test_anything_else_is_not_our_callback_data(data: object) -> None:
    parsed = callbacks.unpack(data)
    if parsed is not None and parsed.kind != callbacks.ZONE:
        assert callbacks.pack(parsed.kind, parsed.action, *parsed.refs) == data


@pytest.mark.parametrize(
    ("given_url", "expected"),
    [
        ("postgres://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("postgresql://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite+aiosqlite:///data/steady.db", "sqlite+aiosqlite:///data/steady.db"),
    ],
)
def test_database_urls_get_the_async_driver(given_url: str, expected: str) -> None:
    assert Settings(_env_file=None, database_url=given_url).database_url == expected  # type: ignore[call-arg]


def test_the_file_url_follows_the_api_base_url() -> None:
    settings = Settings(_env_file=None, telegram_api_base_url="http://localhost:8081/bot")  # type: ignore[call-arg]
    assert settings.telegram_api_file_url == "http://localhost:8081/file/bot"
    assert Settings(_env_file=None).telegram_api_file_url == "https://api.telegram.org/file/bot"  # type: ignore[call-arg]


def test_ids_beyond_32_bits_are_not_button_data() -> None:
    assert callbacks.unpack(f"rr:h:{2**31}") is None
    assert callbacks.unpack(f"rr:h:{2**31 - 1}") is not None
