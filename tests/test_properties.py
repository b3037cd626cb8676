"""Whatever people send — any Unicode, commands with odd arguments, stray button data — the bot
never crashes and never leaves a message unanswered. The number of examples comes from the
Hypothesis profile (HYPOTHESIS_PROFILE=fuzz for the long run)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import callbacks, texts
from tests.faketelegram import FakeUser
from tests.harness import Steady
from tests.stories import agree_phrase, pair

COMMANDS = [f"/{name}" for name, _ in texts.COMMANDS] + [
    "/nope",
    "/start@Steady1TestBot",
    "/PAIR",
    "/",
]

any_text = st.text(min_size=1, max_size=300)
long_text = st.text(alphabet=st.characters(codec="utf-8"), min_size=3900, max_size=4096)
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
action = st.one_of(
    st.tuples(
        st.just("text"), st.one_of(any_text, long_text, command, st.just(texts.REASSURE_BUTTON))
    ),
    st.tuples(st.just("press"), button_data),
    st.tuples(st.just("sticker"), st.just("")),
)


async def act(steady: Steady, user: FakeUser, kind: str, payload: str) -> None:
    # Settled first, so that whatever arrives next in this chat answers this action.
    await steady.settle()
    user.mark_read()
    if kind == "press":
        await user.press_data(payload)  # raises if the press is never answered
        return
    if kind == "sticker":
        await user.send_sticker()
    elif kind == "edit":
        own = [m for m in user.chat.messages if not m.from_bot and m.text is not None]
        await (user.edit(own[-1], payload) if own else user.send(payload))
    else:
        await user.send(payload)
    reply = await user.next_message(timeout=10)
    assert reply.shown.strip(), "an empty reply"


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None
)
@given(data=st.data())
async def test_any_input_from_anyone_gets_an_answer_and_no_crash(
    steady: Steady, data: st.DataObject
) -> None:
    people: list[FakeUser] = steady.__dict__.setdefault("_people", [])
    if not people:
        alex, sam = await pair(steady)
        await agree_phrase(alex, sam, "I'm here.")
        zoe = steady.user("Zoe")
        await zoe.start()
        await zoe.next_message()
        people.extend([alex, sam, zoe])
    steps = data.draw(st.lists(st.tuples(st.sampled_from(people), action), min_size=1, max_size=4))
    for user, (kind, payload) in steps:
        await act(steady, user, kind, payload)
    assert not steady.errors.records, [r.getMessage() for r in steady.errors.records]
