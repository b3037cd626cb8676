"""Sends outbox rows, exactly as the rows say, and records what happened.

Rows go in groups: one transaction checks every row of the group (expired? a ritual in the
recipient's quiet hours?) and claims the ones that may go now — pending → sending, with a lease,
only if still pending, so two dispatchers or two replicas never send the same row. Then each
claimed request goes out in turn, taking its turn in Telegram's budget the moment before it
leaves (bot/delivery/limiter.py); one more transaction records the results. A claimed row whose
request never left (the process died first) is sent again, once, by the next process — the
delivery journal tells; a row whose request left may already be on the recipient's screen and
is never sent again (docs/delivery.md).

Under Telegram's rate limit a group is one row; with the limit off (a self-hosted Bot API
server) a burst forms larger ones, which keeps the database work per message small."""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from telegram import InlineKeyboardMarkup, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove
from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot import keyboards, texts
from bot.clock import Clock
from bot.db import Database
from bot.db.base import table_of
from bot.db.engine import DUE_CHANGED
from bot.db.models import Delivery, Person
from bot.delivery import journal
from bot.delivery.errors import Failure, classify, retry_after
from bot.delivery.limiter import Outbox, RateLimiter
from bot.metrics import LATE_AFTER, Metrics
from bot.services import outbox, quiet, reach
from bot.services.outbox import Priority

log = logging.getLogger(__name__)

PENDING, SENDING, SENT = "pending", "sending", "sent"
FAILED, SKIPPED, UNCERTAIN = "failed", "skipped", "uncertain"

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(minutes=5)
JOURNAL_BYTES = 1 << 20  # compact this process's delivery journal past this size


@dataclass(frozen=True)
class Drawn:
    """A picture drawn at send time, and the caption drawn from the same data (None keeps the
    row's own words)."""

    picture: bytes
    caption: str | None = None


Renderer = Callable[[dict[str, Any]], Awaitable[Drawn]]


@dataclass(frozen=True)
class Claimed:
    id: int
    chat_id: int
    payload: dict[str, Any]
    attempt: int
    kind: str
    due_at: datetime
    created_at: datetime


def _recipients(column: Any) -> Any:
    """The row's recipient's `column`, read back with the claim."""
    return select(column).where(Person.id == Delivery.recipient_id).scalar_subquery()


# The claim: due rows of a group still pending become this process's, read back with what the
# checks need (bot/delivery/sender.py: Sender._verdict) — one statement.
_CLAIM = (
    update(Delivery)
    .where(
        Delivery.id.in_(bindparam("ids", expanding=True)),
        Delivery.status == PENDING,
        Delivery.due_at <= bindparam("now"),
    )
    .values(
        status=SENDING,
        attempts=Delivery.attempts + 1,
        claimed_by=bindparam("node"),
        claimed_until=bindparam("until"),
    )
    .returning(
        Delivery.id,
        Delivery.chat_id,
        Delivery.payload,
        Delivery.attempts,
        Delivery.kind,
        Delivery.due_at,
        Delivery.created_at,
        Delivery.expires_at,
        Delivery.ritual_id,
        Delivery.sender_id,
        Delivery.recipient_id,
        _recipients(Person.timezone).label("timezone"),
        _recipients(Person.quiet_start).label("quiet_start"),
        _recipients(Person.quiet_end).label("quiet_end"),
        _recipients(Person.paused_until).label("paused_until"),
    )
)
# A claimed row that must wait goes back as it was, due later.
_GIVE_BACK = (
    update(Delivery)
    .where(Delivery.id == bindparam("row"))
    .values(status=PENDING, attempts=Delivery.attempts - 1, claimed_by=None, claimed_until=None)
)


@dataclass(frozen=True)
class Send:
    silent: bool


@dataclass(frozen=True)
class Hold:
    until: datetime
    expires_at: datetime | None = None  # a new grace, counted from `until`


@dataclass(frozen=True)
class Skip:
    pass


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


def _from_partner(row: Any) -> bool:
    """Sent on the partner's behalf (outbox.tell_partner): replies, notes, notices, shares."""
    return row.sender_id is not None and row.sender_id != row.recipient_id


# A request made with a tap (💛): nothing the person wrote is lost if it cannot arrive, so the
# sender is told the partner could not be reached, not that "your message" did not arrive.
REQUEST_KINDS = frozenset({"reassure_asked"})

# Scheduled like a ritual, though not one: waits out a pause and quiet hours as rituals do.
SCHEDULED_KINDS = frozenset({"date_reminder"})


def _scheduled(row: Any) -> bool:
    return row.ritual_id is not None or row.kind in SCHEDULED_KINDS


