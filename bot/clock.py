"""Time comes from a clock object so that tests can move it by hours in milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


# For every one-off JobQueue job: APScheduler drops a job that starts more than a second late
# (its default misfire_grace_time) — after the machine was suspended, or the process stalled
# under load. The dispatcher plans its next look as one such job, and losing it would stop
# every scheduled message until something else woke it. Late is better than never.
RUN_HOWEVER_LATE = {"misfire_grace_time": None}
