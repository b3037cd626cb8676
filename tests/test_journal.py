"""The shared journal: moments and appreciations both partners see, photos kept as Telegram's
file_id, paging, and the weekly digest — appreciations first — with the weekly picture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from bot import texts
from bot.db.models import JournalEntry, Ritual
from bot.services import rituals
from tests.harness import Steady
from tests.stories import pair
from tests.test_pause import zones


async def test_a_journal_entry_is_shared_quietly_with_the_partner(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.send("/journal We cooked pasta together and laughed a lot")
    await alex.expect("Added to your journal. Sam can see it too.")
    notice = await sam.expect("📓 Alex added to your journal:\nWe cooked pasta together")
    assert notice.disable_notification  # a moment to look at later, not an interruption
    await sam.send("/journal")
    listing = await sam.expect("Your journal, newest first")
    assert "Alex: We cooked pasta together and laughed a lot" in listing.shown


async def test_a_photo_with_a_caption_is_kept_by_file_id_and_shown_again(steady: Steady) -> None:
    alex, sam = await pair(steady)
    sent = await alex.send_photo("Sunday at the lake")
    await alex.expect("Added to your journal")
    notice = await sam.expect("Alex added to your journal:\nSunday at the lake")
    assert notice.photo == sent.photo  # the same Telegram file, sent on by its id
    async with steady.rt.db.transaction() as session:
        entry = await session.scalar(select(JournalEntry))
    assert entry is not None and entry.photo_file_id == sent.photo
    await alex.send_photo()
    await alex.expect(texts.PHOTO_NEEDS_CAPTION)
    await sam.send("/journal")
    listing = await sam.expect("Your journal")
    assert "📷 Sunday at the lake" in listing.shown
    await sam.press(texts.SHOW_PHOTOS_BUTTON, listing)
    shown = await sam.expect("Sunday at the lake")
    assert shown.photo == sent.photo


async def test_the_journal_pages_through_older_entries(steady: Steady) -> None:
    alex, sam = await pair(steady)
    for n in range(1, 8):
        await alex.send(f"/journal Moment {n}")
        await alex.expect("Added to your journal")
        await steady.advance(timedelta(minutes=1))
    await sam.send("/journal")
    page = await sam.expect("Your journal (page 1 of 2)")
    assert "Moment 7" in page.shown and "Moment 3" in page.shown and "Moment 2" not in page.shown
    assert page.buttons == [texts.OLDER_BUTTON]
    await sam.press(texts.OLDER_BUTTON, page)
    await steady.settle()
    assert "(page 2 of 2)" in page.shown and "Moment 1" in page.shown
    assert page.buttons == [texts.NEWER_BUTTON]
    await sam.press(texts.NEWER_BUTTON, page)
    await steady.settle()
    assert "(page 1 of 2)" in page.shown


async def test_bad_journal_input_gets_a_correction_and_changes_nothing(steady: Steady) -> None:
    alex, _sam = await pair(steady)
    await alex.send("/journal")
    await alex.expect(texts.JOURNAL_EMPTY)
    await alex.send("/journal " + "x" * 1001)
    await alex.expect("That's 1001 characters")
    await alex.send("/appreciate")
    await alex.expect(texts.APPRECIATE_USAGE)
    loner = steady.user("Zoe")
    await loner.start()
    await loner.send("/journal hello")
    await loner.expect(texts.NOT_PAIRED)
    await loner.send_photo("hello")
    await loner.expect(texts.NOT_PAIRED)
    async with steady.rt.db.transaction() as session:
        assert list(await session.scalars(select(JournalEntry))) == []


async def test_the_weekly_digest_opens_with_appreciations_at_sunday_six_without_a_talk(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await zones(alex, sam, zone="Europe/Berlin")
    await alex.send("/journal Long walk by the river")
    await alex.expect("Added to your journal")
    await sam.send("/appreciate You made dinner when I was tired")
    await sam.expect("Added to your journal")
    await alex.expect("💛 Sam appreciates you:\nYou made dinner when I was tired")
    # Sunday 8 March, 18:00 in Berlin is 17:00 UTC.
    await steady.advance_to(datetime(2026, 3, 8, 16, 59, tzinfo=UTC))
    assert not [m for m in alex.unread if texts.DIGEST_HEAD in m.shown]
    await steady.advance_to(datetime(2026, 3, 8, 17, 0, tzinfo=UTC))
    digest = await alex.expect(texts.DIGEST_HEAD)
    appreciations = digest.shown.index(texts.DIGEST_APPRECIATIONS)
    moments = digest.shown.index(texts.DIGEST_MOMENTS)
    assert appreciations < moments
    assert "Sam: You made dinner when I was tired" in digest.shown
    assert "You: Long walk by the river" in digest.shown
    chart = await alex.expect(texts.INSIGHTS_CAPTION)
    # The picture's sentence comes first, for people who don't read charts.
    assert chart.shown == texts.picture_caption(
        "A quiet week — nothing to draw yet, and that's fine."
    )
    assert chart.photo is not None
    assert steady.telegram.bot.files[chart.photo].startswith(b"\x89PNG")
    await sam.expect(texts.DIGEST_HEAD)
    await sam.expect(texts.INSIGHTS_CAPTION)


async def test_the_digest_comes_with_the_talk_when_there_is_one(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await zones(alex, sam)
    await alex.send("/ritual add talk 10:00 fri")
    await alex.expect("Added:")
    await steady.advance_to(datetime(2026, 3, 6, 10, 0, tzinfo=UTC))
    talk = await alex.expect("Time for your weekly talk")
    digest = await alex.expect(texts.DIGEST_HEAD)
    assert talk.message_id < digest.message_id
    await alex.expect(texts.INSIGHTS_CAPTION)
    await sam.expect(texts.DIGEST_HEAD)
    # Not again on Sunday: the talk brought it this week.
    await steady.advance_to(datetime(2026, 3, 8, 18, 30, tzinfo=UTC))
    assert not [m for m in alex.unread if texts.DIGEST_HEAD in m.shown]


async def test_long_entries_full_of_emoji_still_fit_a_page_a_caption_and_the_digest(
    steady: Steady,
) -> None:
    """Telegram counts UTF-16 units (an emoji is two) and refuses a message past 4096 or a
    caption past 1024: the fake server does the same, so each of these would be lost."""
    alex, sam = await pair(steady)
    await zones(alex, sam, zone="Europe/Berlin")
    longest = "💛" * (texts.JOURNAL_MAX_CHARS // 2)  # the most an entry may hold
    for _ in range(texts.JOURNAL_PAGE_SIZE + 20):
        await alex.send(f"/journal {longest}")
        await alex.expect("Added to your journal")
    await sam.send("/journal")
    page = await sam.expect("Your journal (page 1 of")
    assert page.shown.count("💛") > texts.JOURNAL_PAGE_SIZE * 100  # cut, not dropped
    await alex.send_photo("🌊" * 460)  # 920 units: more than a caption leaves room for
    await alex.expect("That's 920 characters")
    await alex.send_photo("🌊" * 450)
    await alex.expect("Added to your journal")
    await sam.expect("Alex added to your journal")
    await steady.advance_to(datetime(2026, 3, 8, 17, 0, tzinfo=UTC))
    digest = await alex.expect(texts.DIGEST_HEAD)
    assert "more in /journal" in digest.shown


async def test_a_couple_paired_before_the_digest_existed_gets_it_after_the_next_start(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await zones(alex, sam)
    async with steady.rt.db.transaction() as session:  # as if paired before the digest existed
        await session.execute(delete(Ritual).where(Ritual.kind == rituals.DIGEST))
    await steady.restart()
    await steady.settle()  # the start-up's upkeep runs in the background
    await steady.advance_to(datetime(2026, 3, 8, 18, 0, tzinfo=UTC))
    await alex.expect(texts.DIGEST_HEAD)
    await sam.expect(texts.DIGEST_HEAD)
