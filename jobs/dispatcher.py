"""Turns due ritual occurrences into outbox rows, sends what is due in the outbox, and sleeps
until the next due instant.

One JobQueue job at a time, scheduled for the earliest pending `due_at` or ritual slot (not a
fixed poll).
Anything that writes to the outbox wakes it; so does a clock jump in tests. Per chat, messages go
out in due order and at least `CHAT_SPACING` apart (Telegram's ≈1 message/s per chat); across
chats, up to `CONCURRENCY` sends are in flight, under the rate limiter's overall budget."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from sqlalchemy import func, select, update
from telegram.ext import ContextTypes, Job, JobQueue

from bot.clock import RUN_HOWEVER_LATE, Clock
from bot.db import Database
from bot.db.models import Delivery
from bot.delivery.limiter import RateLimiter
from bot.delivery.sender import PENDING, SENDING, UNCERTAIN, Sender
from bot.metrics import Metrics
from bot.services import dates, pause, rituals
from bot.services.outbox import Priority

log = logging.getLogger(__name__)

BATCH = 500
MATERIALIZE_BATCH = 200
# Rows claimed together. Under Telegram's rate limit every row is claimed on its own, which keeps
# the moment between a claim and its request as short as it can be; only with the limit off (a
# self-hosted Bot API server) do bursts go in groups, which is what makes them fast (the group is
# then sent in order on one connection: httpcore's cost per request grows with open connections,
# bench/throughput.py).
GROUP_UNLIMITED = 16
CONCURRENCY = 3  # lanes: groups in flight, each sending one request at a time
CHAT_SPACING = 1.0  # seconds between two messages to one chat


# The next instants with work: a row due, a lease running out, a ritual or date slot due, a pause
# ending.
_NEXT = select(
    select(func.min(Delivery.due_at)).where(Delivery.status == PENDING).scalar_subquery(),
    select(func.min(Delivery.claimed_until)).where(Delivery.status == SENDING).scalar_subquery(),
    rituals.NEXT_SLOT,
    dates.NEXT_SLOT,
    pause.NEXT_END,
)


@dataclass(frozen=True)
class Look:
    due: list[tuple[int, int, Priority]]  # (row, chat, priority), to send now
    next: datetime | None  # the next instant there is work
    work_first: bool  # a lease ran out, a ritual slot or a pause's end is due: settle, look again
    lag: float  # seconds the oldest due row has waited


class Dispatcher:
    def __init__(
        self,
        db: Database,
        sender: Sender,
        limiter: RateLimiter,
        clock: Clock,
        job_queue: JobQueue[Any],
        chat_spacing: float = CHAT_SPACING,
        metrics: Metrics | None = None,
    ) -> None:
        self.chat_spacing = chat_spacing
        self._metrics = metrics or Metrics()
        self._started = False
        self._limiter = limiter
        self._group = GROUP_UNLIMITED if limiter.unlimited else 1
        self._db = db
        self._sender = sender
        self._clock = clock
        self._jobs = job_queue
        self._job: Job[Any] | None = None
        self._job_at: datetime | None = None
        self._running = False
        self._again = False
        self._stopping = False
        self._last_sent: dict[int, float] = {}  # chat id → monotonic time of last send
        self._in_hand: set[int] = set()  # rows being sent by send_now, not to be picked here
        self._slots = asyncio.Semaphore(CONCURRENCY)

    @property
    def busy(self) -> bool:
        """Working, or about to: a pass is running or one is planned for an instant now due."""
        planned_now = self._job_at is not None and self._job_at <= self._clock.now()
        return self._running or (self._job is not None and planned_now)

    @property
    def next_look(self) -> datetime | None:
        """When the next look at the outbox is planned (the earliest due instant it knows)."""
        return self._job_at if self._job is not None else None

    @property
    def alive(self) -> bool:
        """Started, not stopping, and its scheduler running: due rows will be looked at."""
        scheduler = self._jobs.scheduler
        return self._started and not self._stopping and bool(scheduler.running)

    def start(self) -> None:
        self._started = True
        self._stopping = False
        self.wake()

    def stop(self) -> None:
        """Take no new rows; sends already in flight finish (the JobQueue waits for them)."""
        self._stopping = True
        self._cancel_planned()

    def _cancel_planned(self) -> None:
        if self._job is not None:
            # The scheduler may have fired it a moment ago (its pass has not begun yet).
            with contextlib.suppress(JobLookupError):
                self._job.schedule_removal()
            self._job = None

    def wake(self, at: datetime | None = None) -> None:
        """Look at the outbox at `at` (default: now), unless a look is already planned earlier."""
        if self._stopping or not self._started:
            return
        if self._running:
            self._again = True
            return
        now = self._clock.now()
        at = at or now
        # Keep the planned look if it comes first and is still ahead; one planned for an instant
        # already past has not run because the clock jumped (suspend, NTP, a test): replan.
        if self._job is not None and self._job_at is not None and now < self._job_at <= at:
            return
        self._cancel_planned()
        delay = max((at - now).total_seconds(), 0.0)
        self._job_at = at
        self._job = self._jobs.run_once(
            self._run, when=delay, name="dispatch", job_kwargs=RUN_HOWEVER_LATE
        )

    async def _run(self, _context: ContextTypes.DEFAULT_TYPE) -> None:
        self._job = None
        self._job_at = None
        if self._running or self._stopping:
            return
        self._running = True
        self._forget_quiet_chats()
        try:
            # Each round re-reads the clock and the outbox; a wake() during a round (a new row,
            # a clock jump) makes another round, so nothing that arrives meanwhile is missed.
            next_due: datetime | None = None
            while not self._stopping:
                self._again = False
                look = await self._look()
                next_due = look.next
                if look.due:
                    await self._send(look.due)
                elif not self._again:
                    break
        except Exception:
            log.exception("dispatcher pass failed; retrying shortly")
            next_due = self._clock.now() + timedelta(seconds=5)
        finally:
            self._running = False
        if self._again:
            self.wake()
        elif next_due is not None:
            self.wake(next_due)

    async def send_now(self, delivery_id: int, chat_id: int) -> None:
        """The agreed words, sent from the tap's handler the moment their row is committed:
        first in line for the budget, claimed and recorded as any row. A chat that heard from
        us under a second ago is left to the dispatcher's next look, which keeps that pace."""
        if self._stopping or self._chat_busy(chat_id):
            return
        self._in_hand.add(delivery_id)
        self._last_sent[chat_id] = time.monotonic()
        try:
            await self._sender.deliver([delivery_id], Priority.WORDS)
        except Exception:  # the row stays in the outbox: the dispatcher sends it
            log.exception("sending the agreed words at once failed")
        finally:
            self._in_hand.discard(delivery_id)
            self._last_sent[chat_id] = time.monotonic()
            self.wake()  # if the words could not go (yet), the dispatcher's next look has them

    def _chat_busy(self, chat_id: int) -> bool:
        """Heard from us under `chat_spacing` ago (Telegram's ≈1 message a second per chat)."""
        last = self._last_sent.get(chat_id, -CHAT_SPACING)
        return last + self.chat_spacing > time.monotonic()

    def _forget_quiet_chats(self) -> None:
        horizon = time.monotonic() - self.chat_spacing
        self._last_sent = {c: t for c, t in self._last_sent.items() if t > horizon}

    async def _look(self) -> Look:
        """What is due now, and when the next thing is; claims left by processes that died and
        ritual occurrences that fell due are settled first."""
        await self._sender.settle_orphans()
        look = await self._read()
        if look.work_first:
            await self._expire_leases()
            await self._end_pauses()
            await self._materialize()
            look = await self._read()
        self._metrics.dispatcher_lag.set(look.lag)
        return look

    async def _read(self) -> Look:
        """Due rows, first by priority (the agreed words before anything else), then in due
        order — but not those a handler is sending this moment (send_now); and the next
        instants: a row due, a lease running out, a slot due, a pause ending. One read: it waits for no
        writer."""
        now = self._clock.now()
        async with self._db.reading() as connection:
            rows = (
                await connection.execute(
                    select(Delivery.id, Delivery.chat_id, Delivery.priority, Delivery.due_at)
                    .where(Delivery.status == PENDING, Delivery.due_at <= now)
                    .order_by(Delivery.priority, Delivery.due_at, Delivery.id)
                    .limit(BATCH)
                )
            ).all()
            next_row, lease, *work = (await connection.execute(_NEXT)).one()
        first = min((r.due_at for r in rows), default=now)
        due = [(r.id, r.chat_id, Priority(r.priority)) for r in rows if r.id not in self._in_hand]
        row: datetime | None = next_row
        if not due and row is not None and row <= now:
            row = None  # all that is due is being sent by handlers; send_now wakes us after
        return Look(
            due=due,
            next=min((t for t in (row, lease, *work) if t is not None), default=None),
            work_first=any(t is not None and t <= now for t in (lease, *work)),
            lag=max((now - first).total_seconds(), 0.0),
        )

    async def _expire_leases(self) -> None:
        """A `sending` row whose lease ran out (its process died, on another machine) may have
        reached Telegram: it becomes `uncertain`, never sent a second time."""
        async with self._db.transaction() as session:
            await session.execute(
                update(Delivery)
                .where(Delivery.status == SENDING, Delivery.claimed_until <= self._clock.now())
                .values(status=UNCERTAIN, payload=None)
            )

    async def _end_pauses(self) -> None:
        """Pauses whose time is up end now: what they held from the partner becomes one message
        (bot/services/pause.py), before anything held could be sent on its own."""
        while not self._stopping:
            async with self._db.transaction() as session:
                ended = await pause.end_due(session, self._clock.now(), MATERIALIZE_BATCH)
            if ended < MATERIALIZE_BATCH:
                return

    async def _materialize(self) -> None:
        """Due ritual occurrences and date reminders become outbox rows (and their slots move
        on), in batches."""
        for materialize in (rituals.materialize, dates.materialize):
            while not self._stopping:
                async with self._db.transaction() as session:
                    handled = await materialize(session, self._clock.now(), MATERIALIZE_BATCH)
                if handled < MATERIALIZE_BATCH:
                    break

    async def _send(self, due: list[tuple[int, int, Priority]]) -> None:
        """One round: the first due row of each chat that may hear from us again, in the order
        of `due`, in groups (each of its requests takes its turn in Telegram's budget)."""
        now = time.monotonic()
        picked: list[tuple[int, int, Priority]] = []
        chats: set[int] = set()
        for row in due:
            chat_id = row[1]
            if chat_id in chats:
                continue  # one at a time per chat: the next waits for a later round
            chats.add(chat_id)
            if not self._chat_busy(chat_id):
                picked.append(row)
        if not picked:
            # Every due row's chat heard from us a moment ago: wait for the first to be free.
            ready = min(self._last_sent.get(c, now) + self.chat_spacing for c in chats)
            await asyncio.sleep(max(ready - now, 0.001))
            return
        groups: list[asyncio.Task[None]] = []
        index = 0
        while index < len(picked) and not self._stopping:
            if groups and self._again and not self._limiter.unlimited:
                # Something new arrived (a tap's words?): a fresh look at what is due, rather
                # than finishing a round that takes BATCH / rate seconds. The rest stay pending.
                break
            priority = picked[index][2]
            group = picked[index : index + self._group]
            index += len(group)
            await self._slots.acquire()
            groups.append(asyncio.create_task(self._deliver(group, priority)))
        await asyncio.gather(*groups)

    async def _deliver(self, group: list[tuple[int, int, Priority]], priority: Priority) -> None:
        try:
            statuses = await self._sender.deliver([d for d, _, _ in group], priority)
        except Exception:
            log.exception("a delivery group crashed; its rows stay for the next pass")
            return
        finally:
            self._slots.release()
        sent_at = time.monotonic()
        for delivery_id, chat_id, _ in group:
            if statuses.get(delivery_id) not in (PENDING, None):
                self._last_sent[chat_id] = sent_at
