"""The weekly picture: the last 8 weeks of both partners' check-in moods (a point a day) and
reassurance requests (per week), drawn as a PNG with matplotlib's headless Agg backend.

Drawing is plain CPU work, so it runs in a worker thread and uses matplotlib's object API (a
Figure of its own per chart), never pyplot's global state."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.db.models import CheckIn, Person, ReassuranceRequest
from bot.services.schedule import local_date

WEEKS = 8
WIDTH, HEIGHT, DPI = 1000, 600, 100  # pixels of the PNG


@dataclass
class Series:
    name: str
    moods: dict[date, float] = field(default_factory=dict)  # day → that day's mean mood
    requests: list[int] = field(default_factory=lambda: [0] * WEEKS)  # oldest week first


@dataclass(frozen=True)
class Picture:
    start: date  # first day of the oldest week
    series: list[Series]


async def gather(session: AsyncSession, person: Person, now: datetime) -> Picture | None:
    """The couple's last 8 weeks, day boundaries on the reader's clock."""
    if person.couple_id is None:
        return None
    people = list(
        await session.scalars(
            select(Person).where(Person.couple_id == person.couple_id).order_by(Person.id)
        )
    )
    if len(people) != 2:
        return None
    today = local_date(now, person.timezone)
    start = today - timedelta(days=WEEKS * 7 - 1)
    since = now - timedelta(days=WEEKS * 7)
    series = {p.id: Series(texts.YOU if p.id == person.id else p.first_name) for p in people}
    moods: dict[tuple[int, date], list[int]] = {}
    for checkin in await session.scalars(
        select(CheckIn).where(CheckIn.couple_id == person.couple_id, CheckIn.created_at > since)
    ):
        day = local_date(checkin.created_at, person.timezone)
        if day >= start and checkin.person_id in series:
            moods.setdefault((checkin.person_id, day), []).append(checkin.mood)
    for (person_id, day), values in moods.items():
        series[person_id].moods[day] = sum(values) / len(values)
    for request in await session.scalars(
        select(ReassuranceRequest).where(
            ReassuranceRequest.couple_id == person.couple_id,
            ReassuranceRequest.created_at > since,
        )
    ):
        week = (local_date(request.created_at, person.timezone) - start).days // 7
        if 0 <= week < WEEKS and request.requester_id in series:
            series[request.requester_id].requests[week] += 1
    return Picture(start, [series[p.id] for p in people])


def draw(picture: Picture) -> bytes:
    """The PNG, WIDTH × HEIGHT pixels."""
    # Imported on first use: matplotlib costs half a second at start-up, for a weekly picture.
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, height_ratios=(3, 2))
    colours = ("#d4a017", "#4a7ab5")
    days = WEEKS * 7
    for colour, one in zip(colours, picture.series, strict=False):
        points = sorted((d - picture.start).days for d in one.moods)
        top.plot(
            points,
            [one.moods[picture.start + timedelta(days=p)] for p in points],
            marker="o",
            linewidth=1.5,
            color=colour,
            label=one.name,
        )
    top.set_xlim(-0.5, days - 0.5)
    top.set_ylim(0.5, 5.5)
    top.set_yticks([1, 2, 3, 4, 5])
    top.set_xticks([w * 7 for w in range(WEEKS)])
    weeks = [texts.chart_date(picture.start + timedelta(days=w * 7)) for w in range(WEEKS)]
    top.set_xticklabels(weeks)
    top.set_title(texts.CHART_MOOD, fontsize=11)
    top.grid(alpha=0.3)
    width = 0.4
    for index, (colour, one) in enumerate(zip(colours, picture.series, strict=False)):
        offset = (index - 0.5) * width
        bottom.bar(
            [w + offset for w in range(WEEKS)], one.requests, width, color=colour, label=one.name
        )
    bottom.set_xticks(range(WEEKS))
    bottom.set_xticklabels(weeks)
    bottom.set_title(texts.CHART_REQUESTS, fontsize=11)
    bottom.yaxis.get_major_locator().set_params(integer=True)
    bottom.grid(axis="y", alpha=0.3)
    top.legend(loc="upper left", fontsize=9)
    figure.suptitle(texts.CHART_TITLE, fontsize=13)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


async def render(picture: Picture) -> bytes:
    return await asyncio.to_thread(draw, picture)
