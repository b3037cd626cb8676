"""Building and running the bot. `serve()` is the one way Steady runs: `python -m bot`, the tests
and `make demo` all go through it.

It follows the order of PTB's own `run_polling` (initialize → post_init → start polling → start
→ … → stop polling → stop → shutdown), written out so that the caller owns the event loop and
the stop signal — which is what lets tests run the real bot in-process with a controlled clock."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from telegram import BotCommand, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ExtBot,
    JobQueue,
    TypeHandler,
    Updater,
)
from telegram.request import HTTPXRequest
from tornado.httpserver import HTTPServer

from bot import handlers, metrics, texts
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import Database, migrate, rotate
from bot.db.engine import is_sqlite
from bot.db.models import Person
from bot.delivery.journal import Journal, JournalTransport
from bot.delivery.limiter import WINDOW, Outbox, RateLimiter
from bot.delivery.sender import Drawn, Sender
from bot.runtime import CONTEXT_TYPES, Context, Runtime
from bot.services import insights
from bot.updates import PerPersonUpdateProcessor
from jobs.breathing import Breathing
from jobs.dispatcher import CONCURRENCY as DELIVERY_LANES
from jobs.dispatcher import Dispatcher
from jobs.leader import Leadership
from jobs.upkeep import Upkeep

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]
POLL_TIMEOUT = 30  # seconds a getUpdates long poll may wait
STARTUP_ATTEMPTS = 3  # getMe tries (1 s, then 2 s apart) before giving up

App = Application[
    ExtBot[Outbox], Context, dict[Any, Any], dict[Any, Any], Runtime, JobQueue[Context]
]


class StartupError(Exception):
    """Steady could not start; the message is one sentence for the person running it."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# Telegram's CA certificates, read once per process and shared by every HTTP client (each would
# otherwise read the whole bundle again: about a tenth of a second apiece).
tls = functools.cache(httpx.create_ssl_context)


def _request(settings: Settings, pool: int, **httpx_kwargs: Any) -> HTTPXRequest:
    return HTTPXRequest(
        connection_pool_size=pool,
        connect_timeout=10,
        read_timeout=settings.telegram_read_timeout,
        write_timeout=15,
        pool_timeout=5,
        httpx_kwargs={"verify": tls()} | httpx_kwargs,
    )


def build_application(settings: Settings, token: str, db: Database, clock: Clock) -> App:
    limiter = RateLimiter(settings.telegram_rate_limit)
    updates = PerPersonUpdateProcessor()
    app: App = (
        ApplicationBuilder()
        .context_types(CONTEXT_TYPES)
        .job_queue(JobQueue[Context]())
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_file_url)
        .rate_limiter(limiter)
        .concurrent_updates(updates)
        .request(_request(settings, 32))
        .get_updates_request(_request(settings, 1))
        .post_init(_on_startup)
        .build()
    )
    rt = app.bot_data
    rt.settings, rt.db, rt.clock, rt.updates = settings, db, clock, updates
    handlers.register(app)
    app.add_handler(TypeHandler(Update, functools.partial(_count_update, rt)), group=-2)
    assert app.job_queue is not None, "python-telegram-bot[job-queue] is required"
    # The delivery path has a bot of its own with a small connection pool, one connection per
    # lane: replies to people's taps never wait behind a burst, and a burst does not pay for a
    # large pool on every request. Its transport notes in the journal each claimed request
    # that has left the process.
    rt.journal = Journal(settings.journal_dir, rt.node)  # opened in serve(), after getMe
    pool = DELIVERY_LANES + 1
    transport = JournalTransport(
        rt.journal, verify=tls(), limits=httpx.Limits(max_connections=pool)
    )
    delivery_bot = ExtBot(
        token,
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_api_file_url,
        rate_limiter=limiter,
        request=_request(settings, pool, transport=transport),
    )
    rt.delivery_bot = delivery_bot
    sender = Sender(delivery_bot, rt.db, rt.clock, rt.node, limiter, rt.journal, rt.metrics)
    sender.renderers["insights"] = functools.partial(_draw_insights, rt)
    dispatcher = Dispatcher(rt.db, sender, limiter, rt.clock, app.job_queue, metrics=rt.metrics)
    rt.dispatcher = dispatcher
    rt.db.after_due_change = rt.wake_dispatcher

    def lead() -> None:
        if not is_sqlite(settings.database_url):
            # Telegram counts the bot's messages, not this process's: the leader before this
            # one, stopped or killed a moment ago, may have used the last second's budget.
            limiter.budget.spent(WINDOW)
        dispatcher.start()

    rt.leadership = Leadership(
        settings.database_url,
        on_elected=lead,
        on_deposed=dispatcher.stop,
        on_due=rt.wake_dispatcher,
    )
    rt.breathing = Breathing(app.job_queue, db, clock, settings, rt.rng)
    rt.upkeep = Upkeep(db, clock)
    return app


async def _count_update(rt: Runtime, update: object, _context: object) -> None:
    rt.metrics.updates.labels(metrics.update_kind(update)).inc()


def _serve_metrics(rt: Runtime) -> HTTPServer | None:
    address = rt.settings.metrics_address
    if address is None:
        return None

    async def database() -> bool:
        async with rt.db.transaction() as session:
            return bool(await session.scalar(text("SELECT 1")) == 1)

    async def dispatcher() -> bool:
        """Sending scheduled work, or standing by to take it over."""
        if not rt.leadership.leading:
            return rt.leadership.standing
        return rt.dispatcher.alive

    try:
        return metrics.serve(rt.metrics, {"database": database, "dispatcher": dispatcher}, *address)
    except OSError as exc:
        listen = rt.settings.metrics_listen or ""
        raise StartupError(texts.cannot_serve_metrics(listen, type(exc).__name__), 1) from exc


