"""The weekly picture (/insights): a PNG of the last 8 weeks — check-in moods and reassurance
requests — sent as a multipart upload the way Telegram takes it; and /support."""

from __future__ import annotations

import struct
from datetime import timedelta

from sqlalchemy import select

from bot import texts
from bot.db.models import Person
from bot.services import insights
from tests.harness import Steady
from tests.stories import pair


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def alexs_picture(steady: Steady) -> list[insights.Series]:
    """The data behind Alex's chart: Alex's series, then Sam's."""
    async with steady.rt.db.transaction() as session:
        person = await session.scalar(select(Person).where(Person.first_name == "Alex"))
        assert person is not None
        picture = await insights.gather(session, person, steady.clock.now())
    assert picture is not None
    return picture.series


async def test_insights_sends_a_png_chart_of_the_last_eight_weeks(steady: Steady) -> None:
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
    chart = await alex.expect(texts.INSIGHTS_CAPTION)
    assert chart.photo is not None
    data = steady.telegram.bot.files[chart.photo]
    assert png_size(data) == (insights.WIDTH, insights.HEIGHT)
    # It went up as a multipart file part, as Telegram takes uploads.
    field, filename, content_type = steady.telegram.uploads[-1]
    assert field == "photo" and filename and content_type
    # And what it drew: each partner's mood on each of the three days.
    you, partner = await alexs_picture(steady)
    assert sorted(you.moods.values()) == [4.0] * 3 and sorted(partner.moods.values()) == [2.0] * 3
    assert len(set(you.moods)) == 3  # three different days


async def test_the_chart_shows_what_happened(steady: Steady) -> None:
    """The data behind the picture: moods per day per partner, requests per week."""
    alex, sam = await pair(steady)
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.tap(texts.REASSURE_BUTTON)
    await sam.tap(texts.REASSURE_BUTTON)
    await steady.settle()
    you, partner = await alexs_picture(steady)
    assert (you.name, partner.name) == ("You", "Sam")
    assert you.requests == [0] * 7 + [2] and partner.requests == [0] * 7 + [1]


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
