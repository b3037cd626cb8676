"""Sends one outbox row, exactly as the row says, and records what happened.

Claiming: the row is moved pending → sending (with a lease) in a committed transaction right
before the HTTP call, under a row lock (FOR UPDATE on PostgreSQL, IMMEDIATE transactions on
SQLite), so two dispatchers — or two replicas — never send the same row. A row left in `sending`
by a crash is never resent: it may already be on the recipient's screen (docs/delivery.md)."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection
from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove
from telegram.error import RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot import keyboards, texts
from bot.clock import Clock
from bot.db import Database
from bot.db.models import Delivery, Person
from bot.delivery.errors import Failure, classify, retry_after
from bot.delivery.limiter import PREPAID, ResilientRateLimiter
from bot.services import outbox, quiet, reach

log = logging.getLogger(__name__)

PENDING, SENDING, SENT = "pending", "sending", "sent"
FAILED, SKIPPED, UNCERTAIN = "failed", "skipped", "uncertain"

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(minutes=5)


@dataclass(frozen=True)
class Claimed:
    id: int
    chat_id: int
    payload: dict[str, Any]


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """1 s, 2 s, 4 s … capped at 5 minutes, with jitter so retries do not arrive in lockstep."""
    seconds = min(2 ** max(attempts - 1, 0), MAX_BACKOFF.total_seconds())
    return timedelta(seconds=seconds * (0.75 + rng.random() / 2))


def markup(
    payload: dict[str, Any],
) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None:
    if payload.get("buttons"):
        return keyboards.inline(payload["buttons"])
    if payload.get("keyboard") == "paired":
        return keyboards.paired_keyboard()
    if payload.get("keyboard") == "remove":
        return keyboards.no_keyboard()
    return None


class Sender:
    def __init__(
        self, bot: ExtBot[Any], db: Database, clock: Clock, node: str, limiter: ResilientRateLimiter
    ) -> None:
        self._bot = bot
        self._limiter = limiter
        self._db = db
        self._clock = clock
        self._node = node
        self._rng = random.Random()

    async def deliver(self, delivery_id: int) -> str:
        """Send the row if it is still pending and due; returns its status afterwards.

        In order: the rate budget; the checks (expired? quiet hours?); then the claim — one
        conditional UPDATE, committed on a connection that stays checked out — and at once the
        HTTP call. Nothing waits between the claim and the request leaving the process, which
        is the only moment a crash could lose a message (docs/delivery.md)."""
        await self._limiter.reserve()
        checked = await self._check(delivery_id)
        if isinstance(checked, str):
            return checked
        async with self._db.engine.connect() as connection:
            claimed = await self._claim(connection, delivery_id, checked)
            if claimed is None:
                return SKIPPED
            try:
                message = await self._bot.send_message(
                    chat_id=claimed.chat_id,
                    text=claimed.payload["text"],
                    reply_markup=markup(claimed.payload),
                    disable_notification=bool(claimed.payload.get("silent", False)),
                    rate_limit_args=PREPAID,
                )
            except TelegramError as exc:
                failure: TelegramError | None = exc
            else:
                failure = None
        if failure is not None:
            return await self._record_failure(claimed, failure)
        async with self._db.transaction() as session:
            await session.execute(
                update(Delivery)
                .where(Delivery.id == claimed.id)
                .values(
                    status=SENT,
                    sent_at=self._clock.now(),
                    message_id=message.message_id,
                    payload=None,
                    claimed_until=None,
                )
            )
        return SENT

    async def _check(self, delivery_id: int) -> bool | str:
        """Whether the row may go now (True: with sound, False: silently), or its status if not:
        expired rows are skipped, rituals in the recipient's quiet hours wait for their end."""
        now = self._clock.now()
        async with self._db.transaction() as session:
            row = await session.get(
                Delivery, delivery_id, with_for_update=True, populate_existing=True
            )
            if row is None:
                return SKIPPED
            if row.status != PENDING or row.due_at > now:
                return row.status
            if row.expires_at is not None and now > row.expires_at:
                row.status = SKIPPED
                row.payload = None
                return SKIPPED
            recipient = await session.get(Person, row.recipient_id)
            if recipient is None or not quiet.quiet_now(recipient, now):
                return True
            if row.ritual_id is None:
                return False  # relayed messages still arrive in quiet hours, without sound
            until = quiet.quiet_until(recipient, now)
            if until is not None and (row.expires_at is None or until <= row.expires_at):
                row.due_at = until  # rituals never arrive in quiet hours: they wait
                return PENDING
            row.status = SKIPPED
            row.payload = None
            return SKIPPED

    async def _claim(
        self, connection: AsyncConnection, delivery_id: int, with_sound: bool
    ) -> Claimed | None:
        """pending → sending, only if still pending: two dispatchers, or two replicas, cannot
        both win. Committed before returning; the connection stays checked out."""
        now = self._clock.now()
        async with connection.begin():
            row = (
                await connection.execute(
                    update(Delivery)
                    .where(Delivery.id == delivery_id, Delivery.status == PENDING)
                    .values(
                        status=SENDING,
                        attempts=Delivery.attempts + 1,
                        claimed_by=self._node,
                        claimed_until=now + LEASE,
                    )
                    .returning(Delivery.chat_id, Delivery.payload)
                )
            ).first()
        if row is None:
            return None
        payload = dict(row.payload or {}) | ({} if with_sound else {"silent": True})
        return Claimed(delivery_id, row.chat_id, payload)

    async def _record_failure(self, claimed: Claimed, exc: TelegramError) -> str:
        failure = classify(exc)
        now = self._clock.now()
        log.warning("delivery %s failed: %s (%s)", claimed.id, failure.value, type(exc).__name__)
        async with self._db.transaction() as session:
            row = await session.get(Delivery, claimed.id, with_for_update=True)
            if row is None:
                return SKIPPED
            row.claimed_until = None
            row.error = f"{type(exc).__name__}: {exc}"[:200]
            if failure in (Failure.RETRY, Failure.RATE_LIMITED):
                if isinstance(exc, RetryAfter):
                    wait = retry_after(exc)
                    self._limiter.pause(wait)  # Telegram's pause holds every call
                else:
                    wait = backoff(row.attempts, self._rng)
                retry_at = now + wait
                if row.attempts < MAX_ATTEMPTS and (
                    row.expires_at is None or retry_at <= row.expires_at
                ):
                    row.status = PENDING
                    row.due_at = retry_at
                    return PENDING
                failure = Failure.REJECTED
            if failure is Failure.AMBIGUOUS:
                row.status = UNCERTAIN
                row.payload = None
                return UNCERTAIN
            row.status = FAILED
            row.payload = None
            if failure is Failure.UNREACHABLE:
                recipient = await session.get(Person, row.recipient_id)
                if recipient is not None:
                    await reach.unreachable(session, recipient, now)
            await self._tell_sender(session, row, failure, now)
            return FAILED

    async def _tell_sender(
        self, session: Any, row: Delivery, failure: Failure, now: datetime
    ) -> None:
        """A relayed message that cannot arrive: its sender hears so, instead of silence."""
        if row.sender_id is None or row.sender_id == row.recipient_id:
            return
        sender = await session.get(Person, row.sender_id)
        recipient = await session.get(Person, row.recipient_id)
        if sender is None or recipient is None:
            return
        text = (
            texts.could_not_reach(recipient.first_name)
            if failure is Failure.UNREACHABLE
            else texts.could_not_deliver(recipient.first_name)
        )
        await outbox.enqueue(
            session,
            key=f"undelivered:{row.id}",
            recipient=sender,
            kind="undelivered",
            text=text,
            now=now,
        )
