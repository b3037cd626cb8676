"""The weekly picture: the couple's rhythm over the last 8 weeks — both partners' check-in moods
and the rituals they kept together — and, only for the reader, their own reassurance requests.
It never sets one partner's requests (or moods) beside the other's: moods are drawn unattributed,
in one colour, and the only per-person series is the reader's own.

`gather` builds the chart's data as a plain structure (a `Picture`: one `Day` per day, oldest
first, and the caption's one-sentence summary); `draw` draws exactly that, as a PNG with
matplotlib's headless Agg backend. Drawing is plain CPU work, so it runs in a worker thread and
uses matplotlib's object API (a Figure of its own per chart), never pyplot's global state."""

from __future__ import annotations

import asyncio
import io
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.db.models import CheckIn, Delivery, Person, QuestionRound, ReassuranceRequest
from bot.services.schedule import local_date

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WEEKS = 8
DAYS = WEEKS * 7
WIDTH, HEIGHT, DPI = 1000, 600, 100  # pixels of the PNG
KEPT_KINDS = ("date", "talk")  # joint rituals that count as kept when both partners received them
REACHED = ("sent", "bundled")  # a row that reached its person, alone or in a pause's bundle
# Due and going now (not waiting out quiet hours): the talk that brings the digest counts.
ON_ITS_WAY = ("pending", "sending")
STEADIER = 0.5  # a change of the week's mean mood by this much reads as steadier / heavier


@dataclass(frozen=True)
class Day:
    day: date
    moods: tuple[int, ...] = ()  # both partners' check-in moods that day, unattributed, sorted
    checkins_together: int = 0  # 1 when both partners checked in that day
    rituals_together: int = 0  # dates and talks both received, question rounds both answered
    my_requests: int = 0  # the reader's own 💛 taps — no one else's

    @property
    def together(self) -> int:
        return self.checkins_together + self.rituals_together


@dataclass(frozen=True)
class Picture:
    start: date  # the first day of the oldest week; days[i].day == start + i days
    days: tuple[Day, ...]  # DAYS of them, oldest first: the one date axis both panels share
    summary: str  # one sentence for the caption, for people who don't read charts

    def week(self, index: int) -> tuple[Day, ...]:
        """The days of week `index` (0 the oldest, WEEKS - 1 this week)."""
        return self.days[index * 7 : (index + 1) * 7]


def _mean(days: tuple[Day, ...]) -> float | None:
    moods = [m for d in days for m in d.moods]
    return sum(moods) / len(moods) if moods else None


def summarise(days: tuple[Day, ...]) -> str:
    """The caption's sentence: this week's mood against last week's, and what was kept together."""
    this, last = days[-7:], days[-14:-7]
    now, before = _mean(this), _mean(last)
    trend = None
    if now is not None and before is not None:
        if now - before >= STEADIER:
            trend = texts.PICTURE_STEADIER
        elif before - now >= STEADIER:
            trend = texts.PICTURE_HEAVIER
        else:
            trend = texts.PICTURE_EVEN
    checkins = sum(d.checkins_together for d in this)
    rituals = sum(d.rituals_together for d in this)
    return texts.picture_summary(trend, checkins, rituals, any(d.moods for d in this))


