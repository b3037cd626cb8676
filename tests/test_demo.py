"""`make demo` plays the whole story against the local emulator and exits 0."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


async def test_demo_plays_pairing_phrase_reassurance_and_reply_then_exits_0() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.demo",
        cwd=ROOT,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    transcript = out.decode()
    assert process.returncode == 0, transcript
    steps = [
        "Steady → Alex:\n      Here's your invite",
        "Steady → Sam:\n      You're paired with Alex.",
        "Steady → Sam:\n      Rituals come at your local time",
        "Sam taps [Europe/Berlin]",
        "Steady → Sam:\n      A few rituals many couples start with",
        "Alex taps [✅ Agree]",
        "Sam:\n      💛 Reassure me",
        "Steady → Sam:\n      💛 From Alex:",
        "Alex taps [💛 I'm here]",
        "Steady → Sam:\n      From Alex: 💛 I'm here",
    ]
    positions = [transcript.find(step) for step in steps]
    assert all(p >= 0 for p in positions), transcript
    assert positions == sorted(positions), "the conversation is printed in order"
    assert "Traceback" not in transcript
