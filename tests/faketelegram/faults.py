"""Faults the fake server can inject, as Telegram and networks produce them.

- retry_after: 429 with `parameters.retry_after` (flood control); nothing was sent.
- server_error: 500/502 from Telegram's front end; nothing was sent.
- drop: the connection closes before a response (a reset keep-alive); nothing was sent.
- slow: the message IS sent, but the answer comes later than the client waits (read timeout).
- hold: the message IS sent, and the answer never comes until `release()` — so a test can kill
  the bot between Telegram accepting a message and the bot recording that it did.
- blocked: 403 "bot was blocked by the user".
- chat_not_found: 400 "chat not found".
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

KINDS = ("retry_after", "server_error", "drop", "slow", "hold", "blocked", "chat_not_found")


@dataclass(frozen=True)
class Fault:
    kind: str
    seconds: int = 1
    status: int = 502


@dataclass
class FaultPlan:
    """Decides, per API call, whether to inject a fault.

    `script`: faults for the next calls to the given methods, in order (deterministic tests).
    `rate` and `kinds`: random faults for every matching call (seeded: reproducible runs)."""

    methods: frozenset[str] = frozenset({"sendmessage"})
    script: list[Fault] = field(default_factory=list)
    rate: float = 0.0
    kinds: tuple[str, ...] = ("retry_after", "server_error", "drop")
    seed: int = 1
    only_chat: int | None = None
    # Faults for the next calls into given chats, in order (several people at once).
    by_chat: dict[int, list[Fault]] = field(default_factory=dict)
    hold_calls: frozenset[int] = frozenset()  # hold the Nth matching call (1-based), each once
    # Once a call is held, hold every later call too until release(): a test that then waits a
    # moment knows every message the bot had claimed has reached "Telegram".
    hold_spell: bool = False
    injected: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self.held = asyncio.Event()  # set when a "hold" fault has delivered its message
        self.released = asyncio.Event()
        self.calls = 0
        self.log: list[tuple[float, str, str]] = []  # (monotonic time, kind, chat id) injected

    def release(self) -> None:
        """Let held answers go (their client is usually gone by then), and arm the next hold."""
        self.released.set()
        self.released = asyncio.Event()
        self.held = asyncio.Event()

    def pick(self, method: str, params: dict[str, Any]) -> Fault | None:
        if method.lower() not in self.methods:
            return None
        if self.only_chat is not None and str(params.get("chat_id")) != str(self.only_chat):
            return None
        fault: Fault | None = None
        self.calls += 1
        chat = str(params.get("chat_id"))
        scripted = next((f for c, f in self.by_chat.items() if str(c) == chat and f), None)
        if self.calls in self.hold_calls or (self.hold_spell and self.held.is_set()):
            fault = Fault("hold")
        elif scripted:
            fault = scripted.pop(0)
        elif self.script:
            fault = self.script.pop(0)
        elif self.rate and self._rng.random() < self.rate:
            fault = Fault(
                self._rng.choice(self.kinds),
                seconds=1,
                status=self._rng.choice((500, 502)),
            )
        if fault is not None:
            self.injected[fault.kind] += 1
            self.log.append((time.monotonic(), fault.kind, chat))
        return fault
