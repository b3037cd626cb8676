"""What handlers and jobs share for the life of the process (kept in `bot_data`)."""

from __future__ import annotations

import os
import random
import socket
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from telegram.ext import ContextTypes

from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.metrics import Metrics

if TYPE_CHECKING:
    from telegram.ext import ExtBot

    from bot.delivery.journal import Journal
    from bot.delivery.limiter import Prepaid
    from jobs.dispatcher import Dispatcher
    from jobs.leader import Leadership

RUNTIME_KEY = "steady.runtime"


def node_id() -> str:
    """Names this process in outbox claims (hostname:pid:random)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock
    node: str = field(default_factory=node_id)
    rng: random.Random = field(default_factory=random.Random)
    bot_username: str = ""
    dispatcher: Dispatcher | None = None
    delivery_bot: ExtBot[Prepaid] = field(init=False)
    journal: Journal = field(init=False)
    leadership: Leadership = field(init=False)
    metrics: Metrics = field(default_factory=Metrics)

    def wake_dispatcher(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.wake()


def runtime(context: ContextTypes.DEFAULT_TYPE) -> Runtime:
    return cast(Runtime, context.application.bot_data[RUNTIME_KEY])
