"""Many reassurance relays through a Bot API that fails at random — shared by the suite
(tests/test_faults.py) and the long run (bench/faults.py), which reports the counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select

from bot import texts
from bot.db.models import Delivery, Person
from tests.faketelegram import FakeUser, FaultPlan
from tests.harness import Steady
from tests.stories import pair

# Every fault Telegram and networks produce: flood control, 5xx, a dropped connection, an answer
# later than the bot waits (a timeout: the message may have been sent), blocked, chat not found.
FAULTS = ("retry_after", "server_error", "drop", "slow", "blocked", "chat_not_found")


@dataclass
class Tally:
    relays: int = 0  # reassurance requests: each owes the partner a notice
    delivered: int = 0  # notices on the partner's screen
    failed: int = 0  # notices Telegram refused for good
    told: int = 0  # of those, the requester was told on their screen
    told_unreachable: int = 0  # …or the requester could not be told either (and is marked so)
    duplicates: int = 0  # notices on screen beyond one per request
    words_delivered: int = 0  # the agreed words on the requester's screen
    unsettled: int = 0  # rows still pending or sending at the end
    statuses: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        return [
            f"reassurance relays: {self.relays}",
            f"faults injected: {sum(self.injected.values())} "
            + ", ".join(f"{k} {v}" for k, v in sorted(self.injected.items())),
            f"partner notices delivered: {self.delivered} (of which after a timeout, "
            f"never resent: {self.statuses['uncertain']})",
            f"refused for good: {self.failed}; requester told: {self.told}; requester "
            f"unreachable too: {self.told_unreachable}",
            f"duplicates: {self.duplicates}; still unsettled: {self.unsettled}",
            f"agreed words delivered to requesters: {self.words_delivered} of {self.relays}",
        ]


async def run(steady: Steady, couples: int, taps: int, rate: float, seed: int = 7) -> Tally:
    pairs: list[tuple[FakeUser, FakeUser]] = [
        await pair(steady, f"Asker{i}", f"Partner{i}") for i in range(couples)
    ]
    steady.telegram.faults = FaultPlan(rate=rate, kinds=FAULTS, seed=seed)
    for _ in range(taps):
        for asker, _partner in pairs:
            await asker.tap(texts.REASSURE_BUTTON)
    # Retries are due later on the bot's clock: move it on until nothing is left to try.
    for _ in range(400):
        try:
            await steady.settle()
        except AssertionError:  # a long burst is still going out at Telegram's pace
            continue
        if not await _unsettled(steady):
            break
        # (settling at the top of the loop, however long a burst takes at Telegram's pace)
        steady.clock.set(steady.clock.now() + timedelta(seconds=30))
        steady.rt.wake_dispatcher()
    tally = Tally(relays=couples * taps, injected=steady.telegram.faults.injected)
    steady.telegram.faults = None
    tally.unsettled = await _unsettled(steady)
    for asker, partner in pairs:
        notices = [m for m in partner.inbox if "asked for reassurance" in m.shown]
        words = [m for m in asker.inbox if "There are no agreed words" in m.shown]
        told = [m for m in asker.inbox if m.shown == texts.request_not_reached(partner.first_name)]
        tally.delivered += len(notices)
        tally.words_delivered += len(words)
        tally.told += len(told)
    async with steady.rt.db.transaction() as session:
        rows = await session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.kind == "reassure_asked")
            .group_by(Delivery.status)
        )
        for status, count in rows:
            tally.statuses[status] = count
        tally.failed = tally.statuses["failed"]
        failed_ids = list(
            await session.scalars(
                select(Delivery.id).where(
                    Delivery.kind == "reassure_asked", Delivery.status == "failed"
                )
            )
        )
        undelivered = select(Delivery.dedupe_key, Delivery.status).where(
            Delivery.kind == "undelivered"
        )
        told_rows: dict[str, str] = {
            r.dedupe_key: r.status for r in await session.execute(undelivered)
        }
        unreachable = set(
            await session.scalars(select(Person.id).where(Person.unreachable_since.is_not(None)))
        )
        for row_id in failed_ids:
            if told_rows.get(f"undelivered:{row_id}") == "failed":
                sender = await session.scalar(
                    select(Delivery.sender_id).where(Delivery.id == row_id)
                )
                tally.told_unreachable += int(sender in unreachable)
    reached = tally.statuses["sent"] + tally.statuses["uncertain"]
    tally.duplicates = max(tally.delivered - reached, 0)
    return tally


async def _unsettled(steady: Steady) -> int:
    async with steady.rt.db.transaction() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.status.in_(["pending", "sending"]))
        )
    return int(count or 0)
