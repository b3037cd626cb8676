"""A fake Telegram Bot API server, reached by the bot over real HTTP through its base URL.

It follows the Bot API's documented shapes (https://core.telegram.org/bots/api): the
`{"ok": true, "result": …}` envelope, errors as `{"ok": false, "error_code", "description",
"parameters": {"retry_after"}}`, form/JSON/multipart parameters, long-polled getUpdates with
offsets, and the checks that matter for a bot's correctness — text length, callback-data size,
editing rules, blocked users and unknown chats.

Steady sends plain text only, so Telegram's formatting (parse_mode) is not emulated: a request
that asks for it is refused, and a bot that starts formatting its messages fails the tests loudly
instead of passing them with markup that was never checked.

People are simulated by `FakeUser` objects (see users.py), which enqueue updates and read what
the bot sent to their chat.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import itertools
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from tests.faketelegram.faults import Fault, FaultPlan

if TYPE_CHECKING:
    from tests.faketelegram.users import FakeUser

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
PARSE_MODE_NOT_EMULATED = (
    "Bad Request: parse_mode is not implemented by this emulator (tests/faketelegram); "
    "send plain text"
)
_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")
_COMMAND = re.compile(r"(?:(?<=\s)|^)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
# getUpdates is a long poll; it is not "activity" for settle() and not subject to faults.
_PASSIVE = {"getupdates"}


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def utf16_len(text: str) -> int:
    """Telegram's measure of text length: UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Message:
    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    disable_notification: bool = False
    caption: str | None = None
    photo: str | None = None  # file_id
    document: str | None = None  # file_id
    sticker: str | None = None
    voice: str | None = None  # file_id
    video_note: str | None = None  # file_id
    duration: int = 0  # of a voice message or video note, in seconds
    edit_date: int | None = None
    edits: int = 0
    deleted: bool = False

    @property
    def shown(self) -> str:
        """What the person sees as the message body."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def inline_rows(self) -> list[list[dict[str, Any]]]:
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            return list(self.reply_markup["inline_keyboard"])
        return []

    @property
    def buttons(self) -> list[str]:
        return [b["text"] for row in self.inline_rows for b in row]

    def button_data(self, label: str) -> str:
        for row in self.inline_rows:
            for button in row:
                if button["text"] == label and "callback_data" in button:
                    return str(button["callback_data"])
        raise KeyError(label)


@dataclass
class CallbackQuery:
    id: str
    user_id: int
    message_id: int
    data: str
    answered: asyncio.Future[tuple[str | None, bool]]


@dataclass
class Chat:
    user: FakeUser  # the person (in a group: the last member who spoke)
    messages: list[Message] = field(default_factory=list)
    group_id: int | None = None  # a group chat (negative id) rather than a private one
    group_title: str = ""
    next_message_id: int = 1
    reply_keyboard: dict[str, Any] | None = None
    started: bool = False
    blocked: bool = False

    @property
    def id(self) -> int:
        return self.group_id if self.group_id is not None else self.user.id

    def add(self, **kwargs: Any) -> Message:
        message = Message(
            message_id=self.next_message_id, chat_id=self.id, date=int(time.time()), **kwargs
        )
        self.next_message_id += 1
        self.messages.append(message)
        return message

    def find(self, message_id: int) -> Message | None:
        for message in self.messages:
            if message.message_id == message_id and not message.deleted:
                return message
        return None


@dataclass
class TranscriptLine:
    at: float  # monotonic
    who: str
    kind: str  # said, bot, edit, press, answer
    text: str
    buttons: list[str] = field(default_factory=list)
    wall: float = field(default_factory=time.time)  # when it happened, for lateness figures
    chat_id: int = 0


@dataclass
class BotState:
    token: str
    id: int
    username: str
    first_name: str
    updates: list[dict[str, Any]] = field(default_factory=list)
    next_update_id: int = 1
    delivered_upto: int = 0  # highest update_id handed out by getUpdates
    handed_out: int = 0  # updates handed to the bot (by getUpdates or the webhook), in all
    allowed_updates: list[str] | None = None
    commands: list[dict[str, str]] = field(default_factory=list)
    description: str = ""
    short_description: str = ""
    chats: dict[int, Chat] = field(default_factory=dict)
    queries: dict[str, CallbackQuery] = field(default_factory=dict)
    poller: asyncio.Future[None] | None = None
    webhook_url: str = ""
    webhook_secret: str = ""
    pusher: asyncio.Task[None] | None = None
    webhook_answers: list[int] = field(default_factory=list)  # HTTP statuses the bot gave
    files: dict[str, bytes] = field(default_factory=dict)
    durations: dict[str, int] = field(default_factory=dict)  # of recordings, by file_id

    def user_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }


class Params:
    """Bot API parameters arrive as query string, JSON, form fields or multipart parts; form
    values are strings (objects JSON-encoded), as Telegram accepts them."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def has(self, name: str) -> bool:
        return name in self.values and self.values[name] not in (None, "")

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        return (
            value
            if isinstance(value, str)
            else json.dumps(value)
            if not isinstance(value, (int, float))
            else str(value)
        )

    def int(self, name: builtins.str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def bool(self, name: builtins.str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("true", "1")

    def json(self, name: builtins.str) -> Any:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value


# Methods that post a message into a chat: what Telegram's rate limits count.
_SENDS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendvoice",
        "sendvideonote",
        "copymessage",
        "forwardmessage",
    }
)


