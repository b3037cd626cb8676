"""The fake Bot API server follows Telegram's documented shapes and refusals — checked here with
a raw HTTP client and with python-telegram-bot's own Bot, so the rest of the suite can trust it."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter

from tests.faketelegram import FakeTelegram, Fault, FaultPlan, StrictLimits
from tests.faketelegram.server import PARSE_MODE_NOT_EMULATED


async def call(
    server: FakeTelegram, method: str, token: str | None = None, **params: Any
) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http:
        url = f"{server.base_url}{token or server.token}/{method}"
        async with http.post(url, json=params) as response:
            return response.status, await response.json()


@pytest.fixture
async def bot(telegram: FakeTelegram) -> Any:
    async with Bot(telegram.token, base_url=telegram.base_url) as client:
        yield client


async def started_user(telegram: FakeTelegram) -> Any:
    user = telegram.user("Alex")
    await user.start()
    return user


async def test_responses_use_the_bot_api_envelope(telegram: FakeTelegram) -> None:
    status, body = await call(telegram, "getMe")
    assert status == 200
    assert body["ok"] is True
    assert body["result"]["is_bot"] is True
    assert body["result"]["username"] == telegram.bot.username


async def test_errors_use_the_bot_api_error_format(telegram: FakeTelegram) -> None:
    status, body = await call(telegram, "sendMessage", chat_id=424242, text="hi")
    assert status == 400
    assert body == {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
    status, body = await call(telegram, "noSuchMethod")
    assert (status, body["description"]) == (404, "Not Found")
    status, body = await call(telegram, "getMe", token="123:" + "x" * 30)
    assert (status, body["description"]) == (401, "Unauthorized")
    status, body = await call(telegram, "getMe", token="not-a-token")
    assert status == 404


async def test_ptb_sees_unknown_tokens_as_invalid(telegram: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("123:" + "x" * 30, base_url=telegram.base_url):
            pass


async def test_send_message_checks_text_like_telegram(telegram: FakeTelegram, bot: Bot) -> None:
    user = await started_user(telegram)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(user.id, "   ")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(user.id, "x" * 4097)
    await bot.send_message(user.id, "x" * 4096)
    # 4096 is counted in UTF-16 code units: 2049 emoji are 4098 units.
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(user.id, "🧡" * 2049)


async def test_formatted_text_is_refused_as_not_emulated(telegram: FakeTelegram, bot: Bot) -> None:
    """Steady sends plain text. Should it ever ask Telegram to parse formatting, the emulator
    can't check that markup, so it refuses loudly rather than pass it along unchecked."""
    user = await started_user(telegram)
    status, body = await call(
        telegram, "sendMessage", chat_id=user.id, text="<b>hi</b>", parse_mode="HTML"
    )
    assert status == 400
    assert body == {"ok": False, "error_code": 400, "description": PARSE_MODE_NOT_EMULATED}
    with pytest.raises(BadRequest, match=r"(?i)parse_mode is not implemented by this emulator"):
        await bot.send_message(user.id, "*hi*", parse_mode=ParseMode.MARKDOWN_V2)
    assert user.inbox == []
    status, _ = await call(
        telegram, "sendMessage", chat_id=user.id, text="<b>hi</b>", parse_mode=""
    )
    assert status == 200
    assert user.last.shown == "<b>hi</b>"


async def test_callback_data_over_64_bytes_is_refused(telegram: FakeTelegram, bot: Bot) -> None:
    user = await started_user(telegram)
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="x" * 64)]])
    await bot.send_message(user.id, "fine", reply_markup=ok)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("no", callback_data="é" * 33)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(user.id, "too long", reply_markup=too_long)


async def test_blocked_and_never_started_chats_are_forbidden(
    telegram: FakeTelegram, bot: Bot
) -> None:
    user = await started_user(telegram)
    user.chat.blocked = True
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(user.id, "hello")
    stranger = telegram.user("Stranger")
    assert stranger.chat.started is False  # known to Telegram, never pressed Start
    with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
        await bot.send_message(stranger.id, "hello")