def _held_by_pause(row: Any, now: datetime) -> bool:
    """During a pause, the person's rituals wait for its end, and everything sent on their
    partner's behalf waits until the pause has been settled at its end (bot/services/pause.py:
    it then arrives as one bundle) — so nothing held slips out on its own in between. The agreed
    words and the bot's own answers to the person are never held."""
    if row.paused_until is None:
        return False
    return _from_partner(row) or (_scheduled(row) and row.paused_until > now)


def _claimed(delivery_id: int, row: Any, silent: bool) -> Claimed:
    payload = dict(row.payload or {}) | ({"silent": True} if silent else {})
    return Claimed(
        delivery_id, row.chat_id, payload, row.attempts, row.kind, row.due_at, row.created_at
    )


class Sender:
    def __init__(
        self,
        bot: ExtBot[Outbox],
        db: Database,
        clock: Clock,
        node: str,
        limiter: RateLimiter,
        requests: journal.Journal | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._bot = bot
        self._metrics = metrics or Metrics()
        self._journal = requests
        self._in_flight = 0  # claims made and not yet recorded
        self._limiter = limiter
        self._db = db
        self._clock = clock
        self.node = node
        self._rng = random.Random()
        # kind → draws a picture for a payload's "render" (bot/app.py registers them).
        self.renderers: dict[str, Renderer] = {}

    async def deliver(self, ids: list[int], priority: Priority = Priority.QUEUED) -> dict[int, str]:
        """Check, claim, send and record a group of rows, each request taking its turn in
        Telegram's budget at `priority`. Returns each row's status afterwards (pending: it
        waits, e.g. for quiet hours to end)."""
        statuses: dict[int, str] = dict.fromkeys(ids, SKIPPED)
        self._in_flight += 1
        try:
            outcomes = await self._claim_and_send(ids, statuses, priority)
            await self._record(outcomes, statuses, self._clock.now())
        finally:
            self._in_flight -= 1
        await self._compact_journal()
        return statuses

    async def _record(
        self,
        outcomes: list[tuple[Claimed, Message | TelegramError]],
        statuses: dict[int, str],
        sent_at: datetime,
    ) -> None:
        sent: dict[int, Message] = {}
        claims: dict[int, Claimed] = {}
        for claimed, result in outcomes:
            if isinstance(result, Message):
                sent[claimed.id] = result
                claims[claimed.id] = claimed
            else:
                statuses[claimed.id] = status = await self._record_failure(claimed, result)
                self._metrics.deliveries.labels("retry" if status == PENDING else status).inc()
        if sent:
            await self._record_sent(sent, sent_at)
            statuses.update(dict.fromkeys(sent, SENT))
            self._count_sent([claims[i] for i in sent], sent_at)

    def _count_sent(self, claimed: list[Claimed], now: datetime) -> None:
        for claim in claimed:
            self._metrics.deliveries.labels("sent").inc()
            if (now - claim.due_at).total_seconds() > LATE_AFTER:
                self._metrics.deliveries.labels("late").inc()
            if claim.kind == "reassure_words":  # written at the tap, so this is tap → words
                self._metrics.relay_latency.observe((now - claim.created_at).total_seconds())

    async def settle_orphans(self) -> None:
        """Rows claimed by a process on this machine that is gone (its journal is unlocked):
        those whose request left it may have arrived and become `uncertain`; the rest never
        left and go back to `pending`, to be sent once."""
        if self._journal is None or not self._journal.is_open:
            return
        found = journal.orphans(self._journal.directory, self._journal.path)
        if not found:
            return
        try:
            async with self._db.writing() as connection:
                for orphan in found:
                    await self._settle(connection, orphan)
        except BaseException:
            journal.release(found)
            raise
        for orphan in found:
            orphan.forget()

    async def _settle(self, connection: AsyncConnection, orphan: journal.Orphan) -> None:
        rows = await connection.execute(
            select(Delivery.id, Delivery.attempts).where(
                Delivery.status == SENDING, Delivery.claimed_by == orphan.node
            )
        )
        arrived: list[int] = []
        never_left: list[int] = []
        for row in rows:
            (arrived if (row.id, row.attempts) in orphan.left else never_left).append(row.id)
        if arrived:
            self._metrics.deliveries.labels(UNCERTAIN).inc(len(arrived))
            await connection.execute(
                update(Delivery)
                .where(Delivery.id.in_(arrived), Delivery.status == SENDING)
                .values(status=UNCERTAIN, payload=None, claimed_until=None)
            )
        if never_left:
            await connection.execute(
                update(Delivery)
                .where(Delivery.id.in_(never_left), Delivery.status == SENDING)
                .values(status=PENDING, claimed_by=None, claimed_until=None)
            )
            log.info(
                "%d message(s) a stopped process had claimed but not sent: sending them",
                len(never_left),
            )

    async def _compact_journal(self) -> None:
        """Empty this process's journal now and then, at a moment none of its claims is
        unsettled (the lines only matter while a row is `sending`)."""
        if self._journal is None or self._in_flight or self._journal.size() < JOURNAL_BYTES:
            return
        async with self._db.transaction() as session:
            mine = await session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status == SENDING, Delivery.claimed_by == self.node)
            )
        if not mine and not self._in_flight:
            self._journal.truncate()

    def _verdict(self, row: Any, now: datetime) -> Send | Hold | Skip:
        """What a claimed row may do now: go (silently, in the recipient's quiet hours, if it is
        relayed), wait (a ritual for the end of quiet hours, anything for the end of the
        recipient's pause — within its grace), or be skipped (past its grace)."""
        if row.expires_at is not None and now > row.expires_at:
            return Skip()
        if _held_by_pause(row, now):
            until = max(row.paused_until, now)
            if _from_partner(row):  # a partner's message waits as long as the pause does
                return Hold(until, until + outbox.RELAY_GRACE)
            return Hold(until) if row.expires_at is None or until <= row.expires_at else Skip()
        window = (row.quiet_start, row.quiet_end, row.timezone)
        if not quiet.in_window(now, *window):
            return Send(silent=False)
        if not _scheduled(row):
            return Send(silent=True)  # relayed messages arrive without sound
        until = quiet.window_ends(now, *window)
        if until is not None and (row.expires_at is None or until <= row.expires_at):
            return Hold(until)  # rituals never arrive in quiet hours: they wait for their end
        return Skip()

    async def _claim(
        self, connection: AsyncConnection, ids: list[int], statuses: dict[int, str]
    ) -> list[Claimed]:
        """Claim the rows of a group that are due — pending → sending, only if still pending
        (two dispatchers, or two replicas, cannot both win) — and, in the same transaction, give
        back those that must wait or are past their grace. (Plain Core: this runs for every
        message, and building ORM objects here costs more than the rest together.)"""
        now = self._clock.now()
        rows = (
            await connection.execute(
                _CLAIM,
                {"ids": ids, "now": now, "node": self.node, "until": now + LEASE},
            )
        ).all()
        claimed: list[Claimed] = []
        skipped: list[int] = []
        for row in rows:
            verdict = self._verdict(row, now)
            if isinstance(verdict, Send):
                claimed.append(_claimed(row.id, row, verdict.silent))
            elif isinstance(verdict, Hold):
                statuses[row.id] = PENDING
                values: dict[str, Any] = {"due_at": verdict.until}
                if verdict.expires_at is not None:
                    values["expires_at"] = verdict.expires_at
                await connection.execute(_GIVE_BACK.values(**values), {"row": row.id})
            else:
                skipped.append(row.id)
        if skipped:
            await connection.execute(
                update(Delivery)
                .where(Delivery.id.in_(skipped))
                .values(status=SKIPPED, payload=None, claimed_by=None, claimed_until=None)
            )
            self._metrics.deliveries.labels(SKIPPED).inc(len(skipped))
        return claimed

    async def _claim_and_send(
        self, ids: list[int], statuses: dict[int, str], priority: Priority
    ) -> list[tuple[Claimed, Message | TelegramError]]:
        """Claim the group in one transaction, then send the claimed rows' requests in order."""
        async with self._db.writing() as connection:
            claimed = await self._claim(connection, ids, statuses)
        return [(c, await self._send(c, Outbox(priority))) for c in claimed]

    async def _send(self, claimed: Claimed, place: Outbox) -> Message | TelegramError:
        payload = claimed.payload
        photo = payload.get("photo")
        drawn = await self._render(payload.get("render"))
        if drawn is not None:
            photo = drawn.picture
            if drawn.caption is not None:
                payload = {**payload, "text": drawn.caption}
        try:
            with journal.sending(claimed.id, claimed.attempt):
                return await self._request(claimed, payload, photo, place)
        except TelegramError as exc:
            return exc

    async def _request(
        self,
        claimed: Claimed,
        payload: dict[str, Any],
        photo: bytes | str | None,
        place: Outbox,
    ) -> Message:
        media = payload.get("media")
        if media is not None:
            return await self._send_media(claimed, payload, media, place)
        if photo is not None:
            return await self._bot.send_photo(
                chat_id=claimed.chat_id,
                photo=photo,
                caption=payload.get("text"),
                reply_markup=markup(payload),
                disable_notification=bool(payload.get("silent", False)),
                rate_limit_args=place,
            )
        return await self._send_text(claimed, payload, place)

    async def _send_text(
        self,
        claimed: Claimed,
        payload: dict[str, Any],
        place: Outbox,
        *,
        text: str | None = None,
        silent: bool | None = None,
    ) -> Message:
        """The row's words (or `text`) as a message, with its buttons."""
        return await self._bot.send_message(
            chat_id=claimed.chat_id,
            text=payload["text"] if text is None else text,
            reply_markup=markup(payload),
            disable_notification=bool(payload.get("silent", False)) if silent is None else silent,
            rate_limit_args=place,
        )

    async def _send_media(
        self, claimed: Claimed, payload: dict[str, Any], media: dict[str, Any], place: Outbox
    ) -> Message:
        """A recording, by the file_id Telegram gave it (nothing is uploaded): a voice message
        with the text as its caption; a video note (which takes no caption) followed by the text
        — with the buttons — as a message of its own."""
        try:
            return await self._send_recording(claimed, payload, media, place)
        except BadRequest as exc:
            if "wrong file identifier" not in exc.message.lower():
                raise
            # Telegram no longer has the recording: the words go, saying so, not nothing.
            log.warning("delivery %s: a recording Telegram no longer has", claimed.id)
            text = f"{payload['text']}\n\n{texts.RECORDING_GONE}"
            return await self._send_text(claimed, payload, place, text=text)

    async def _send_recording(
        self, claimed: Claimed, payload: dict[str, Any], media: dict[str, Any], place: Outbox
    ) -> Message:
        silent = bool(payload.get("silent", False))
        if media.get("kind") == "video_note":
            sent = await self._bot.send_video_note(
                chat_id=claimed.chat_id,
                video_note=str(media["file_id"]),
                disable_notification=silent,
                rate_limit_args=place,
            )
            # Once the recording is out, the row is sent: a failed second request must not
            # make the row go again (the recording would arrive twice) — the line is let go.
            try:
                # one sound for the two
                return await self._send_text(claimed, payload, place, silent=True)
            except TelegramError:
                log.warning("delivery %s: the line after a video note did not go", claimed.id)
                return sent
        return await self._bot.send_voice(
            chat_id=claimed.chat_id,
            voice=str(media["file_id"]),
            caption=payload.get("text"),
            reply_markup=markup(payload),
            disable_notification=silent,
            rate_limit_args=place,
        )

    async def _render(self, spec: dict[str, Any] | None) -> Drawn | None:
        """A picture drawn at send time (the weekly chart), so it and its caption show the data
        as it is when it arrives. If drawing fails, the row's words go without it."""
        if spec is None:
            return None
        renderer = self.renderers.get(str(spec.get("kind")))
        if renderer is None:
            return None
        try:
            return await renderer(spec)
        except Exception:
            log.exception("could not draw %s; sending the words alone", spec.get("kind"))
            return None

    async def _record_sent(self, sent: dict[int, Message], now: datetime) -> None:
        table = table_of(Delivery)
        async with self._db.writing() as connection:
            await connection.execute(
                update(table)
                .where(table.c.id == bindparam("row"))
                .values(
                    status=SENT,
                    sent_at=now,
                    message_id=bindparam("message"),
                    payload=None,
                    claimed_until=None,
                ),
                [{"row": d, "message": m.message_id} for d, m in sent.items()],
            )

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
                    # The limiter holds every call until Telegram's wait is over; the row keeps
                    # its place in due order.
                    retry_at = now + retry_after(exc)
                else:
                    retry_at = now + backoff(row.attempts, self._rng)
                    row.due_at = retry_at
                if row.attempts < MAX_ATTEMPTS and (
                    row.expires_at is None or retry_at <= row.expires_at
                ):
                    row.status = PENDING
                    session.info[DUE_CHANGED] = True
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
        self, session: AsyncSession, row: Delivery, failure: Failure, now: datetime
    ) -> None:
        """A relayed message that cannot arrive: its sender hears so, instead of silence."""
        if row.sender_id is None or row.sender_id == row.recipient_id:
            return
        sender = await session.get(Person, row.sender_id)
        recipient = await session.get(Person, row.recipient_id)
        if sender is None or recipient is None:
            return
        if row.kind in REQUEST_KINDS:  # she asked with a tap and wrote nothing: no "message"
            text = texts.request_not_reached(recipient.first_name)
        elif failure is Failure.UNREACHABLE:
            text = texts.could_not_reach(recipient.first_name)
        else:
            text = texts.could_not_deliver(recipient.first_name)
        await outbox.enqueue(
            session,
            key=f"undelivered:{row.id}",
            recipient=sender,
            kind="undelivered",
            text=text,
            now=now,
        )
