"""The naive design, for comparison: load every ritual and give each its own in-memory
APScheduler job (CronTrigger in the recipient's zone). Prints "ready" once all are scheduled."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.services.schedule import DAY_NAMES


async def occur(ritual_id: int) -> None:  # what each job would do when it fires
    return None


async def main(path: str) -> None:
    scheduler = AsyncIOScheduler(timezone=ZoneInfo("UTC"))
    rows = sqlite3.connect(path).execute(
        "SELECT r.id, r.minutes, r.days, p.timezone FROM rituals r"
        " JOIN ritual_slots s ON s.ritual_id = r.id JOIN people p ON p.id = s.person_id"
        " GROUP BY r.id"
    )
    zones: dict[str, ZoneInfo] = {}
    for ritual_id, minutes, days, zone in rows:
        tz = zones.setdefault(zone, ZoneInfo(zone))
        day_names = ",".join(n for i, n in enumerate(DAY_NAMES) if days & (1 << i))
        trigger = CronTrigger(
            day_of_week=day_names, hour=minutes // 60, minute=minutes % 60, timezone=tz
        )
        scheduler.add_job(occur, trigger, args=(ritual_id,), id=str(ritual_id))
    scheduler.start()
    print(f"ready with {len(scheduler.get_jobs())} jobs", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
