"""Pairing: /start, /pair, invite links and /join, every refusal, /unpair."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

from sqlalchemy import func, select

from bot import texts
from bot.db.models import Couple, Invite, Person, Phrase
from tests.harness import Steady
from tests.stories import agree_phrase, invite, pair


async def count(steady: Steady, model: type) -> int:
    async with steady.rt.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_start_welcomes_and_says_the_next_step(steady: Steady) -> None:
    alex = steady.user("Alex")
    await alex.start()
    welcome = await alex.expect("Steady helps the two of you")
    assert "/pair" in welcome.shown
    assert alex.keyboard == []


async def test_pair_replies_with_a_deep_link_from_getme_and_how_to_share_it(steady: Steady) -> None:
    alex = steady.user("Alex")
    await alex.start()
    link, token = await invite(alex)
    assert link == f"https://t.me/{steady.telegram.bot.username}?start={token}"
    assert len(token) >= 22
    assert all(c.isalnum() or c in "-_" for c in token)
    message = alex.last.shown
    assert "Send this link to your partner" in message
    assert "expires in 24 hours" in message
    assert f"/join {token}" in message


async def test_invite_token_is_stored_only_as_a_hash(steady: Steady) -> None:
    alex = steady.user("Alex")
    await alex.start()
    _, token = await invite(alex)
    async with steady.rt.db.transaction() as session:
        stored = list(await session.scalars(select(Invite.token_hash)))
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in str(stored)


async def test_opening_the_link_pairs_both_with_names_and_the_reassure_keyboard(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    assert alex.keyboard == [texts.REASSURE_BUTTON, texts.MOMENT_BUTTON, texts.MENU_BUTTON]
    assert sam.keyboard == [texts.REASSURE_BUTTON, texts.MOMENT_BUTTON, texts.MENU_BUTTON]
    async with steady.rt.db.transaction() as session:
        couples = list(await session.scalars(select(Person.couple_id)))
    assert len(set(couples)) == 1
    assert couples[0] is not None


async def test_after_pairing_one_step_at_a_time_the_message_then_the_zone_then_rituals(
    steady: Steady,
) -> None:
    alex, sam = steady.user("Alex"), steady.user("Sam")
    await alex.start()
    await alex.send("/timezone Europe/Berlin")  # Alex has said where she is; Sam has not
    await alex.expect("Your time zone is Europe/Berlin")
    link, _ = await invite(alex)
    alex.mark_read()
    await sam.open_link(link)
    await steady.settle()
    paired, ask = sam.unread
    assert paired.shown.startswith("You're paired with Alex. 💛\n\nFirst, your time zone")
    assert "/phrase" in paired.shown
    assert ask.shown == texts.TIMEZONE_ASK and "Europe/Berlin" in ask.buttons
    sam.mark_read()
    await sam.press("Europe/Berlin", ask)
    starter = await sam.expect(texts.STARTER_INTRO)
    assert starter.buttons[0] == "➕ Check-in 12:30 every day"
    # Alex's zone was known: her next step is the starter set, right after the one message.
    first, then = alex.unread
    assert first.shown.startswith("You're paired with Sam. 💛\n\nWhen you're ready")
    assert then.shown == texts.STARTER_INTRO
    # Changing the zone later offers nothing twice.
    await sam.send("/timezone Europe/Paris")
    await sam.expect("Your time zone is Europe/Paris")
    await steady.settle()
    assert sam.unread == []


async def test_a_typed_first_zone_is_confirmed_before_the_starter_set_arrives(
    steady: Steady,
) -> None:
    _alex, sam = await pair(steady)
    await steady.settle()
    sam.mark_read()
    await sam.send("/timezone Europe/Paris")
    await steady.settle()
    confirmed, starter = sam.unread
    assert confirmed.shown.startswith("Your time zone is Europe/Paris")
    assert starter.shown == texts.STARTER_INTRO


async def test_join_with_the_code_pairs_like_the_link(steady: Steady) -> None:
    alex, sam = steady.user("Alex"), steady.user("Sam")
    await alex.start()
    _, token = await invite(alex)
    await sam.start()
    await sam.send(f"/join {token}")
    await sam.expect("You're paired with Alex")
    await alex.expect("You're paired with Sam")
    assert sam.keyboard == [texts.REASSURE_BUTTON, texts.MOMENT_BUTTON, texts.MENU_BUTTON]


async def test_your_own_invite_is_refused(steady: Steady) -> None:
    alex = steady.user("Alex")
    await alex.start()
    link, token = await invite(alex)
    await alex.open_link(link)
    await alex.expect("That's your own invite")
    await alex.send(f"/join {token}")
    await alex.expect("That's your own invite")
    assert await count(steady, Couple) == 0


async def test_expired_invite_is_refused_after_24_hours(steady: Steady) -> None:
    alex, sam = steady.user("Alex"), steady.user("Sam")
    await alex.start()
    link, _ = await invite(alex)
    await steady.advance(timedelta(hours=24, seconds=1))
    await sam.open_link(link)
    await sam.expect("This invite has expired")
    assert await count(steady, Couple) == 0


async def test_invite_still_works_just_before_it_expires(steady: Steady) -> None:
    alex, sam = steady.user("Alex"), steady.user("Sam")
    await alex.start()
    link, _ = await invite(alex)
    await steady.advance(timedelta(hours=23, minutes=59))
    await sam.open_link(link)
    await sam.expect("You're paired with Alex")


async def test_used_invite_is_refused(steady: Steady) -> None:
    alex, sam, kim = steady.user("Alex"), steady.user("Sam"), steady.user("Kim")
    await alex.start()
    link, _ = await invite(alex)
    await sam.open_link(link)
    await sam.expect("You're paired with Alex")
    await kim.open_link(link)
    await kim.expect("This invite has already been used")
    assert await count(steady, Couple) == 1


async def test_unknown_and_malformed_tokens_are_refused(steady: Steady) -> None:
    sam = steady.user("Sam")
    await sam.start()
    await sam.send("/join " + "A" * 22)
    await sam.expect("I don't recognise this invite")
    for bad in ("short", "has spaces in it but is long enough", "ü" * 30, "<b>x</b>" * 4, "a" * 65):
        await sam.send(f"/join {bad}")
        await sam.expect("doesn't look like an invite code")
    await sam.send("/join")
    await sam.expect("Send /join followed by the code")
    assert await count(steady, Couple) == 0


async def test_a_new_pair_replaces_the_older_open_invite(steady: Steady) -> None:
    alex, sam = steady.user("Alex"), steady.user("Sam")
    await alex.start()
    old_link, _ = await invite(alex)
    new_link, _ = await invite(alex)
    await sam.open_link(old_link)
    await sam.expect("replaced by a newer one")
    await sam.open_link(new_link)
    await sam.expect("You're paired with Alex")


async def test_already_paired_people_cannot_pair_again(steady: Steady) -> None:
    alex, sam = await pair(steady)
    kim = steady.user("Kim")
    await kim.start()
    link, _ = await invite(kim)
    await sam.open_link(link)
    await sam.expect("You're already paired with Alex")
    await alex.send("/pair")
    await alex.expect("You're already paired with Sam")
    # Kim's invite is still good for someone unpaired.
    lee = steady.user("Lee")
    await lee.open_link(link)
    await lee.expect("You're paired with Kim")


async def test_invite_of_someone_who_paired_meanwhile_is_refused(steady: Steady) -> None:
    alex, sam, kim = steady.user("Alex"), steady.user("Sam"), steady.user("Kim")
    await alex.start()
    alex_link, _ = await invite(alex)
    await kim.start()
    kim_link, _ = await invite(kim)
    await alex.open_link(kim_link)  # Alex pairs with Kim instead
    await alex.expect("You're paired with Kim")
    await sam.open_link(alex_link)
    await sam.expect("Alex is already paired, so this invite can't be used")
    assert await count(steady, Couple) == 1


async def test_two_people_redeeming_one_invite_at_once_exactly_one_succeeds(steady: Steady) -> None:
    alex = steady.user("Alex")
    await alex.start()
    link, _ = await invite(alex)
    others = [steady.user(f"P{i}") for i in range(6)]
    await asyncio.gather(*(o.open_link(link) for o in others))
    replies = [await o.next_message() for o in others]
    paired = [r for r in replies if "You're paired with Alex" in r.shown]
    refused = [r for r in replies if "already been used" in r.shown]
    assert len(paired) == 1
    assert len(refused) == 5
    assert await count(steady, Couple) == 1


async def test_unpair_asks_first_and_cancel_changes_nothing(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.send("/unpair")
    ask = await alex.expect("Unpair from Sam?")
    assert ask.buttons == [texts.UNPAIR_YES_BUTTON, texts.CANCEL_BUTTON]
    await alex.press(texts.CANCEL_BUTTON)
    await steady.settle()
    assert "nothing has changed" in ask.shown
    assert await count(steady, Couple) == 1
    assert sam.unread == []


async def test_unpair_confirmed_unpairs_both_tells_partner_and_clears_phrases(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "I'm not going anywhere.")
    await alex.send("/unpair")
    await alex.expect("Unpair from Sam?")
    await alex.press(texts.UNPAIR_YES_BUTTON)
    await alex.expect("You're unpaired")
    notice = await sam.expect("Alex has ended your pairing")
    assert "blame" not in notice.shown
    assert alex.keyboard == []
    assert sam.keyboard == []
    assert await count(steady, Couple) == 0
    assert await count(steady, Phrase) == 0
    # Nothing reaches either on the other's behalf any more.
    await alex.send(texts.REASSURE_BUTTON)
    await alex.expect("You're not paired yet")
    await steady.settle()
    assert sam.unread == []


async def test_old_buttons_of_an_unpaired_couple_do_nothing(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.send("/phrase Still here.")
    ask = await sam.expect("Still here.")
    await alex.tap(texts.REASSURE_BUTTON)
    request = await sam.expect("asked for reassurance")
    await sam.send("/unpair")
    await sam.expect("Unpair from Alex?")
    confirm = sam.last
    await sam.press(texts.UNPAIR_YES_BUTTON, confirm)
    await sam.expect("You're unpaired")
    await alex.expect("Sam has ended your pairing")
    alex.mark_read()
    for label, message in ((texts.AGREE_BUTTON, ask), (texts.REPLY_HERE, request)):
        answer = await sam.press(label, message)
        assert answer.text == texts.BUTTON_STALE
    await steady.settle()
    assert alex.unread == []
    # After re-pairing with someone new, the old buttons still do nothing.
    kim = steady.user("Kim")
    await kim.start()
    link, _ = await invite(kim)
    await sam.open_link(link)
    await sam.expect("You're paired with Kim")
    answer = await sam.press(texts.REPLY_HERE, request)
    assert answer.text == texts.BUTTON_STALE


async def test_unpair_when_not_paired_says_so(steady: Steady) -> None:
    alex = steady.user("Alex")
    await alex.start()
    await alex.send("/unpair")
    await alex.expect("You're not paired yet")


async def test_start_again_when_paired_welcomes_back_with_keyboard(steady: Steady) -> None:
    alex, _ = await pair(steady)
    await alex.send("/start")
    await alex.expect("Welcome back. You're paired with Sam")
    assert alex.keyboard == [texts.REASSURE_BUTTON, texts.MOMENT_BUTTON, texts.MENU_BUTTON]


async def test_both_partners_confirming_unpair_at_once_get_one_outcome_each(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.send("/unpair")
    ask_alex = await alex.expect("Unpair from Sam?")
    await sam.send("/unpair")
    ask_sam = await sam.expect("Unpair from Alex?")
    alex.mark_read()
    sam.mark_read()
    answers = await asyncio.gather(
        alex.press(texts.UNPAIR_YES_BUTTON, ask_alex), sam.press(texts.UNPAIR_YES_BUTTON, ask_sam)
    )
    await steady.settle()
    outcomes = sorted(
        ("unpaired" if "You're unpaired" in m.shown else "told")
        for user in (alex, sam)
        for m in user.unread
        if "You're unpaired" in m.shown or "has ended your pairing" in m.shown
    )
    assert outcomes == ["told", "unpaired"]
    assert sorted(a.text or "" for a in answers) == ["", texts.BUTTON_STALE]
