"""The one delivery path: outbox rows are sent once, in order, paced per chat, retried when
Telegram certainly did not send them, and never resent when it might have."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import texts
from bot.db import Database
from bot.db.models import Delivery, Person
from bot.delivery.sender import LEASE
from bot.services import outbox
from tests.databases import BACKEND
from tests.faketelegram import Fault, FaultPlan
from tests.harness import Steady
from tests.stories import agree_phrase, pair


async def queue(
    steady: Steady,
    name: str,
    text: str,
    *,
    key: str,
    after: timedelta = timedelta(0),
    **extra: object,
) -> None:
    now = steady.clock.now()
    async with steady.rt.db.transaction() as session:
        person = await session.scalar(select(Person).where(Person.first_name == name))
        assert person is not None
        await outbox.enqueue(
            session,
            key=key,
            recipient=person,
            kind="test",
            text=text,
            now=now,
            due_at=now + after,
            **extra,  # type: ignore[arg-type]
        )


async def statuses(steady: Steady) -> dict[str, str]:
    await steady.settle()
    async with steady.rt.db.transaction() as session:
        return {
            d.dedupe_key: d.status
            for d in await session.scalars(select(Delivery).where(Delivery.kind == "test"))
        }


async def test_a_message_due_later_waits_for_its_instant_not_a_poll(steady: Steady) -> None:
    _, sam = await pair(steady)
    sam.mark_read()
    await queue(steady, "Sam", "at ten", key="t1", after=timedelta(hours=1))
    await steady.advance(timedelta(minutes=59, seconds=59))
    await steady.settle()
    assert sam.unread == []
    await steady.advance(timedelta(seconds=1))
    await sam.expect("at ten")
    assert await statuses(steady) == {"t1": "sent"}


async def test_writing_the_same_key_twice_sends_once(steady: Steady) -> None:
    _, sam = await pair(steady)
    await queue(steady, "Sam", "once", key="same")
    await queue(steady, "Sam", "once", key="same")
    await sam.expect("once")
    await steady.settle()
    assert [m.shown for m in sam.inbox].count("once") == 1


@pytest.mark.slow
async def test_messages_to_one_chat_go_in_order_about_a_second_apart(steady: Steady) -> None:
    _, sam = await pair(steady)
    steady.rt.dispatcher.chat_spacing = 1.0
    for i in range(3):
        await queue(steady, "Sam", f"number {i}", key=f"n{i}")
    for i in range(3):
        await sam.expect(f"number {i}", timeout=10)
    lines = [
        t for t in steady.telegram.transcript if t.kind == "bot" and t.text.startswith("number")
    ]
    assert [t.text for t in lines] == ["number 0", "number 1", "number 2"]
    gaps = [b.at - a.at for a, b in itertools.pairwise(lines)]
    assert all(gap >= 0.95 for gap in gaps), gaps


async def test_a_relay_past_its_grace_is_skipped_not_sent(steady: Steady) -> None:
    _, sam = await pair(steady)
    sam.mark_read()
    steady.telegram.bot.chats[sam.id].blocked = True  # Telegram unreachable for Sam for now
    await queue(steady, "Sam", "stale soon", key="late", grace=timedelta(minutes=5))
    await steady.settle()
    assert (await statuses(steady))["late"] == "failed"
    await queue(
        steady,
        "Sam",
        "too late",
        key="later",
        after=timedelta(minutes=1),
        grace=timedelta(minutes=5),
    )
    await steady.advance(timedelta(minutes=10))
    await steady.settle()
    assert (await statuses(steady))["later"] == "skipped"


async def test_a_row_left_mid_send_by_a_crash_is_never_sent_again(steady: Steady) -> None:
    """A crash between marking a row `sending` and recording the result leaves it ambiguous:
    the message may be on the partner's screen. It becomes `uncertain`, not a duplicate."""
    _, sam = await pair(steady)
    sam.mark_read()
    await queue(steady, "Sam", "maybe sent", key="crash", after=timedelta(minutes=1))
    async with steady.rt.db.transaction() as session:
        row = await session.scalar(select(Delivery).where(Delivery.dedupe_key == "crash"))
        assert row is not None
        row.status = "sending"
        row.claimed_by = "a-process-that-died"
        row.claimed_until = steady.clock.now() + LEASE
    await steady.advance(LEASE + timedelta(minutes=1))
    await steady.settle()
    assert (await statuses(steady))["crash"] == "uncertain"
    assert sam.unread == []


