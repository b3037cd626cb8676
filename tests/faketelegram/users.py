"""Simulated people: they type, tap keyboard buttons, press inline buttons, and read their chat."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

from tests.faketelegram.server import BotState, CallbackQuery, Chat, Message, TranscriptLine

if TYPE_CHECKING:
    from tests.faketelegram.server import FakeTelegram


@dataclass(frozen=True)
class Answer:
    """How the bot answered a button press (the toast the person sees)."""

    text: str | None
    show_alert: bool


class FakeUser:
    def __init__(
        self,
        server: FakeTelegram,
        bot: BotState,
        user_id: int,
        first_name: str,
        username: str | None,
    ) -> None:
        self.server = server
        self.bot = bot
        self.id = user_id
        self.first_name = first_name
        self.username = username
        self._read: set[int] = set()

    def user_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": "en",
        }
        if self.username:
            data["username"] = self.username
        return data

    @property
    def chat(self) -> Chat:
        chat = self.bot.chats.get(self.id)
        if chat is None:
            chat = Chat(user=self)
            self.bot.chats[self.id] = chat
        return chat

    # --- reading --------------------------------------------------------------------------

    @property
    def inbox(self) -> list[Message]:
        """Everything the bot sent to this person, oldest first."""
        return [m for m in self.chat.messages if m.from_bot and not m.deleted]

    @property
    def unread(self) -> list[Message]:
        return [m for m in self.inbox if m.message_id not in self._read]

    @property
    def last(self) -> Message:
        inbox = self.inbox
        assert inbox, f"{self.first_name} has no messages from the bot"
        return inbox[-1]

    @property
    def keyboard(self) -> list[str]:
        """Labels on the reply keyboard under this person's text box."""
        markup = self.chat.reply_keyboard
        if not markup:
            return []
        return [
            b["text"] if isinstance(b, dict) else str(b) for row in markup["keyboard"] for b in row
        ]

    def mark_read(self) -> None:
        self._read.update(m.message_id for m in self.inbox)

    async def expect(self, pattern: str | re.Pattern[str], timeout: float = 30.0) -> Message:
        """The next unread message from the bot whose text contains `pattern` (or matches it)."""

        def matches(message: Message) -> bool:
            if isinstance(pattern, re.Pattern):
                return bool(pattern.search(message.shown))
            return pattern in message.shown

        def find() -> Message | None:
            for message in self.unread:
                if matches(message):
                    return message
            return None

        try:
            message: Message = await self.server.wait_for(find, timeout, what=f"{pattern!r}")
        except AssertionError:
            got = "\n---\n".join(m.shown for m in self.unread) or "(nothing unread)"
            raise AssertionError(
                f"{self.first_name} did not receive a message with {pattern!r}; unread:\n{got}"
            ) from None
        self._read.add(message.message_id)
        return message

    async def next_message(self, timeout: float = 30.0) -> Message:
        message: Message = await self.server.wait_for(
            lambda: self.unread[0] if self.unread else None,
            timeout,
            what=f"a message to {self.first_name}",
        )
        self._read.add(message.message_id)
        return message

    # --- acting ---------------------------------------------------------------------------

    async def send(self, text: str) -> Message:
        """Type and send a text message."""
        chat = self.chat
        message = chat.add(from_bot=False, text=text, entities=self.server.command_entities(text))
        self.server.transcript.append(_line(self.first_name, "said", text))
        await self.server.push_update(
            self.bot, "message", self.server.message_dict(self.bot, chat, message)
        )
        return message

    def group(self, group_id: int, title: str = "Family") -> Chat:
        """A group chat this person and the bot are both in."""
        chat = self.bot.chats.get(group_id)
        if chat is None:
            chat = Chat(user=self, group_id=group_id, group_title=title, started=True)
            self.bot.chats[group_id] = chat
        chat.user = self
        return chat

    async def send_in_group(self, group_id: int, text: str) -> Message:
        chat = self.group(group_id)
        message = chat.add(from_bot=False, text=text, entities=self.server.command_entities(text))
        self.server.transcript.append(_line(self.first_name, "said", text))
        await self.server.push_update(
            self.bot, "message", self.server.message_dict(self.bot, chat, message)
        )
        return message

    async def start(self, payload: str | None = None) -> Message:
        """Press Start (optionally through a deep link)."""
        self.chat.started = True
        return await self.send(f"/start {payload}" if payload else "/start")

    async def open_link(self, url: str) -> Message:
        """Open a t.me deep link to the bot, as tapping it in Telegram does."""
        parsed = urlparse(url)
        assert parsed.netloc == "t.me" and parsed.path.strip("/") == self.bot.username, url
        payload = parse_qs(parsed.query).get("start", [None])[0]
        return await self.start(payload)

    async def tap(self, label: str) -> Message:
        """Tap a button on the reply keyboard (which sends its label as text)."""
        assert label in self.keyboard, (
            f"{label!r} is not on {self.first_name}'s keyboard: {self.keyboard}"
        )
        return await self.send(label)

    async def press(
        self, label: str, message: Message | None = None, timeout: float = 30.0
    ) -> Answer:
        """Press an inline button: on `message`, or on the newest message that has it."""
        if message is None:
            candidates = [m for m in reversed(self.inbox) if label in m.buttons]
            assert candidates, f"no message of {self.first_name}'s has a {label!r} button"
            message = candidates[0]
        return await self.press_data(message.button_data(label), message, timeout, label=label)

    async def press_data(
        self,
        data: str,
        message: Message | None = None,
        timeout: float = 30.0,
        label: str = "",
        chat: Chat | None = None,
    ) -> Answer:
        """Send a callback query with any data — as a modified client could (forgery tests).
        `chat`: press on a message in that chat (e.g. a group) instead of the private one."""
        chat = chat or self.chat
        message = message or (chat.messages[-1] if chat.messages else self.last)
        query_id = self.server.new_query_id()
        answered: asyncio.Future[tuple[str | None, bool]] = (
            asyncio.get_running_loop().create_future()
        )
        self.bot.queries[query_id] = CallbackQuery(
            query_id, self.id, message.message_id, data, answered
        )
        self.server.transcript.append(_line(self.first_name, "press", label or data))
        await self.server.push_update(
            self.bot,
            "callback_query",
            {
                "id": query_id,
                "from": self.user_dict(),
                "message": self.server.message_dict(self.bot, chat, message),
                "chat_instance": str(self.id * 7),
                "data": data,
            },
        )
        try:
            text, alert = await asyncio.wait_for(asyncio.shield(answered), timeout)
        except TimeoutError:
            raise AssertionError(
                f"the bot did not answer {self.first_name}'s press of {label or data!r}"
            ) from None
        return Answer(text, alert)

    async def send_sticker(self) -> Message:
        chat = self.chat
        message = chat.add(from_bot=False, sticker="sticker-" + str(self.id))
        self.server.transcript.append(_line(self.first_name, "said", "[sticker]"))
        await self.server.push_update(
            self.bot, "message", self.server.message_dict(self.bot, chat, message)
        )
        return message

    async def send_photo(self, caption: str | None = None) -> Message:
        chat = self.chat
        file_id = f"photo-{self.id}-{chat.next_message_id}"
        # Telegram keeps what people send: the bot may send it again by its file_id.
        self.bot.files[file_id] = JPEG_BYTES
        message = chat.add(from_bot=False, photo=file_id, caption=caption)
        self.server.transcript.append(_line(self.first_name, "said", f"[photo] {caption or ''}"))
        await self.server.push_update(
            self.bot, "message", self.server.message_dict(self.bot, chat, message)
        )
        return message

    async def send_voice(self, seconds: int, *, video_note: bool = False) -> Message:
        """Record and send a voice message (or a round video note) `seconds` long."""
        chat = self.chat
        kind = "video_note" if video_note else "voice"
        file_id = f"{kind}-{self.id}-{chat.next_message_id}"
        # Telegram keeps what people send: the bot may send it again by its file_id.
        self.bot.files[file_id] = OGG_BYTES
        self.bot.durations[file_id] = seconds
        fields: dict[str, Any] = {kind: file_id, "duration": seconds}
        message = chat.add(from_bot=False, **fields)
        self.server.transcript.append(_line(self.first_name, "said", f"[{kind} {seconds}s]"))
        await self.server.push_update(
            self.bot, "message", self.server.message_dict(self.bot, chat, message)
        )
        return message

    async def block(self) -> None:
        """Block the bot (Telegram then refuses to deliver, and tells the bot so)."""
        await self._membership("member", "kicked")
        self.chat.blocked = True

    async def unblock(self) -> None:
        """Restart the bot after blocking it."""
        self.chat.blocked = False
        await self._membership("kicked", "member")

    async def _membership(self, old: str, new: str) -> None:
        bot_user = self.bot.user_dict()
        await self.server.push_update(
            self.bot,
            "my_chat_member",
            {
                "chat": {"id": self.id, "type": "private", "first_name": self.first_name},
                "from": self.user_dict(),
                "date": int(time.time()),
                "old_chat_member": {"user": bot_user, "status": old}
                | ({"until_date": 0} if old == "kicked" else {}),
                "new_chat_member": {"user": bot_user, "status": new}
                | ({"until_date": 0} if new == "kicked" else {}),
            },
        )

    async def edit(self, message: Message, text: str) -> None:
        """Edit one of this person's own messages."""
        assert not message.from_bot
        message.text = text
        message.entities = self.server.command_entities(text)
        message.edit_date = int(time.time())
        await self.server.push_update(
            self.bot, "edited_message", self.server.message_dict(self.bot, self.chat, message)
        )


# What a recording's file holds, as far as these tests care.
OGG_BYTES = b"OggS" + bytes(64)

# Enough of a JPEG for the server's check of what is sent as a photo.
JPEG_BYTES = b"\xff\xd8\xff\xe0" + bytes(64)


def _line(who: str, kind: str, text: str) -> TranscriptLine:
    return TranscriptLine(time.monotonic(), who, kind, text)