@dataclass
class StrictLimits:
    """Telegram's published limits, enforced: at most `per_bot` messages in any 1-second window
    per bot, and one message per second per chat; beyond them, 429 with `retry_after` — the
    answer a bot that ignores them gets. Accepted and refused sends are kept for benchmarks."""

    per_bot: int = 30
    chat_spacing: float = 1.0
    accepted: list[tuple[float, str]] = field(default_factory=list)  # (monotonic time, chat)
    refused: int = 0
    refused_at: list[float] = field(default_factory=list)  # monotonic times of the 429s
    # Each 429 and why: (monotonic time, chat, "bot" over per_bot a second | "chat" too soon).
    refusals: list[tuple[float, str, str]] = field(default_factory=list)
    _recent: dict[str, list[float]] = field(default_factory=dict)
    _last_in_chat: dict[str, float] = field(default_factory=dict)

    def admit(self, bot: str, chat: str) -> None:
        now = time.monotonic()
        recent = [t for t in self._recent.get(bot, []) if t > now - 1.0]
        self._recent[bot] = recent
        last = self._last_in_chat.get(chat)
        over_bot = len(recent) >= self.per_bot
        if over_bot or (last is not None and now - last < self.chat_spacing):
            self.refused += 1
            self.refused_at.append(now)
            self.refusals.append((now, chat, "bot" if over_bot else "chat"))
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        recent.append(now)
        self._last_in_chat[chat] = now
        self.accepted.append((now, chat))