async def gather(session: AsyncSession, person: Person, now: datetime) -> Picture | None:
    """The couple's last 8 weeks, day boundaries on the reader's clock."""
    if person.couple_id is None:
        return None
    couple = person.couple_id
    partners = set(await session.scalars(select(Person.id).where(Person.couple_id == couple)))
    if len(partners) != 2:
        return None
    zone = person.timezone
    start = local_date(now, zone) - timedelta(days=DAYS - 1)
    since = now - timedelta(days=DAYS + 1)

    def index(instant: datetime) -> int | None:
        i = (local_date(instant, zone) - start).days
        return i if 0 <= i < DAYS else None

    moods: list[list[int]] = [[] for _ in range(DAYS)]
    who: list[set[int]] = [set() for _ in range(DAYS)]
    for checkin in await session.scalars(
        select(CheckIn).where(CheckIn.couple_id == couple, CheckIn.created_at > since)
    ):
        i = index(checkin.created_at)
        if i is not None and checkin.person_id in partners:
            moods[i].append(checkin.mood)
            who[i].add(checkin.person_id)
    rituals = [0] * DAYS
    kept = await session.execute(  # one occurrence of a date or talk that reached both
        select(Delivery.occurrence_at)
        .where(
            Delivery.couple_id == couple,
            Delivery.kind.in_(KEPT_KINDS),
            or_(
                Delivery.status.in_(REACHED),
                and_(Delivery.status.in_(ON_ITS_WAY), Delivery.due_at <= now),
            ),
            Delivery.occurrence_at > since,
        )
        .group_by(Delivery.ritual_id, Delivery.occurrence_at)
        .having(func.count(Delivery.recipient_id.distinct()) == 2)
    )
    for (occurrence,) in kept:
        i = index(occurrence) if occurrence is not None else None
        if i is not None:
            rituals[i] += 1
    for revealed in await session.scalars(  # a question both answered
        select(QuestionRound.revealed_at).where(
            QuestionRound.couple_id == couple, QuestionRound.revealed_at > since
        )
    ):
        i = index(revealed) if revealed is not None else None
        if i is not None:
            rituals[i] += 1
    mine = [0] * DAYS
    for created in await session.scalars(
        select(ReassuranceRequest.created_at).where(
            ReassuranceRequest.requester_id == person.id,
            ReassuranceRequest.created_at > since,
        )
    ):
        i = index(created)
        if i is not None:
            mine[i] += 1
    days = tuple(
        Day(
            start + timedelta(days=i),
            tuple(sorted(moods[i])),
            int(who[i] == partners),
            rituals[i],
            mine[i],
        )
        for i in range(DAYS)
    )
    return Picture(start, days, summarise(days))


def draw(picture: Picture) -> bytes:
    """The PNG, WIDTH × HEIGHT pixels."""
    out = io.BytesIO()
    figure(picture).savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def figure(picture: Picture) -> Figure:
    """The chart: exactly the picture's days, two panels on one date axis."""
    # Imported on first use: matplotlib costs half a second at start-up, for a weekly picture.
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    chart = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(chart)
    top, bottom = chart.subplots(2, 1, height_ratios=(3, 2), sharex=True)
    x = range(len(picture.days))
    # The couple's moods: every check-in a dot, one colour, no names; a line through each day's mean.
    dots = [(i, m) for i, d in enumerate(picture.days) for m in d.moods]
    top.scatter(
        [i for i, _ in dots], [m for _, m in dots], s=22, color="#d4a017", alpha=0.6, zorder=3
    )
    # A gap where no one checked in: no line drawn across days that have nothing to say.
    means = [sum(d.moods) / len(d.moods) if d.moods else math.nan for d in picture.days]
    top.plot(list(x), means, color="#b8860b", linewidth=1.5)
    top.set_ylim(0.5, 5.5)
    top.set_yticks([1, 2, 3, 4, 5])
    top.set_title(texts.CHART_MOOD, fontsize=11)
    top.grid(alpha=0.3)
    # Rituals kept together, and the reader's own requests beside them (never the partner's).
    width = 0.4
    bottom.bar(
        [i - width / 2 for i in x],
        [d.together for d in picture.days],
        width,
        color="#5a9e6f",
        label=texts.CHART_TOGETHER,
    )
    bottom.bar(
        [i + width / 2 for i in x],
        [d.my_requests for d in picture.days],
        width,
        color="#4a7ab5",
        label=texts.CHART_MY_REQUESTS,
    )
    bottom.set_ylim(0, max(3, *(max(d.together, d.my_requests) for d in picture.days)) + 0.5)
    bottom.yaxis.get_major_locator().set_params(integer=True)
    bottom.set_title(texts.CHART_RHYTHM, fontsize=11)
    bottom.grid(axis="y", alpha=0.3)
    bottom.legend(loc="upper left", fontsize=9)
    # One axis for both: a tick at the start of each week, whatever there is to draw.
    bottom.set_xlim(-0.5, len(picture.days) - 0.5)
    bottom.set_xticks([w * 7 for w in range(len(picture.days) // 7)])
    bottom.set_xticklabels([texts.chart_date(d.day) for d in picture.days[::7]])
    chart.suptitle(texts.CHART_TITLE, fontsize=13)
    chart.tight_layout()
    return chart


async def render(picture: Picture) -> bytes:
    return await asyncio.to_thread(draw, picture)
