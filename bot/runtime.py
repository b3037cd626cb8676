"""What handlers and jobs share for the life of the process (kept in `bot_data`)."""

from __future__ import annotations

import os
import random
import socket
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from telegram.ext import ContextTypes

from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.lanes import Urgent
from bot.metrics import Metrics

if TYPE_CHECKING:
    from telegram.ext import ExtBot

    from bot.delivery.budget import SharedBudget
    from bot.delivery.journal import Journal
    from jobs.dispatcher import Dispatcher

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
    delivery_bot: ExtBot[Any] = field(init=False)
    journal: Journal = field(init=False)
    budget: SharedBudget = field(init=False)
    metrics: Metrics = field(default_factory=Metrics)
    urgent: Urgent = field(default_factory=Urgent)  # the agreed words in flight

    def wake_dispatcher(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.wake()


def runtime(context: ContextTypes.DEFAULT_TYPE) -> Runtime:
    return cast(Runtime, context.application.bot_data[RUNTIME_KEY])