def _open_journal(journal: Journal) -> None:
    """Without its journal (a read-only disk), a crash mid-send leaves this process's claims
    `uncertain`: never sent twice, possibly not at all."""
    try:
        journal.open()
    except OSError as exc:
        log.warning(
            "no delivery journal in %s (%s): a crash may lose a message being sent",
            journal.directory,
            type(exc).__name__,
        )


async def _on_startup(app: App) -> None:
    """The command menu and the bot's description, as /help and the README describe them."""
    rt = app.bot_data
    rt.bot_username = app.bot.username
    try:
        await app.bot.set_my_commands([BotCommand(name, text) for name, text in texts.COMMANDS])
        await app.bot.set_my_description(texts.BOT_DESCRIPTION)
        await app.bot.set_my_short_description(texts.BOT_SHORT_DESCRIPTION)
    except TelegramError as exc:  # cosmetic; the bot works without them
        log.warning("could not set the command menu or description: %s", exc)


async def _initialize(app: App) -> None:
    """getMe, retried while the network is the problem; a rejected token is final."""
    for attempt in range(STARTUP_ATTEMPTS):
        try:
            await app.initialize()
            return
        except InvalidToken as exc:
            raise StartupError(texts.REJECTED_TOKEN, 2) from exc
        except NetworkError as exc:
            if attempt == STARTUP_ATTEMPTS - 1:
                base = app.bot.base_url.split("/bot")[0]
                raise StartupError(texts.api_unreachable(base, type(exc).__name__), 1) from exc
            await asyncio.sleep(2**attempt)


def safe_url(url: str) -> str:
    """The database URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


async def serve(
    settings: Settings,
    *,
    clock: Clock | None = None,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[Runtime], None] | None = None,
    poll_timeout: int = POLL_TIMEOUT,
) -> None:
    """Check the token with Telegram, migrate, start, run until `stop` is set, then shut down
    gracefully: stop taking updates, finish the ones being handled and the deliveries in
    flight, close the database."""
    token = settings.require_token()
    settings.require_webhook_secret()
    settings.configure_encryption()
    db = Database(settings.database_url)
    app = build_application(settings, token, db, clock or SystemClock())
    rt = app.bot_data
    stop = stop or asyncio.Event()
    updater = app.updater
    assert updater is not None
    started = False
    observer: HTTPServer | None = None
    try:
        await _initialize(app)  # getMe: a rejected token stops here, before anything else
        await rt.delivery_bot.initialize()
        await _migrate(settings.database_url)
        _open_journal(rt.journal)
        if not await rotate.keys_open_everything(db):
            raise StartupError(texts.DATA_KEY_NEEDED, 2)
        if app.post_init:
            await app.post_init(app)
        observer = _serve_metrics(rt)  # /healthz says "not ready" until the dispatcher runs
        if settings.webhook_url is not None:
            await _start_webhook(updater, settings)
        else:
            await updater.start_polling(
                poll_interval=0,
                timeout=poll_timeout,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )
        await app.start()
        started = True
        rt.leadership.start()
        rt.upkeep.start()
        log.info("Steady is running as @%s", rt.bot_username)
        if on_ready is not None:
            on_ready(rt)
        await stop.wait()
    finally:
        if started:
            log.info("Steady is stopping")
        if updater.running:
            await updater.stop()
        if observer is not None:
            observer.stop()
        await rt.upkeep.stop()
        await rt.leadership.stop()
        rt.dispatcher.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        await rt.delivery_bot.shutdown()
        rt.journal.close()
        await db.dispose()
        if started:
            log.info("Steady stopped")


async def _start_webhook(updater: Updater, settings: Settings) -> None:
    """PTB's webhook server on WEBHOOK_LISTEN, at WEBHOOK_URL's path (so a reverse proxy can
    forward the same path), with setWebhook. PTB answers 403 to a request whose
    X-Telegram-Bot-Api-Secret-Token header is missing or wrong, before it becomes an update."""
    assert settings.webhook_url is not None
    host, port = settings.listen_address
    try:
        await updater.start_webhook(
            listen=host,
            port=port,
            url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=settings.require_webhook_secret(),
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
            bootstrap_retries=3,
        )
    except OSError as exc:
        raise StartupError(
            texts.cannot_listen(settings.webhook_listen, type(exc).__name__), 1
        ) from exc
    except TelegramError as exc:  # e.g. Telegram refuses the URL
        raise StartupError(texts.webhook_refused(exc.message), 1) from exc


async def _draw_insights(rt: Runtime, spec: dict[str, Any]) -> Drawn:
    """The weekly picture for a digest and its sentence, drawn as it is sent (Sender.renderers):
    the talk that brings it counts."""
    async with rt.db.transaction() as session:
        person = await session.get(Person, int(spec["person"]))
        picture = await insights.gather(session, person, rt.clock.now()) if person else None
    if picture is None:
        raise LookupError("no couple to draw")
    return Drawn(await insights.render(picture), texts.picture_caption(picture.summary))


async def _migrate(url: str) -> None:
    try:
        await migrate.upgrade(url)
    except (SQLAlchemyError, OSError) as exc:
        raise StartupError(
            texts.database_unreachable(safe_url(url), type(exc).__name__), 1
        ) from exc
