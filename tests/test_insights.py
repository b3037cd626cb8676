"""The weekly picture (/insights): a PNG of the couple's last 8 weeks — both partners' check-in
moods, unattributed, and the rituals kept together — with only the reader's own reassurance
requests, one date axis for both panels, and a sentence in the caption; sent as a multipart
upload the way Telegram takes it; and /support."""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot import texts
from bot.db.models import Person
from bot.services import insights
from tests.harness import Steady
from tests.stories import pair
from tests.test_pause import zones


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def picture_of(steady: Steady, name: str) -> insights.Picture:
    """The data behind a person's chart, as the bot builds it now."""
    async with steady.rt.db.transaction() as session:
        person = await session.scalar(select(Person).where(Person.first_name == name))
        assert person is not None
        picture = await insights.gather(session, person, steady.clock.now())
    assert picture is not None
    return picture


def shares_one_date_axis(picture: insights.Picture, today: date) -> None:
    """Eight whole weeks of consecutive days ending today, and both panels drawn on them."""
    assert len(picture.days) == insights.DAYS == 56
    assert [d.day for d in picture.days] == [
        picture.start + timedelta(days=i) for i in range(insights.DAYS)
    ]
    assert picture.days[-1].day == today
    top, bottom = insights.figure(picture).axes
    assert top.get_xlim() == bottom.get_xlim() == (-0.5, 55.5)
    weeks = [texts.chart_date(picture.start + timedelta(days=7 * w)) for w in range(8)]
    assert [t.get_text() for t in bottom.get_xticklabels()] == weeks
    # The only series with a name: what was kept together and the reader's own requests.
    legend = bottom.get_legend()
    assert legend is not None
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == [texts.CHART_TOGETHER, texts.CHART_MY_REQUESTS]
    assert top.get_legend() is None


async def test_insights_sends_a_png_of_the_couples_rhythm_with_a_sentence(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.send("/ritual add checkin 09:30 daily")
    await alex.expect("Added:")
    for user in (alex, sam):
        await user.send("/timezone UTC")
        await user.expect("Your time zone is UTC")
    for day in range(3):
        await steady.advance(timedelta(days=1) if day else timedelta(minutes=31))
        for user, mood in ((alex, "4 🙂"), (sam, "2 😕")):
            prompt = await user.expect(texts.CHECKIN_PROMPT)
            await user.press(mood, prompt)
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.send("/insights")
    summary = "Three check-ins together this week."
    chart = await alex.expect(texts.picture_caption(summary))
    assert chart.photo is not None
    data = steady.telegram.bot.files[chart.photo]
    assert png_size(data) == (insights.WIDTH, insights.HEIGHT)
    # It went up as a multipart file part, as Telegram takes uploads.
    field, filename, content_type = steady.telegram.uploads[-1]
    assert field == "photo" and filename and content_type
    # What it drew: both moods on each of three days, unattributed; three days together.
    picture = await picture_of(steady, "Alex")
    assert picture.summary == summary
    drawn = [d for d in picture.days if d.moods]
    assert [d.moods for d in drawn] == [(2, 4)] * 3
    assert [d.checkins_together for d in drawn] == [1, 1, 1]
    assert sum(d.together for d in picture.days) == 3
    shares_one_date_axis(picture, steady.clock.now().date())


async def test_the_picture_shows_only_your_own_requests(steady: Steady) -> None:
    """Alex taps twice, Sam once: each picture holds its reader's taps, never the partner's."""
    alex, sam = await pair(steady)
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.tap(texts.REASSURE_BUTTON)
    await sam.tap(texts.REASSURE_BUTTON)
    await steady.settle()
    alexs, sams = await picture_of(steady, "Alex"), await picture_of(steady, "Sam")
    assert [d.my_requests for d in alexs.days] == [0] * 55 + [2]
    assert [d.my_requests for d in sams.days] == [0] * 55 + [1]
    # Nothing in the picture names anyone, or counts the partner's taps.
    assert set(vars(alexs.days[-1])) == {
        "day",
        "moods",
        "checkins_together",
        "rituals_together",
        "my_requests",
    }
    assert "Sam" not in repr(alexs) and "Alex" not in repr(sams)


async def test_an_empty_week_draws_a_sane_axis_and_says_so_kindly(steady: Steady) -> None:
    alex, _sam = await pair(steady)
    await alex.send("/insights")
    summary = "A quiet week — nothing to draw yet, and that's fine."
    chart = await alex.expect(texts.picture_caption(summary))
    assert chart.photo is not None
    assert png_size(steady.telegram.bot.files[chart.photo]) == (insights.WIDTH, insights.HEIGHT)
    picture = await picture_of(steady, "Alex")
    assert all(not d.moods and d.together == 0 and d.my_requests == 0 for d in picture.days)
    shares_one_date_axis(picture, steady.clock.now().date())
    _top, bottom = insights.figure(picture).axes
    assert bottom.get_ylim()[1] >= 3  # whole numbers to read, not a squashed zero


async def test_the_sentence_says_steadier_than_last_week(steady: Steady) -> None:
    """A week of 2s, then a week of 4s: the caption says it, in words."""
    alex, sam = await pair(steady)
    for user in (alex, sam):
        await user.send("/timezone UTC")
        await user.expect("Your time zone is UTC")
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[steady.clock.now().weekday()]
    at = (steady.clock.now() + timedelta(minutes=5)).strftime("%H:%M")
    await alex.send(f"/ritual add checkin {at} {weekday}")
    await alex.expect("Added:")
    for week, mood in enumerate(("2 😕", "4 🙂")):
        await steady.advance(timedelta(days=7) if week else timedelta(minutes=6))
        for user in (alex, sam):
            prompt = await user.expect(texts.CHECKIN_PROMPT)
            await user.press(mood, prompt)
    await steady.settle()
    picture = await picture_of(steady, "Sam")
    assert picture.summary == "Steadier than last week, with one check-in together."
    await sam.send("/insights")
    await sam.expect(texts.picture_caption(picture.summary))
    # And the other way round reads gently.
    heavier = picture.days[:-14] + picture.days[-7:] + picture.days[-14:-7]
    assert insights.summarise(heavier) == (
        "A heavier week than the last — go gently, with one check-in together."
    )


async def test_insights_needs_a_partner_and_support_points_to_professional_help(
    steady: Steady,
) -> None:
    zoe = steady.user("Zoe")
    await zoe.start()
    await zoe.send("/insights")
    await zoe.expect(texts.NOT_PAIRED)
    await zoe.send("/support")
    support = await zoe.expect("Steady supports practices from therapy")
    for words in ("EFT", "CBT", "EMDR", "emergency services", "never diagnoses"):
        assert words in support.shown


async def test_a_talk_that_reached_you_both_is_a_ritual_kept_together(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await zones(alex, sam)
    await alex.send("/ritual add talk 10:00 fri")
    await alex.expect("Added:")
    await steady.advance_to(datetime(2026, 3, 6, 10, 0, tzinfo=UTC))
    for person in (alex, sam):
        await person.expect("Time for your weekly talk")
        # the digest this talk brings is drawn as it goes: the talk is in its sentence
        digest = await person.expect(texts.picture_caption("One ritual kept together this week."))
        assert digest.photo is not None
    await steady.settle()
    await sam.send("/insights")
    await sam.expect(texts.picture_caption("One ritual kept together this week."))
    picture = await picture_of(steady, "Sam")
    (kept,) = [d for d in picture.days if d.together]
    assert (kept.day, kept.rituals_together, kept.checkins_together) == (date(2026, 3, 6), 1, 0)
    assert not any(d.moods or d.my_requests for d in picture.days)
