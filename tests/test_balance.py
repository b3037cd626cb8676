"""Balance, when both agree: past the agreed number of requests in a window the words still
come, after an offer of one minute of breathing that one tap skips. And every 4 weeks, at the
talk: "Do these rituals still work for you both?"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot import texts
from bot.db.models import Agreement
from tests.faketelegram import FakeUser, Message
from tests.harness import Steady
from tests.stories import agree_phrase, pair
from tests.test_pause import zones


async def agree_balance(alex: FakeUser, sam: FakeUser, setting: str = "3 2h") -> None:
    await alex.send(f"/balance {setting}")
    await alex.expect("I've asked Sam to agree")
    ask = await sam.expect("Alex suggests a balance setting")
    await sam.press(texts.AGREE_BUTTON, ask)
    await alex.expect("Sam agreed: after ")


async def ask(user: FakeUser, times: int) -> None:
    for _ in range(times):
        await user.tap(texts.REASSURE_BUTTON)
        await user.expect("💛 From Sam")


async def breathe_before_the_words(steady: Steady) -> tuple[FakeUser, Message]:
    """Alex, past a balance of one request, taps 💛 and chooses to breathe first: the breathing's
    message."""
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "Always.")
    await agree_balance(alex, sam, "1 2h")
    await ask(alex, 1)
    await alex.tap(texts.REASSURE_BUTTON)
    offer = await alex.expect(texts.BREATHE_FIRST)
    await alex.press(texts.BREATHE_FIRST_BUTTON, offer)
    return alex, await alex.expect(texts.BREATHE_START)


async def breathing_done(alex: FakeUser, breathing: Message) -> None:
    await alex.server.wait_for(
        lambda: texts.BREATHE_DONE in breathing.shown or None, 15, what="breathing done"
    )


async def test_beyond_the_balance_breathing_is_offered_first_and_the_words_still_come(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "You're safe with me.")
    await ask(alex, 3)  # before any agreement, every request is simply answered
    await agree_balance(alex, sam)
    await steady.advance(timedelta(hours=2, minutes=1))
    alex.mark_read()
    since = len(alex.inbox)
    await ask(alex, 3)  # within the balance: at once
    await alex.tap(texts.REASSURE_BUTTON)
    offer = await alex.expect(texts.BREATHE_FIRST)
    assert offer.buttons == [texts.BREATHE_FIRST_BUTTON, texts.SKIP_BUTTON]
    await steady.settle()
    assert not [m for m in alex.unread if "💛 From Sam" in m.shown]
    await sam.expect("Alex asked for reassurance")  # the partner is told at once, as always
    await alex.press(texts.SKIP_BUTTON, offer)
    await alex.expect("💛 From Sam")
    # No counts, no scores: nothing Alex saw around the requests has a number in it.
    assert not [m for m in alex.inbox[since:] if any(ch.isdigit() for ch in m.shown)]


async def test_the_held_words_arrive_after_a_minute_whatever_is_tapped(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "I'm here.")
    await agree_balance(alex, sam, "1 30m")
    await ask(alex, 1)
    await alex.tap(texts.REASSURE_BUTTON)
    offer = await alex.expect(texts.BREATHE_FIRST)
    await steady.advance(timedelta(seconds=59))
    assert not [m for m in alex.unread if "💛 From Sam" in m.shown]
    await steady.advance(timedelta(seconds=1))
    await alex.expect("💛 From Sam")
    # A choice pressed after the words went: it says so, and nothing is sent again.
    answer = await alex.press(texts.SKIP_BUTTON, offer)
    await steady.settle()
    assert answer.text == texts.BUTTON_STALE
    assert offer.shown == texts.BREATHE_FIRST and offer.buttons == [] and alex.unread == []


async def test_breathe_first_releases_the_words_when_the_breathing_ends(steady: Steady) -> None:
    alex, breathing = await breathe_before_the_words(steady)
    await breathing_done(alex, breathing)
    await alex.expect("💛 From Sam", timeout=5)


async def test_balance_is_agreed_by_both_and_either_can_turn_it_off(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.send("/balance")
    usage = await alex.expect("Balance: after a number of requests")
    await alex.press(texts.PROPOSE_DEFAULT_BUTTON, usage)
    ask_sam = await sam.expect("Alex suggests a balance setting: after 3 requests within 2 hours")
    await sam.press(texts.DECLINE_BUTTON, ask_sam)
    await alex.expect("Sam would rather keep things as they are for now.")
    async with steady.rt.db.transaction() as session:
        assert list(await session.scalars(select(Agreement))) == []
    await agree_balance(alex, sam)
    await sam.send("/balance")
    await sam.expect("Your balance setting: after 3 requests within 2 hours")
    await sam.send("/balance off")
    await sam.expect(texts.BALANCE_OFF)
    await alex.expect("Sam turned balance off")
    for bad in (
        "/balance lots",
        "/balance 0 2h",
        "/balance 3 10m",
        "/balance 3 3d",
        "/balance 99 2h",
    ):
        await alex.send(bad)
        await alex.expect(texts.BALANCE_BAD)


async def test_every_four_weeks_the_talk_asks_if_the_rituals_still_work(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await zones(alex, sam)
    await alex.send("/ritual add talk 18:00 sun")
    await alex.expect("Added:")
    await alex.send("/ritual add checkin 12:30 daily")
    await alex.expect("Added:")
    # The first four Sundays: the talk, no review yet.
    for day in (8, 15, 22, 29):
        await steady.advance_to(datetime(2026, 3, day, 18, 0, tzinfo=UTC))
        await alex.expect("Time for your weekly talk")
    assert not [m for m in alex.inbox if "still work for you both" in m.shown]
    # The first talk four weeks after pairing brings it.
    await steady.advance_to(datetime(2026, 4, 5, 18, 0, tzinfo=UTC))
    review = await alex.expect("Do these rituals still work for you both?")
    assert (
        "• Weekly talk · Sundays 18:00 UTC\n• Check-in · 12:30 · every day · each at your own"
        in review.shown
    )
    assert review.buttons == [texts.REVIEW_KEEP, texts.REVIEW_CHANGE]
    await alex.press(texts.REVIEW_KEEP, review)
    await sam.expect("Alex is happy with your rituals as they are.")
    sams = await sam.expect("Do these rituals still work for you both?")
    await sam.press(texts.REVIEW_CHANGE, sams)
    menu = await sam.expect("Check-in · 12:30")  # the /rituals menu, to change something
    assert any(label.startswith(texts.PAUSE_BUTTON) for label in menu.buttons)
    # Not again the next Sunday.
    await steady.advance_to(datetime(2026, 4, 12, 18, 0, tzinfo=UTC))
    await alex.expect("Time for your weekly talk")
    assert not [m for m in alex.unread if "still work for you both" in m.shown]


async def test_breathe_first_words_never_arrive_mid_breath(steady: Steady) -> None:
    """Box breathing at its real pace is 16 steps of 4 s — longer than the minute the words
    wait by themselves: once "Breathe with me" is tapped they wait for the breathing's end."""
    steady.rt.settings.breathe_seconds = 0.4  # 6.4 s in all, while the clock jumps a minute
    alex, breathing = await breathe_before_the_words(steady)
    await steady.advance(timedelta(seconds=61))
    assert texts.BREATHE_DONE not in breathing.shown
    assert not [m for m in alex.unread if "💛 From Sam" in m.shown]
    await breathing_done(alex, breathing)
    await alex.expect("💛 From Sam", timeout=5)


