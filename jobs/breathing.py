"""The breathing guide's steps: one message, edited every few seconds by a JobQueue job — in 4,
hold 4, out 4, hold 4, four rounds — until it ends or Stop is pressed.

A run lives in memory only (after a restart its Stop button says the run is over). A run may
hold something for its end: the agreed words of a request past the couple's balance, which are
released when the breathing ends or stops (and, should the run be lost, by their own due time)."""

from __future__ import annotations

import contextlib
import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import ContextTypes, Job, JobQueue

from bot import callbacks, keyboards, texts
from bot.clock import RUN_HOWEVER_LATE, Clock
from bot.config import Settings
from bot.db import Database
from bot.services import balance, comfort, soothing

log = logging.getLogger(__name__)

STEP = "breathe:"  # the name of a step's job, before the run's id


@dataclass
class Run:
    id: int
    chat_id: int
    message_id: int
    step: int = 0
    # (person id, outbox row): words to release when the breathing ends.
    release: tuple[int, int] | None = None
    next_step: Job[Any] | None = None


class Breathing:
    def __init__(
        self,
        jobs: JobQueue[Any],
        db: Database,
        clock: Clock,
        settings: Settings,
        rng: random.Random,
    ) -> None:
        self._settings = settings  # BREATHE_SECONDS: each step's length
        self.runs: dict[int, Run] = {}  # the runs going on, by id
        self.stepping = 0  # steps being shown this moment
        self._jobs = jobs
        self._db = db
        self._clock = clock
        self._rng = rng

    @property
    def length(self) -> timedelta:
        return timedelta(seconds=soothing.STEPS * self._settings.breathe_seconds)

    def new_id(self) -> int:
        """For the Stop button of a run about to start."""
        return self._rng.randrange(1, callbacks.MAX_ID)

    def begin(
        self, run_id: int, chat_id: int, message_id: int, release: tuple[int, int] | None = None
    ) -> None:
        """Guide the breathing shown in `message_id` (its first step already on screen)."""
        run = Run(run_id, chat_id, message_id, release=release)
        self.runs[run_id] = run
        self._plan(run)

    async def stop(self, run_id: int, chat_id: int) -> bool:
        """Stop pressed: False if no such run is going on in this chat."""
        run = self.runs.get(run_id)
        if run is None or run.chat_id != chat_id:
            return False
        await self._finish(run)
        return True

    @property
    def steps_planned(self) -> int:
        """Steps waiting in the JobQueue for their moment."""
        return sum(1 for job in self._jobs.jobs() if (job.name or "").startswith(STEP))

    def _plan(self, run: Run) -> None:
        run.next_step = self._jobs.run_once(
            self._step,
            when=self._settings.breathe_seconds,
            data=run,
            name=f"{STEP}{run.id}",
            job_kwargs=RUN_HOWEVER_LATE,  # a stalled run still ends, and releases its words
        )

    async def _step(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.job is not None
        run: Run = context.job.data  # type: ignore[assignment]
        run.next_step = None
        if self.runs.get(run.id) is not run:
            return  # stopped just as this step fell due
        self.stepping += 1
        try:
            await self._next(context.bot, run)
        finally:
            self.stepping -= 1

    async def _next(self, bot: Bot, run: Run) -> None:
        run.step += 1
        done = run.step >= soothing.STEPS
        try:
            await self._show(bot, run, done)
        except TelegramError as exc:  # the message is gone, or the chat: the run ends quietly
            log.info("breathing stopped: %s", exc.message)
            done = True
        if self.runs.get(run.id) is not run:
            return  # Stop was pressed while this step was being shown: that ended the run
        if done:
            await self._finish(run)
            if run.step >= soothing.STEPS:  # breathed to the end: "I'm okay now" may follow
                async with self._db.transaction() as session:
                    await comfort.offer_okay_in_chat(session, run.chat_id, self._clock.now())
        else:
            self._plan(run)

    @staticmethod
    async def _show(bot: Bot, run: Run, done: bool) -> None:
        if done:
            await bot.edit_message_text(
                texts.BREATHE_DONE, run.chat_id, run.message_id, reply_markup=keyboards.steadier()
            )
        else:
            await bot.edit_message_text(
                soothing.frame(run.step),
                run.chat_id,
                run.message_id,
                reply_markup=keyboards.breathing_stop(run.id),
            )

    async def _finish(self, run: Run) -> None:
        self.runs.pop(run.id, None)
        if run.next_step is not None:  # Stop: the step planned next never comes
            with contextlib.suppress(JobLookupError):  # (it may be starting this instant)
                run.next_step.schedule_removal()
            run.next_step = None
        if run.release is None:
            return
        person_id, delivery_id = run.release
        async with self._db.transaction() as session:
            await balance.release_for(session, person_id, delivery_id, self._clock.now())
