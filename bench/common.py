"""Shared pieces of the benchmarks: a fake Bot API server in this process, Steady (or a baseline)
in another, bulk seeding of a migrated database, and reading figures off processes."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bot.db import Database, migrate
from bot.db.models import Couple, Delivery, Person, Ritual, RitualSlot
from bot.services.schedule import EVERY_DAY, WEEKDAYS
from jobs.upkeep import upkeep
from tests.databases import admin, with_database
from tests.faketelegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CHUNK = 20_000


# On a machine with two cores or more, the driver (with the fake Bot API server) runs on core 0
# and each workload on core 1, so that one does not steal the other's time.
CORES = sorted(os.sched_getaffinity(0))


def pin_driver() -> None:
    if len(CORES) >= 2:
        os.sched_setaffinity(0, {CORES[0]})


def _workload_core() -> None:
    if len(CORES) >= 2:
        os.sched_setaffinity(0, {CORES[1]})


def now() -> datetime:
    return datetime.now(UTC)


def env_for(telegram: FakeTelegram, database_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "LOG_"))
    }
    env.update(
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        DATABASE_URL=database_url,
        LOG_LEVEL="INFO",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


@dataclass
class Proc:
    process: asyncio.subprocess.Process
    started: float
    lines: list[tuple[float, str]]
    _reader: asyncio.Task[None] | None = None

    @classmethod
    async def start(cls, args: list[str], env: dict[str, str]) -> Proc:
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *args,
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=_workload_core,
        )
        proc = cls(process, started, [])
        proc._reader = asyncio.create_task(proc._read())
        return proc

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            self.lines.append((time.perf_counter(), raw.decode(errors="replace").rstrip()))

    async def wait_for_line(self, needle: str, timeout: float = 120) -> float:
        """Seconds from process start until a line containing `needle` was printed."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            for at, line in self.lines:
                if needle in line:
                    return at - self.started
            if self.process.returncode is not None:
                break
            await asyncio.sleep(0.01)
        tail = "\n".join(line for _, line in self.lines[-20:])
        raise RuntimeError(f"{needle!r} never appeared; last output:\n{tail}")

    def peak_rss_mb(self) -> float:
        """VmHWM: the most memory the process has had resident."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM")

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._reader is not None:
            await self._reader


def _server() -> str:
    return os.environ.get("BENCH_DATABASE_URL", "").strip()


def backend() -> str:
    return "postgresql" if _server() else "sqlite"


async def fresh_database(path: Path) -> str:
    """A freshly migrated database: a SQLite file at `path`, or — when BENCH_DATABASE_URL names a
    PostgreSQL server — a database on it named after the file, dropped and made anew."""
    server = _server()
    if server:
        return await _fresh_postgres(server, f"steady_bench_{path.stem}")
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite+aiosqlite:///{path}"
    await migrate.upgrade(url)
    return url


async def _fresh_postgres(server: str, name: str) -> str:
    await admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
    url = with_database(server, name)
    await migrate.upgrade(url)
    return url


async def bulk(db: Database, model: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), CHUNK):
        async with db.transaction() as session:
            await session.execute(insert(model), rows[i : i + CHUNK])


async def seed_couples(
    telegram: FakeTelegram | None,
    url: str,
    couples: int,
    *,
    rituals_per_couple: int = 3,
    due: datetime | None = None,
    first_person_id: int = 1,
    digests: bool = True,
) -> list[int]:
    """`couples` couples (UTC) with up to three rituals each — a daily check-in (a slot per
    partner), a weekday nudge and a Sunday talk (slots per partner) — written in bulk. Slots are
    due at `due` (default: tomorrow). With `digests`, each couple also gets its hidden weekly
    digest ritual, as the bot's first start would give it — so a benchmark measures the bot, not
    that one-off. With a fake Telegram server, every person has a started chat there. Returns the
    telegram ids."""
    db = Database(url)
    at = now()
    due = due or at + timedelta(days=1)
    telegram_ids: list[int] = []
    people, couple_rows, ritual_rows, slot_rows = [], [], [], []
    ritual_id = 0
    for c in range(1, couples + 1):
        couple_rows.append({"id": c, "created_at": at})
        pair = []
        for side in (0, 1):
            pid = first_person_id + 2 * (c - 1) + side
            if telegram is not None:
                user = telegram.user(f"P{pid}")
                user.chat.started = True
                tid = user.id
            else:
                tid = 10_000_000 + pid
            telegram_ids.append(tid)
            pair.append(pid)
            people.append(
                {
                    "id": pid,
                    "telegram_id": tid,
                    "chat_id": tid,
                    "first_name": f"P{pid}",
                    "couple_id": c,
                    "timezone": "UTC",
                    "created_at": at,
                    "seen_at": at,
                }
            )
        kinds = [
            ("checkin", 12 * 60 + 30, EVERY_DAY, None),
            ("nudge", 15 * 60, WEEKDAYS, pair[0]),
            ("talk", 18 * 60, 1 << 6, None),
        ]
        for kind, minutes, days, giver in kinds[:rituals_per_couple]:
            ritual_id += 1
            ritual_rows.append(
                {
                    "id": ritual_id,
                    "couple_id": c,
                    "kind": kind,
                    "created_by_id": pair[0],
                    "giver_id": giver,
                    "minutes": minutes,
                    "days": days,
                    "paused": False,
                    "created_at": at,
                }
            )
            for pid in [giver] if giver else pair:
                slot_rows.append(
                    {"ritual_id": ritual_id, "person_id": pid, "zone": "UTC", "next_due_at": due}
                )
    await bulk(db, Couple, couple_rows)
    await bulk(db, Person, people)
    await bulk(db, Ritual, ritual_rows)
    await bulk(db, RitualSlot, slot_rows)
    if digests:
        await upkeep(db, at)
    await db.dispose()
    return telegram_ids


async def seed_outbox(url: str, telegram_ids: list[int], due: datetime) -> int:
    """One pending outbox message per person, all due at `due` (a burst)."""
    db = Database(url)
    at = now()
    rows = [
        {
            "dedupe_key": f"bench:{i}",
            "recipient_id": i + 1,
            "chat_id": tid,
            "kind": "bench",
            "payload": {"text": f"Thinking of you ({i})"},
            "status": "pending",
            "due_at": due,
            "expires_at": due + timedelta(hours=2),
            "attempts": 0,
            "created_at": at,
        }
        for i, tid in enumerate(telegram_ids)
    ]
    await bulk(db, Delivery, rows)
    await db.dispose()
    return len(rows)


def copy_database(source: Path, target: Path) -> str:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copy(source, target)
    return f"sqlite+aiosqlite:///{target}"


def print_table(title: str, rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print(f"\n{title}")
    for n, row in enumerate(rows):
        print("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)))
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))
