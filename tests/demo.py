"""`make demo`: Steady runs against the project's local Bot API emulator (no token, no network),
and two simulated partners pair, agree words, ask for reassurance and reply — the conversation
is printed as it happens."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from bot import logs, texts
from bot.app import serve
from bot.config import Settings
from bot.runtime import Runtime
from tests.faketelegram import FakeTelegram
from tests.faketelegram.server import TranscriptLine
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


async def printer(server: FakeTelegram, done: asyncio.Event) -> None:
    shown = 0
    while True:
        while shown < len(server.transcript):
            text = render(server.transcript[shown])
            if text:
                print(text + "\n", flush=True)
            shown += 1
        if done.is_set():
            return
        await asyncio.sleep(0.05)


async def play(server: FakeTelegram) -> None:
    alex, sam = server.user("Alex"), server.user("Sam")

    def scene(title: str) -> None:
        server.transcript.append(TranscriptLine(time.monotonic(), "", "note", title))

    scene("Alex opens Steady and invites Sam")
    await alex.start()
    await alex.expect("Steady helps")
    await alex.send("/pair")
    invite = await alex.expect("Here's your invite")
    link = LINK.search(invite.shown)
    assert link is not None
    await asyncio.sleep(0.3)
    scene("Sam opens the link")
    await sam.open_link(link.group(0))
    await sam.expect("You're paired with Alex")
    await alex.expect("You're paired with Sam")
    await asyncio.sleep(0.3)
    scene("Sam says which words help; Alex agrees to say them")
    await sam.send("/phrase I'm not going anywhere. We're okay.")
    ask = await alex.expect("would find these words reassuring")
    await alex.press(texts.AGREE_BUTTON, ask)
    await sam.expect("Alex agreed to say")
    await asyncio.sleep(0.3)
    scene("Later, Alex is in a meeting. Sam taps 💛 Reassure me")
    await sam.tap(texts.REASSURE_BUTTON)
    await sam.expect("From Alex")
    notice = await alex.expect("asked for reassurance")
    await asyncio.sleep(0.3)
    scene("Alex follows up with one tap")
    await alex.press(texts.REPLY_HERE, notice)
    await sam.expect(f"From Alex: {texts.REPLY_HERE}", timeout=10)
    await asyncio.sleep(0.5)


async def main() -> int:
    server = FakeTelegram()
    await server.start()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=server.token,
            telegram_api_base_url=server.base_url,
            database_url=f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}",
            log_level="WARNING",
        )
        logs.configure("WARNING", logs.token_secrets(server.token))
        print(f"Steady demo: the bot talks to a local Telegram emulator at {server.base_url}\n")
        stop = asyncio.Event()
        ready: asyncio.Future[Runtime] = asyncio.get_running_loop().create_future()
        bot = asyncio.create_task(
            serve(settings, stop=stop, on_ready=ready.set_result, poll_timeout=5)
        )
        done = asyncio.Event()
        output = asyncio.create_task(printer(server, done))
        try:
            await asyncio.wait_for(asyncio.shield(ready), 30)
            await play(server)
        finally:
            done.set()
            await output
            stop.set()
            await asyncio.wait_for(bot, 30)
            await server.stop()
    print("── The demo is over: pairing, agreed words, a reassurance tap and a one-tap reply. ──")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
