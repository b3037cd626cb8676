"""Whatever people send, in whatever state they are — new, invited, paired, taking a moment,
away, unpaired — any Unicode, 10,000-character text, commands with odd arguments, stickers and
photos, edited messages, button data of every shape: the bot never crashes and never leaves a
message unanswered.

The number of examples comes from the Hypothesis profile: 60 for a quick `make test`, 1,000 in
CI (HYPOTHESIS_PROFILE=ci, set by .ci/run), 10,000 for `make fuzz`."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import callbacks, texts
from tests.faketelegram import FakeUser
from tests.harness import Steady
from tests.stories import agree_phrase, invite, pair

COMMANDS = [f"/{name}" for name, _ in texts.COMMANDS] + [
    "/nope",
    "/start@Steady1TestBot",
    "/PAIR",
    "/",
]

any_text = st.text(min_size=1, max_size=300)
long_text = st.text(alphabet=st.characters(codec="utf-8"), min_size=3900, max_size=4096)
# Telegram caps what people send at 4,096 characters; a modified client, or a future limit,
# could send more — the bot must still answer kindly.
huge_text = st.builds(lambda ch: ch * 10_000, st.characters(codec="utf-8"))
blank_text = st.sampled_from(["\u200b", "\u2060", "\ufeff", "\u00ad"])  # invisible characters
command = st.builds(
    lambda c, arg: f"{c} {arg}" if arg else c, st.sampled_from(COMMANDS), st.text(max_size=80)
)
well_shaped_data = st.sampled_from(sorted(callbacks.SHAPES)).flatmap(
    lambda kind: st.sampled_from(sorted(callbacks.SHAPES[kind])).flatmap(
        lambda action: st.lists(
            st.integers(0, 60),
            min_size=callbacks.SHAPES[kind][action],
            max_size=callbacks.SHAPES[kind][action],
        ).map(lambda refs: callbacks.pack(kind, action, *refs))
    )
)
button_data = st.one_of(
    well_shaped_data, st.text(min_size=1, max_size=64).filter(lambda s: len(s.encode()) <= 64)
)
typed = st.one_of(
    any_text,
    long_text,
    huge_text,
    blank_text,
    command,
    st.sampled_from([texts.REASSURE_BUTTON, texts.MOMENT_BUTTON, "kiwi"]),
)
action = st.one_of(
    st.tuples(st.just("text"), typed),
    st.tuples(st.just("edit"), typed),
    st.tuples(st.just("press"), button_data),
    st.tuples(st.just("sticker"), st.just("")),
    st.tuples(st.just("photo"), st.one_of(st.just(""), any_text)),
)


async def act(steady: Steady, user: FakeUser, kind: str, payload: str) -> None:
    # Settled first, so that whatever arrives next in this chat answers this action.
    await steady.telegram.settle(quiet=0.08)
    user.mark_read()
    if kind == "press":
        await user.press_data(payload)  # raises if the press is never answered
        return
    if kind == "sticker":
        await user.send_sticker()
    elif kind == "photo":
        await user.send_photo(payload or None)
    elif kind == "edit":
        own = [m for m in user.chat.messages if not m.from_bot and m.text is not None]
        await (user.edit(own[-1], payload) if own else user.send(payload))
    else:
        await user.send(payload)
    reply = await user.next_message(timeout=10)
    assert reply.shown.strip() or reply.photo or reply.document, "an empty reply"


async def cast(steady: Steady) -> list[FakeUser]:
    """One person in each state."""
    alex, sam = await pair(steady, "Alex", "Sam")  # paired; Alex takes a moment
    await agree_phrase(alex, sam, "I'm here.")
    await alex.send("/safeword kiwi")
    await sam.press(texts.AGREE_BUTTON, await sam.expect("Alex suggests"))
    await alex.send("/pause")
    await alex.press("2 hours", await alex.expect(texts.PAUSE_ASK))
    kim, lee = await pair(steady, "Kim", "Lee")  # Kim is away
    await kim.send("/away 2026-03-20 travelling")
    await kim.expect("Away until")
    uma, vic = await pair(steady, "Uma", "Vic")  # unpaired again
    await uma.send("/unpair")
    await uma.press(texts.UNPAIR_YES_BUTTON, await uma.expect("Unpair from Vic?"))
    await uma.expect("You're unpaired")
    ian = steady.user("Ian")  # has an open invite
    await ian.start()
    await invite(ian)
    zoe = steady.user("Zoe")  # new
    await zoe.start()
    await zoe.next_message()
    await steady.settle()
    return [alex, sam, kim, lee, uma, vic, ian, zoe]


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None
)
@given(data=st.data())
async def test_any_input_from_anyone_in_any_state_gets_an_answer_and_no_crash(
    steady: Steady, data: st.DataObject
) -> None:
    people: list[FakeUser] = steady.__dict__.setdefault("_people", [])
    if not people:
        people.extend(await cast(steady))
    steps = data.draw(st.lists(st.tuples(st.sampled_from(people), action), min_size=1, max_size=3))
    for user, (kind, payload) in steps:
        await act(steady, user, kind, payload)
    assert not steady.errors.records, [r.getMessage() for r in steady.errors.records]
