"""The delivery journal, line by line: a request made for a claim is noted once its body has
left the process, voided when Telegram answers that it did not send it, and a journal whose
process is gone is found (and one whose process lives is not)."""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import RetryAfter
from telegram.request import HTTPXRequest

from bot.delivery import journal
from tests.faketelegram import FakeTelegram, Fault, FaultPlan


async def test_a_sent_request_is_noted_and_a_refused_one_voided(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    alex = telegram.user("Alex")
    await alex.start()
    notes = journal.Journal(tmp_path, "host:1:abc")
    notes.open()
    request = HTTPXRequest(httpx_kwargs={"transport": journal.JournalTransport(notes)})
    telegram.faults = FaultPlan(script=[Fault("retry_after")])
    async with Bot(telegram.token, base_url=telegram.base_url, request=request) as bot:
        with journal.sending(7, 1), pytest.raises(RetryAfter):
            await bot.send_message(alex.id, "first try")
        with journal.sending(7, 2):
            await bot.send_message(alex.id, "second try")
        await bot.send_message(alex.id, "not a claim: not noted")
    assert notes.path.read_text().splitlines() == ["node host:1:abc", "+ 7 1", "- 7 1", "+ 7 2"]
    assert [m.shown for m in alex.inbox][-2:] == ["second try", "not a claim: not noted"]
    notes.close()


def test_only_the_journals_of_stopped_processes_are_orphans(tmp_path: Path) -> None:
    living = journal.Journal(tmp_path, "host:1:live")
    living.open()
    gone = journal.Journal(tmp_path, "host:2:gone")
    gone.open()
    gone.left(5, 1)
    gone.left(6, 1)
    gone.refused(6, 1)
    gone.close()  # as a killed process's lock is released
    me = journal.Journal(tmp_path, "host:3:me")
    me.open()

    found = journal.orphans(tmp_path, me.path)
    assert [(o.node, o.left) for o in found] == [("host:2:gone", frozenset({(5, 1)}))]
    found[0].forget()
    assert not gone.path.exists()
    assert living.path.exists()
    assert journal.orphans(tmp_path, me.path) == []
    living.close()
    me.close()