async def test_editing_follows_telegrams_rules(telegram: FakeTelegram, bot: Bot) -> None:
    user = await started_user(telegram)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("press", callback_data="p")]])
    sent = await bot.send_message(user.id, "first", reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("first", user.id, sent.message_id, reply_markup=markup)
    await bot.edit_message_text("second", user.id, sent.message_id)
    assert user.last.shown == "second"
    assert user.last.buttons == []  # an edit without reply_markup removes the keyboard
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", user.id, 9999)
    own = user.chat.messages[0]  # the user's /start
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("x", user.id, own.message_id)


async def test_a_callback_query_can_be_answered_once(telegram: FakeTelegram, bot: Bot) -> None:
    user = await started_user(telegram)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("press", callback_data="p")]])
    await bot.send_message(user.id, "choose", reply_markup=markup)
    press = asyncio.create_task(user.press("press"))
    updates = await bot.get_updates(timeout=5)
    query = next(u.callback_query for u in updates if u.callback_query)
    assert query is not None and query.data == "p"
    await query.answer("thanks")
    assert (await press).text == "thanks"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer("again")


async def polling(telegram: FakeTelegram) -> None:
    """Until a long poll is waiting at the server."""
    bot = telegram.bot
    await telegram.wait_for(lambda: bot.poller is not None and not bot.poller.done(), what="a poll")


async def test_get_updates_long_polls_and_confirms_by_offset(
    telegram: FakeTelegram, bot: Bot
) -> None:
    user = telegram.user("Alex")
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await polling(telegram)
    assert not poll.done()  # waiting, as a long poll does
    await user.start()
    first = await poll
    assert [u.message.text for u in first if u.message] == ["/start"]
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [u.update_id for u in first]  # not yet confirmed
    confirmed = await bot.get_updates(offset=first[-1].update_id + 1, timeout=0)
    assert confirmed == ()


async def test_a_second_poller_ends_the_first_with_a_conflict(
    telegram: FakeTelegram, bot: Bot
) -> None:
    """As when two copies of a bot run with one token."""
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await polling(telegram)
    status, body = await call(telegram, "getUpdates", timeout=0)
    assert (status, body["result"]) == (200, [])
    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates request"):
        await first


async def test_injected_faults_look_like_telegrams(telegram: FakeTelegram, bot: Bot) -> None:
    user = await started_user(telegram)
    telegram.faults = FaultPlan(
        script=[
            Fault("retry_after", seconds=3),
            Fault("server_error", status=502),
            Fault("blocked"),
            Fault("chat_not_found"),
        ]
    )
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(user.id, "a")
    assert caught.value.retry_after.total_seconds() == 3  # type: ignore[union-attr]
    status, body = await call(telegram, "sendMessage", chat_id=user.id, text="b")
    assert (status, body["description"]) == (502, "Bad Gateway")
    with pytest.raises(Forbidden, match=r"(?i)blocked"):
        await bot.send_message(user.id, "c")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(user.id, "d")
    assert telegram.faults.injected == {
        "retry_after": 1,
        "server_error": 1,
        "blocked": 1,
        "chat_not_found": 1,
    }
    assert user.inbox == []


async def test_strict_mode_answers_429_past_telegrams_limits(telegram: FakeTelegram) -> None:
    telegram.strict = StrictLimits(per_bot=3)
    users = [telegram.user(f"U{i}") for i in range(4)]
    for user in users:
        await user.start()
    status, body = await call(telegram, "sendMessage", chat_id=users[0].id, text="one")
    assert status == 200
    status, body = await call(telegram, "sendMessage", chat_id=users[0].id, text="same chat")
    assert (status, body["parameters"]) == (429, {"retry_after": 1})
    for user in users[1:3]:
        assert (await call(telegram, "sendMessage", chat_id=user.id, text="hi"))[0] == 200
    status, body = await call(telegram, "sendMessage", chat_id=users[3].id, text="fourth")
    assert status == 429 and body["description"] == "Too Many Requests: retry after 1"
    assert telegram.strict.refused == 2 and len(telegram.strict.accepted) == 3