async def test_a_pending_relay_of_a_couple_that_unpaired_is_never_sent(steady: Steady) -> None:
    alex, sam = await pair(steady)
    async with steady.rt.db.transaction() as session:
        couple_id = await session.scalar(select(Person.couple_id).where(Person.first_name == "Sam"))
    await queue(
        steady,
        "Sam",
        "on Alex's behalf",
        key="relay",
        after=timedelta(minutes=5),
        couple_id=couple_id,
    )
    await alex.send("/unpair")
    await alex.expect("Unpair from Sam?")
    await alex.press(texts.UNPAIR_YES_BUTTON)
    await sam.expect("has ended your pairing")
    await steady.advance(timedelta(minutes=10))
    await steady.settle()
    assert not any("on Alex's behalf" in m.shown for m in sam.inbox)
    assert await statuses(steady) == {}


async def test_sent_rows_keep_no_message_text(steady: Steady) -> None:
    _, sam = await pair(steady)
    await queue(steady, "Sam", "private words", key="p")
    await sam.expect("private words")
    await steady.settle()
    async with steady.rt.db.transaction() as session:
        row = await session.scalar(select(Delivery).where(Delivery.dedupe_key == "p"))
    assert row is not None
    assert row.payload is None
    assert row.message_id is not None


@pytest.mark.slow
async def test_a_stall_just_as_a_message_falls_due_delays_it_but_does_not_lose_it(
    steady: Steady,
) -> None:
    """The process stalls (the machine suspended, swapped out, a long pause) just as the
    dispatcher's look falls due. APScheduler drops a job more than a second late unless told
    otherwise; the look must happen late, not never."""
    _, sam = await pair(steady)
    sam.mark_read()
    await queue(steady, "Sam", "at ten", key="t1", after=timedelta(hours=1))
    await steady.settle()
    steady.clock.set(steady.clock.now() + timedelta(hours=1))
    steady.rt.wake_dispatcher()
    time.sleep(1.5)  # noqa: ASYNC251 — the stall itself: nothing else runs meanwhile
    await sam.expect("at ten")
    assert await statuses(steady) == {"t1": "sent"}


@pytest.mark.slow
async def test_a_flood_pause_holds_every_call_until_it_ends_whatever_else_finishes(
    steady: Steady,
) -> None:
    """Telegram answers Alex's words with 429 "retry after 3" while a reply to Kim is still on
    its way (Telegram is slow to answer it). That reply's answer comes back during the wait, and
    three more people write meanwhile: nothing at all reaches Telegram until the 3 seconds are
    over. Then the words arrive, once, and everyone who wrote is answered."""
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "Right here.")
    kim = steady.user("Kim")
    others = [steady.user(f"Lee{i}") for i in range(3)]
    for person in (kim, *others):
        await person.start()
        await person.expect("Steady helps")
    await steady.settle()
    telegram = steady.telegram
    wait = 3
    telegram.faults = FaultPlan(
        by_chat={kim.id: [Fault("slow", seconds=2)], alex.id: [Fault("retry_after", seconds=wait)]}
    )
    await kim.send("/help")
    await telegram.wait_for(lambda: telegram.faults and telegram.faults.injected["slow"])
    await alex.tap(texts.REASSURE_BUTTON)
    await telegram.wait_for(lambda: telegram.faults and telegram.faults.injected["retry_after"])
    refused_at = next(at for at, kind, _ in telegram.faults.log if kind == "retry_after")
    for person in others:
        await person.send("/help")
    for person in (kim, *others):
        await person.expect("Here's what I can do", timeout=3 * wait)
    early = [
        (round(at - refused_at, 3), method)
        for at, method, _ in telegram.arrivals
        if refused_at < at < refused_at + wait
    ]
    assert early == []
    await alex.expect("💛 From Sam", timeout=3 * wait)
    await steady.settle()
    assert sum(m.shown.startswith("💛 From Sam") for m in alex.inbox) == 1


@pytest.mark.skipif(BACKEND != "postgresql", reason="on SQLite one process runs")
async def test_what_another_process_commits_is_sent_by_the_leader_at_once(steady: Steady) -> None:
    """Another process (here: a connection of its own, which cannot wake this dispatcher in
    memory) commits a message due now; PostgreSQL's NOTIFY wakes the process that sends."""
    _, sam = await pair(steady)
    elsewhere = Database(steady.settings.database_url)
    try:
        async with elsewhere.transaction() as session:
            person = await session.scalar(select(Person).where(Person.first_name == "Sam"))
            assert person is not None
            await outbox.enqueue(
                session,
                key="elsewhere",
                recipient=person,
                kind="test",
                text="written by another process",
                now=steady.clock.now(),
            )
    finally:
        await elsewhere.dispose()
    await sam.expect("written by another process")