class FakeTelegram:
    """The server. `await start()`, then point the bot at `base_url` with one of `tokens`."""

    def __init__(self) -> None:
        self.bots: dict[str, BotState] = {}
        self.users: dict[int, FakeUser] = {}
        self.transcript: list[TranscriptLine] = []
        self.calls: list[tuple[str, str]] = []  # (token-less bot username, method)
        # Every call but getUpdates as it arrived: (monotonic time, method, chat id or "").
        self.arrivals: list[tuple[float, str, str]] = []
        self.uploads: list[tuple[str, str, str]] = []  # files received as multipart parts
        self.faults: FaultPlan | None = None
        self.strict: StrictLimits | None = None  # Telegram's rate limits, enforced
        self.inflight = 0
        self.last_activity = time.monotonic()
        # Checks that an in-process bot is idle (tests/harness.py), for settle().
        self.watchers: list[Callable[[], bool]] = []
        # Checks that such a bot has work planned in real seconds (a breathing guide's next
        # step): wait_for() goes on waiting while any is true, though the bot is idle now.
        self.planned: list[Callable[[], bool]] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._user_ids = itertools.count(1001)
        self._query_ids = itertools.count(1)
        self.port = 0
        self.add_bot()

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        self._closing = True
        if self.faults is not None:
            self.faults.release()
        for bot in self.bots.values():
            if bot.poller is not None and not bot.poller.done():
                bot.poller.set_result(None)
        await self._notify()
        for bot in self.bots.values():
            if bot.pusher is not None:
                bot.pusher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await bot.pusher
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def bot(self) -> BotState:
        """The first bot (most tests have one)."""
        return next(iter(self.bots.values()))

    @property
    def token(self) -> str:
        return self.bot.token

    def add_bot(self, username: str | None = None, first_name: str = "Steady") -> BotState:
        bot_id = 7_000_000 + len(self.bots) + 1
        token = f"{bot_id}:{secrets.token_urlsafe(26)}"
        state = BotState(
            token, bot_id, username or f"Steady{len(self.bots) + 1}TestBot", first_name
        )
        self.bots[token] = state
        return state

    def user(
        self, first_name: str, *, bot: BotState | None = None, username: str | None = None
    ) -> FakeUser:
        from tests.faketelegram.users import FakeUser

        user = FakeUser(self, bot or self.bot, next(self._user_ids), first_name, username)
        self.users[user.id] = user
        return user

    # --- waiting --------------------------------------------------------------------------

    async def _notify(self) -> None:
        self.last_activity = time.monotonic()
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 30.0, what: str = ""
    ) -> Any:
        """Wait until `predicate()` is truthy (re-checked whenever anything changes). With a bot
        in this process (`watchers`), give up as soon as it is idle with the predicate still
        false: nothing more is coming until the clock moves, however long one waits — so a
        busy machine only makes a test slower, never wrong. `timeout` guards against a hang."""
        deadline = time.monotonic() + timeout
        calm = 0
        while True:
            value = predicate()
            if value:
                return value
            if self.watchers:
                # Twice in a row, a moment apart, as settle(); then one last look, since the
                # awaited message may have landed between the first look and the idle check.
                idle = self.quiet() and all(w() for w in self.watchers)
                calm = calm + 1 if idle and not any(p() for p in self.planned) else 0
                if calm >= 2:
                    value = predicate()
                    if value:
                        return value
                    raise AssertionError(f"the bot is idle and never sent {what or predicate}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), 0.005)

    def quiet(self) -> bool:
        """Every update handed to its bot and no call in flight."""
        pending = any(
            u["update_id"] > bot.delivered_upto for bot in self.bots.values() for u in bot.updates
        )
        return not pending and self.inflight == 0

    async def settle(self, quiet: float = 0.25, timeout: float = 30.0) -> None:
        """Wait until the bot is idle: every update fetched and handled, no call in flight, and
        every registered `watchers` check (a bot in this process says it has nothing in hand)
        true. A bot in another process cannot say so: then no call for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        calm = 0
        while time.monotonic() < deadline:
            if self.watchers:
                # Twice in a row, a moment apart: whatever was handed on in between shows.
                calm = calm + 1 if self.quiet() and all(w() for w in self.watchers) else 0
                if calm >= 2:
                    return
            elif self.quiet() and time.monotonic() - self.last_activity >= quiet:
                return
            await asyncio.sleep(0.005)
        raise AssertionError("the bot did not settle")

    # --- updates --------------------------------------------------------------------------

    async def push_update(
        self, bot: BotState, kind: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        update = {"update_id": bot.next_update_id, kind: payload}
        bot.next_update_id += 1
        if bot.allowed_updates is None or not bot.allowed_updates or kind in bot.allowed_updates:
            bot.updates.append(update)
        await self._notify()
        return update

    # --- HTTP -----------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> Params:
        values: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.body_exists:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    values.update(body)
            else:
                form = await request.post()
                for key, value in form.items():
                    values[key] = value
        return Params(values)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        method = request.match_info["method"]
        name = method.lower()
        passive = name in _PASSIVE
        if not passive:
            self.inflight += 1
            self.last_activity = time.monotonic()
        try:
            if not _TOKEN_SHAPE.match(token):
                raise ApiError(404, "Not Found")
            bot = self.bots.get(token)
            if bot is None:
                raise ApiError(401, "Unauthorized")
            handler: Callable[[BotState, Params], Awaitable[Any]] | None = getattr(
                self, f"_m_{name}", None
            )
            if handler is None:
                raise ApiError(404, "Not Found")
            try:
                params = await self._params(request)
            except ConnectionResetError:  # the bot went away mid-request (a poll, as it stops)
                return web.Response(status=499)
            self.calls.append((bot.username, method))
            if not passive:
                self.arrivals.append((time.monotonic(), method, params.str("chat_id") or ""))
            if params.has("parse_mode"):
                raise bad_request(PARSE_MODE_NOT_EMULATED.removeprefix("Bad Request: "))
            if self.strict is not None and name in _SENDS:
                self.strict.admit(bot.token, params.str("chat_id") or "")
            fault = self.faults.pick(method, params.values) if self.faults and not passive else None
            if fault is not None:
                await self._notify()  # a test may be waiting for the fault itself
                return await self._fault(request, fault, bot, handler, params)
            result = await handler(bot, params)
            return web.json_response({"ok": True, "result": result})
        except ApiError as exc:
            return web.json_response(exc.body(), status=exc.code)
        finally:
            if not passive:
                self.inflight -= 1
                await self._notify()

    async def _fault(
        self,
        request: web.Request,
        fault: Fault,
        bot: BotState,
        handler: Callable[[BotState, Params], Awaitable[Any]],
        params: Params,
    ) -> web.StreamResponse:
        if fault.kind == "retry_after":
            raise ApiError(
                429, f"Too Many Requests: retry after {fault.seconds}", retry_after=fault.seconds
            )
        if fault.kind == "server_error":
            raise ApiError(
                fault.status, "Internal Server Error" if fault.status == 500 else "Bad Gateway"
            )
        if fault.kind == "blocked":
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if fault.kind == "chat_not_found":
            raise bad_request("chat not found")
        if fault.kind == "drop":
            # The connection closes before Telegram acted on the request.
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if fault.kind == "hold":
            result = await handler(bot, params)
            assert self.faults is not None
            released = self.faults.released
            self.faults.held.set()
            await released.wait()
            return web.json_response({"ok": True, "result": result})
        if fault.kind == "slow":
            # Telegram acted on the request, but answered later than the client waited.
            result = await handler(bot, params)
            await asyncio.sleep(fault.seconds)
            return web.json_response({"ok": True, "result": result})
        raise AssertionError(fault.kind)  # pragma: no cover

    async def _file(self, request: web.Request) -> web.StreamResponse:
        bot = self.bots.get(request.match_info["token"])
        data = bot.files.get(request.match_info["path"]) if bot else None
        if data is None:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        return web.Response(body=data)

    # --- helpers for methods --------------------------------------------------------------

    def _chat_for_send(self, bot: BotState, params: Params) -> Chat:
        if not params.has("chat_id"):
            raise bad_request("chat_id is empty")
        raw = params.str("chat_id") or ""
        try:
            chat_id = int(raw)
        except ValueError:
            raise bad_request("chat not found") from None
        chat = bot.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not chat.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _chat_for_edit(self, bot: BotState, params: Params) -> tuple[Chat, Message]:
        if params.has("inline_message_id"):
            raise bad_request("message to edit not found")
        chat = self._chat_for_send(bot, params)
        message_id = params.int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = chat.find(message_id)
        if message is None:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return chat, message

    @staticmethod
    def _text(
        params: Params, name: str = "text", limit: int = MAX_TEXT, required: bool = True
    ) -> tuple[str, list[dict[str, Any]]] | None:
        raw = params.str(name)
        if raw is None:
            if required:
                raise bad_request("message text is empty")
            return None
        text, entities = raw, list[dict[str, Any]]()
        if params.has("entities" if name == "text" else "caption_entities"):
            entities = params.json("entities" if name == "text" else "caption_entities") or []
        if required and not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > limit:
            raise bad_request(
                "message is too long" if name == "text" else "message caption is too long"
            )
        return text, entities

    @staticmethod
    def _markup(params: Params, *, inline_only: bool = False) -> dict[str, Any] | None:
        markup = params.json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request(
                    "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                )
            count = 0
            for row in rows:
                if len(row) > 8:
                    raise bad_request("too many buttons in a row")
                for button in row:
                    count += 1
                    if not isinstance(button, dict) or not str(button.get("text", "")).strip():
                        raise bad_request(
                            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                        )
                    actions = [
                        k
                        for k in (
                            "url",
                            "callback_data",
                            "switch_inline_query",
                            "web_app",
                            "login_url",
                            "pay",
                            "copy_text",
                        )
                        if k in button
                    ]
                    if len(actions) != 1:
                        raise bad_request(
                            'can\'t parse inline keyboard button: Field "callback_data" must be of type String'
                        )
                    if "callback_data" in button:
                        data = button["callback_data"]
                        if (
                            not isinstance(data, str)
                            or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA
                        ):
                            raise bad_request("BUTTON_DATA_INVALID")
            if count > 100:
                raise bad_request("too many inline buttons")
            return markup
        if inline_only:
            raise bad_request("inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not rows:
                raise bad_request("keyboard must be non-empty")
            return markup
        if markup.get("remove_keyboard") is True or "force_reply" in markup:
            return markup
        raise bad_request("can't parse reply keyboard markup JSON object")

    def message_dict(self, bot: BotState, chat: Chat, message: Message) -> dict[str, Any]:
        user = chat.user
        sender = bot.user_dict() if message.from_bot else user.user_dict()
        chat_dict: dict[str, Any] = (
            {"id": chat.group_id, "type": "group", "title": chat.group_title}
            if chat.group_id is not None
            else {"id": user.id, "type": "private", "first_name": user.first_name}
            | ({"username": user.username} if user.username else {})
        )
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "from": sender,
            "chat": chat_dict,
            "date": message.date,
        }
        if message.text is not None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        if message.caption is not None:
            data["caption"] = message.caption
        if message.photo is not None:
            data["photo"] = [
                {
                    "file_id": message.photo,
                    "file_unique_id": message.photo[-12:],
                    "width": 800,
                    "height": 600,
                }
            ]
        if message.document is not None:
            data["document"] = {
                "file_id": message.document,
                "file_unique_id": message.document[-12:],
            }
        if message.sticker is not None:
            data["sticker"] = {
                "file_id": message.sticker,
                "file_unique_id": message.sticker[-12:],
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        if message.voice is not None:
            data["voice"] = {
                "file_id": message.voice,
                "file_unique_id": message.voice[-12:],
                "duration": message.duration,
                "mime_type": "audio/ogg",
            }
        if message.video_note is not None:
            data["video_note"] = {
                "file_id": message.video_note,
                "file_unique_id": message.video_note[-12:],
                "length": 240,
                "duration": message.duration,
            }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = message.reply_markup
        return data

    def _record(self, chat: Chat, kind: str, message: Message) -> None:
        self.transcript.append(
            TranscriptLine(
                time.monotonic(),
                chat.user.first_name,
                kind,
                message.shown,
                message.buttons,
                chat_id=chat.id,
            )
        )

    def _keyboard(self, chat: Chat, markup: dict[str, Any] | None) -> None:
        if markup is None:
            return
        if "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None

    # --- methods --------------------------------------------------------------------------

    async def _m_getme(self, bot: BotState, params: Params) -> Any:
        return bot.user_dict()

    async def _m_logout(self, bot: BotState, params: Params) -> Any:
        return True

    async def _m_close(self, bot: BotState, params: Params) -> Any:
        return True

    async def _m_getupdates(self, bot: BotState, params: Params) -> Any:
        if bot.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            )
        offset = params.int("offset", 0) or 0
        limit = max(1, min(params.int("limit", 100) or 100, 100))
        timeout = max(0, min(params.int("timeout", 0) or 0, 50))
        allowed = params.json("allowed_updates")
        if allowed is not None:
            bot.allowed_updates = list(allowed)
        if offset > 0:
            bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
        elif offset < 0:
            bot.updates = bot.updates[offset:]
        if bot.poller is not None and not bot.poller.done():
            bot.poller.set_result(None)  # the older poll is told it was replaced
            await self._notify()
        poller: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        bot.poller = poller
        await self._notify()  # a test may wait for the poll to begin
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not bot.updates and not poller.done() and not self._closing:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)
        if poller.done() and not self._closing:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
            )
        poller.cancel()
        batch = bot.updates[:limit]
        if batch:
            bot.delivered_upto = max(bot.delivered_upto, batch[-1]["update_id"])
            bot.handed_out += len(batch)
        return batch

    async def _m_deletewebhook(self, bot: BotState, params: Params) -> Any:
        bot.webhook_url = ""
        if params.bool("drop_pending_updates"):
            bot.updates.clear()
        await self._notify()
        return True

    async def _m_setwebhook(self, bot: BotState, params: Params) -> Any:
        """Telegram then POSTs each update, in order, to the URL as JSON, with the secret in
        X-Telegram-Bot-Api-Secret-Token, until it gets a 2xx (then the next). Unlike Telegram,
        plain http to loopback is accepted: a reverse proxy would terminate TLS in front."""
        url = params.str("url") or ""
        secret = params.str("secret_token") or ""
        if url and not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise bad_request("bad webhook: HTTPS url must be provided for webhook")
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        allowed = params.json("allowed_updates")
        if allowed is not None:
            bot.allowed_updates = list(allowed)
        if params.bool("drop_pending_updates"):
            bot.updates.clear()
        bot.webhook_url, bot.webhook_secret = url, secret
        if url and (bot.pusher is None or bot.pusher.done()):
            bot.pusher = asyncio.create_task(self._push_webhook(bot))
        await self._notify()
        return True

    async def _push_webhook(self, bot: BotState) -> None:
        async with aiohttp.ClientSession() as http:
            while bot.webhook_url and not self._closing:
                async with self._changed:
                    while not bot.updates and bot.webhook_url and not self._closing:
                        await self._changed.wait()
                if not bot.updates or not bot.webhook_url or self._closing:
                    continue
                update = bot.updates[0]
                headers = {"Content-Type": "application/json"}
                if bot.webhook_secret:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = bot.webhook_secret
                try:
                    async with http.post(
                        bot.webhook_url, data=json.dumps(update), headers=headers
                    ) as response:
                        bot.webhook_answers.append(response.status)
                        ok = 200 <= response.status < 300
                except aiohttp.ClientError:
                    ok = False
                if ok and bot.updates and bot.updates[0] is update:
                    bot.updates.pop(0)
                    bot.delivered_upto = max(bot.delivered_upto, update["update_id"])
                    bot.handed_out += 1
                    await self._notify()
                elif not ok:
                    await asyncio.sleep(0.2)  # Telegram retries a failed delivery later

    async def _m_getwebhookinfo(self, bot: BotState, params: Params) -> Any:
        return {
            "url": bot.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(bot.updates),
        }

    async def _m_setmycommands(self, bot: BotState, params: Params) -> Any:
        commands = params.json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands must be a list of at most 100 BotCommand")
        for command in commands:
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        bot.commands = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _m_getmycommands(self, bot: BotState, params: Params) -> Any:
        return bot.commands

    async def _m_deletemycommands(self, bot: BotState, params: Params) -> Any:
        bot.commands = []
        return True

    async def _m_setmydescription(self, bot: BotState, params: Params) -> Any:
        description = params.str("description", "") or ""
        if len(description) > 512:
            raise bad_request("BOT_DESCRIPTION_INVALID")
        bot.description = description
        return True

    async def _m_getmydescription(self, bot: BotState, params: Params) -> Any:
        return {"description": bot.description}

    async def _m_setmyshortdescription(self, bot: BotState, params: Params) -> Any:
        description = params.str("short_description", "") or ""
        if len(description) > 120:
            raise bad_request("BOT_SHORT_DESCRIPTION_INVALID")
        bot.short_description = description
        return True

    async def _m_getmyshortdescription(self, bot: BotState, params: Params) -> Any:
        return {"short_description": bot.short_description}

    async def _m_sendchataction(self, bot: BotState, params: Params) -> Any:
        self._chat_for_send(bot, params)
        return True

    async def _m_sendmessage(self, bot: BotState, params: Params) -> Any:
        chat = self._chat_for_send(bot, params)
        parsed = self._text(params)
        assert parsed is not None
        markup = self._markup(params)
        message = chat.add(
            from_bot=True,
            text=parsed[0],
            entities=parsed[1],
            reply_markup=markup,
            disable_notification=params.bool("disable_notification"),
        )
        self._keyboard(chat, markup)
        self._record(chat, "bot", message)
        return self.message_dict(bot, chat, message)

    async def _m_editmessagetext(self, bot: BotState, params: Params) -> Any:
        chat, message = self._chat_for_edit(bot, params)
        parsed = self._text(params)
        assert parsed is not None
        markup = self._markup(params, inline_only=True)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        if (
            parsed[0] == message.text
            and parsed[1] == message.entities
            and markup == message.reply_markup
        ):
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        # Like Telegram: an edit without reply_markup removes the inline keyboard.
        message.text, message.entities, message.reply_markup = parsed[0], parsed[1], markup
        message.edits += 1
        message.edit_date = int(time.time())
        self._record(chat, "edit", message)
        return self.message_dict(bot, chat, message)

    async def _m_editmessagereplymarkup(self, bot: BotState, params: Params) -> Any:
        chat, message = self._chat_for_edit(bot, params)
        markup = self._markup(params, inline_only=True)
        if markup == message.reply_markup or (not markup and not message.inline_rows):
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        message.reply_markup = markup
        message.edits += 1
        message.edit_date = int(time.time())
        self._record(chat, "edit", message)
        return self.message_dict(bot, chat, message)

    async def _m_editmessagecaption(self, bot: BotState, params: Params) -> Any:
        chat, message = self._chat_for_edit(bot, params)
        parsed = self._text(params, "caption", MAX_CAPTION, required=False)
        markup = self._markup(params, inline_only=True)
        message.caption = parsed[0] if parsed else None
        message.reply_markup = markup
        message.edits += 1
        self._record(chat, "edit", message)
        return self.message_dict(bot, chat, message)

    async def _m_deletemessage(self, bot: BotState, params: Params) -> Any:
        chat = self._chat_for_send(bot, params)
        message = chat.find(params.int("message_id") or 0)
        if message is None:
            raise bad_request("message to delete not found")
        message.deleted = True
        return True

    async def _m_answercallbackquery(self, bot: BotState, params: Params) -> Any:
        query = bot.queries.get(params.str("callback_query_id") or "")
        if query is None or query.answered.done():
            raise bad_request(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        text = params.str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered.set_result((text, params.bool("show_alert")))
        user = self.users.get(query.user_id)
        if user is not None:
            self.transcript.append(
                TranscriptLine(time.monotonic(), user.first_name, "answer", text or "")
            )
        return True

    async def _upload(self, bot: BotState, params: Params, field_name: str) -> str:
        value = params.values.get(field_name)
        if value is None or value == "":
            raise bad_request(f"there is no {field_name} in the request")
        if isinstance(value, str):
            if value in bot.files:
                return value
            raise bad_request("wrong file identifier/HTTP URL specified")
        data: bytes = value.file.read()
        if not data:
            raise bad_request("file must be non-empty")
        # A multipart/form-data file part, as Telegram takes uploads: (field, filename, type).
        self.uploads.append((field_name, value.filename, value.content_type))
        file_id = f"{field_name}-{secrets.token_urlsafe(16)}"
        bot.files[file_id] = data
        return file_id

    async def _m_sendphoto(self, bot: BotState, params: Params) -> Any:
        chat = self._chat_for_send(bot, params)
        file_id = await self._upload(bot, params, "photo")
        data = bot.files[file_id]
        if not data.startswith(b"\x89PNG\r\n\x1a\n") and not data.startswith(b"\xff\xd8\xff"):
            raise bad_request("IMAGE_PROCESS_FAILED")
        caption = self._text(params, "caption", MAX_CAPTION, required=False)
        markup = self._markup(params)
        message = chat.add(
            from_bot=True,
            photo=file_id,
            caption=caption[0] if caption else None,
            reply_markup=markup,
            disable_notification=params.bool("disable_notification"),
        )
        self._record(chat, "bot", message)
        return self.message_dict(bot, chat, message)

    async def _m_senddocument(self, bot: BotState, params: Params) -> Any:
        chat = self._chat_for_send(bot, params)
        file_id = await self._upload(bot, params, "document")
        caption = self._text(params, "caption", MAX_CAPTION, required=False)
        markup = self._markup(params)
        message = chat.add(
            from_bot=True,
            document=file_id,
            caption=caption[0] if caption else None,
            reply_markup=markup,
            disable_notification=params.bool("disable_notification"),
        )
        self._record(chat, "bot", message)
        return self.message_dict(bot, chat, message)

    async def _by_file_id(self, bot: BotState, params: Params, field_name: str) -> str:
        """A file Telegram already has, named by its file_id (the bot sends a person's recording
        back by its id): an unknown id is refused as Telegram refuses it."""
        value = params.values.get(field_name)
        if not isinstance(value, str) or not value:
            raise bad_request(f"there is no {field_name} in the request")
        if value not in bot.files:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return value

    async def _m_sendvoice(self, bot: BotState, params: Params) -> Any:
        chat = self._chat_for_send(bot, params)
        file_id = await self._by_file_id(bot, params, "voice")
        caption = self._text(params, "caption", MAX_CAPTION, required=False)
        markup = self._markup(params)
        message = chat.add(
            from_bot=True,
            voice=file_id,
            duration=bot.durations.get(file_id, 0),
            caption=caption[0] if caption else None,
            reply_markup=markup,
            disable_notification=params.bool("disable_notification"),
        )
        self._record(chat, "bot", message)
        return self.message_dict(bot, chat, message)

    async def _m_sendvideonote(self, bot: BotState, params: Params) -> Any:
        chat = self._chat_for_send(bot, params)
        file_id = await self._by_file_id(bot, params, "video_note")
        if params.has("caption"):
            # Telegram would ignore it, and the words would silently be lost
            raise bad_request("video notes can't have a caption")
        markup = self._markup(params)
        message = chat.add(
            from_bot=True,
            video_note=file_id,
            duration=bot.durations.get(file_id, 0),
            reply_markup=markup,
            disable_notification=params.bool("disable_notification"),
        )
        self._record(chat, "bot", message)
        return self.message_dict(bot, chat, message)

    async def _m_getfile(self, bot: BotState, params: Params) -> Any:
        file_id = params.str("file_id") or ""
        if file_id not in bot.files:
            raise bad_request("invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": file_id[-12:],
            "file_size": len(bot.files[file_id]),
            "file_path": file_id,
        }

    # --- what simulated people do ---------------------------------------------------------

    def command_entities(self, text: str) -> list[dict[str, Any]]:
        entities = []
        for match in _COMMAND.finditer(text):
            entities.append(
                {
                    "type": "bot_command",
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group(0)),
                }
            )
        return entities

    def new_query_id(self) -> str:
        return f"{next(self._query_ids)}{secrets.randbelow(10**9):09d}"