async def test_a_review_that_quiet_hours_skipped_comes_at_the_next_talk(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await zones(alex, sam)
    await alex.send("/ritual add talk 18:00 sun")
    await alex.expect("Added:")
    await steady.advance_to(datetime(2026, 3, 29, 18, 0, tzinfo=UTC))
    # The first talk of the second four weeks falls in Alex's quiet hours, past its grace.
    await alex.send("/quiet 17:00-20:00")
    await alex.expect("Quiet hours")
    await steady.advance_to(datetime(2026, 4, 5, 18, 0, tzinfo=UTC))
    await sam.expect("Do these rituals still work for you both?")
    await steady.advance_to(datetime(2026, 4, 5, 20, 30, tzinfo=UTC))
    assert not [m for m in alex.unread if "still work for you both" in m.shown]
    await alex.send("/quiet off")
    await alex.expect("Quiet hours")
    await steady.advance_to(datetime(2026, 4, 12, 18, 0, tzinfo=UTC))
    await alex.expect("Do these rituals still work for you both?")
    await steady.advance_to(datetime(2026, 4, 19, 18, 0, tzinfo=UTC))
    assert not [m for m in alex.unread if "still work for you both" in m.shown]


# --- the partner is told what actually happened ------------------------------------------------


async def gated(steady: Steady) -> tuple[FakeUser, FakeUser, Message]:
    """Alex in Berlin, Sam in New York, a balance of one request in 2 hours: Alex's second tap
    is held for its minute. Returns the offer."""
    alex, sam = await pair(steady)
    await zones(alex, zone="Europe/Berlin")
    await zones(sam, zone="America/New_York")
    await agree_phrase(alex, sam, "Always.")
    await agree_balance(alex, sam, "1 2h")
    await ask(alex, 1)
    await sam.expect("Alex asked for reassurance just now. They received your words")
    sam.mark_read()
    await alex.tap(texts.REASSURE_BUTTON)
    offer = await alex.expect(texts.BREATHE_FIRST)
    await steady.settle()
    assert sam.unread == []  # not "they received your words" while the words wait
    return alex, sam, offer


def words_for(user: FakeUser) -> list[Message]:
    return [m for m in user.inbox if m.shown.startswith("💛 From")]


async def test_breathing_first_the_partner_hears_so_and_that_the_words_follow(
    steady: Steady,
) -> None:
    alex, sam, offer = await gated(steady)
    await alex.press(texts.BREATHE_FIRST_BUTTON, offer)
    breathing = await alex.expect(texts.BREATHE_START)
    told = await sam.expect("Alex asked for reassurance and chose to breathe first.")
    assert "Your words reach them in a minute: “Always.”" in told.shown
    assert told.buttons == [
        texts.REPLY_HERE,
        texts.REPLY_CALL,
        texts.REPLY_TONIGHT,
        texts.REPLY_WRITE,
    ]
    assert len(words_for(alex)) == 1  # still only the first request's
    await breathing_done(alex, breathing)
    await alex.expect("💛 From Sam", timeout=5)
    assert "received your words" not in " ".join(m.shown for m in sam.unread)


async def test_untapped_the_partner_is_told_when_the_words_go(steady: Steady) -> None:
    alex, sam, _offer = await gated(steady)
    await steady.advance(timedelta(seconds=59))
    assert sam.unread == [] and len(words_for(alex)) == 1
    await steady.advance(timedelta(seconds=1))
    await alex.expect("💛 From Sam")
    await sam.expect("Alex asked for reassurance and took a minute to breathe first.")


async def test_just_the_words_the_partner_hears_they_go_now(steady: Steady) -> None:
    alex, sam, offer = await gated(steady)
    await alex.press(texts.SKIP_BUTTON, offer)
    await alex.expect("💛 From Sam")
    await sam.expect("Alex asked for reassurance just now. Your words reach them now: “Always.”")


async def test_requests_before_both_agreed_do_not_count(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "Always.")
    await ask(alex, 3)
    await steady.advance(timedelta(minutes=10))
    await agree_balance(alex, sam, "3 2h")  # within the same two hours
    await ask(alex, 3)  # the three before the agreement don't count: these come at once
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.expect(texts.BREATHE_FIRST)


async def test_many_taps_while_the_words_wait_bring_one_set_of_words(steady: Steady) -> None:
    alex, sam, _offer = await gated(steady)
    for _ in range(3):
        await alex.tap(texts.REASSURE_BUTTON)
        await alex.expect(texts.BREATHE_FIRST)
    await steady.walk(timedelta(minutes=5))
    assert len(words_for(alex)) == 2  # the first request's, and one for the held taps
    assert len([m for m in sam.unread if "Alex asked for reassurance" in m.shown]) == 1
