"""`make demo`: Steady runs against the project's local Bot API emulator (no token, no network),
and two simulated partners pair, agree words, ask for reassurance and reply — the conversation
is printed as it happens."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

from bot import logs, texts
from tests.faketelegram import FakeTelegram
from tests.faketelegram.server import TranscriptLine
from tests.harness import FakeClock, Steady, running_bot
from tests.stories import LINK

WIDTH = 78


def render(line: TranscriptLine) -> str:
    def block(head: str, body: str) -> str:
        lines = [textwrap.fill(p, WIDTH - 6) if p else "" for p in body.split("\n")]
        return head + "\n" + textwrap.indent("\n".join(lines), "      ")

    if line.kind == "note":
        return f"── {line.text} ──"
    if line.kind == "said":
        return block(f"{line.who}:", line.text)
    if line.kind == "press":
        return f"{line.who} taps [{line.text}]"
    if line.kind == "answer":
        return f"   (Steady shows {line.who}: {line.text})" if line.text else ""
    head = "Steady → " + line.who + (" (updates a message)" if line.kind == "edit" else "")
    out = block(head + ":", line.text)
    if line.buttons:
        out += "\n      " + "  ".join(f"[{b}]" for b in line.buttons)
    return out


class Printer:
    """Prints the transcript's new lines: after each scene, once the bot has settled."""

    def __init__(self, server: FakeTelegram) -> None:
        self.server = server
        self.shown = 0

    def flush(self) -> None:
        for line in self.server.transcript[self.shown :]:
            text = render(line)
            if text:
                print(text + "\n", flush=True)
        self.shown = len(self.server.transcript)


async def play(steady: Steady, printer: Printer) -> None:
    server = steady.telegram
    alex, sam = server.user("Alex"), server.user("Sam")

    async def scene(title: str) -> None:
        await steady.settle()
        printer.flush()
        server.transcript.append(TranscriptLine(time.monotonic(), "", "note", title))

    await scene("Alex opens Steady and invites Sam")
    await alex.start()
    await alex.expect("Steady helps")
    await alex.send("/pair")
    invite = await alex.expect("Here's your invite")
    link = LINK.search(invite.shown)
    assert link is not None
    await scene("Sam opens the link")
    await sam.open_link(link.group(0))
    await sam.expect("You're paired with Alex")
    await alex.expect("You're paired with Sam")
    await scene("One step at a time: Sam taps a time zone, and a few rituals follow")
    await sam.press("Europe/Berlin", await sam.expect(texts.TIMEZONE_ASK))
    await sam.expect(texts.STARTER_INTRO)
    await scene("Sam says which words help; Alex agrees to say them")
    await sam.send("/phrase I'm not going anywhere. We're okay.")
    ask = await alex.expect("would find these words reassuring")
    await alex.press(texts.AGREE_BUTTON, ask)
    await sam.expect("Alex agreed to say")
    await scene("Later, Alex is in a meeting. Sam taps 💛 Reassure me")
    await sam.tap(texts.REASSURE_BUTTON)
    await sam.expect("From Alex")
    notice = await alex.expect("asked for reassurance")
    await scene("Alex follows up with one tap")
    await alex.press(texts.REPLY_HERE, notice)
    await sam.expect(f"From Alex: {texts.REPLY_HERE}", timeout=10)
    await steady.settle()
    printer.flush()


async def main() -> int:
    server = FakeTelegram()
    await server.start()
    logs.configure("WARNING", logs.token_secrets(server.token))
    print(f"Steady demo: the bot talks to a local Telegram emulator at {server.base_url}\n")
    try:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}"
            clock = FakeClock(datetime.now(UTC))
            async with running_bot(server, url, clock, log_level="WARNING") as steady:
                await play(steady, Printer(server))
    finally:
        await server.stop()
    print("── The demo is over: pairing, agreed words, a reassurance tap and a one-tap reply. ──")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
