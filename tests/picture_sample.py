"""The weekly picture in docs/weekly-picture.png, drawn from a made-up couple's 8 weeks:
`.venv/bin/python -m tests.picture_sample` redraws it."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from bot.services import insights

OUT = Path(__file__).resolve().parent.parent / "docs" / "weekly-picture.png"


def sample(today: date = date(2026, 11, 29)) -> insights.Picture:
    """Daily check-ins most days, a weekly talk and date, a few 💛 taps in a hard fortnight."""
    pick = random.Random(18)
    start = today - timedelta(days=insights.DAYS - 1)
    days = []
    for i in range(insights.DAYS):
        day = start + timedelta(days=i)
        hard = 20 <= i < 34
        base = 2 if hard else 4
        moods = tuple(
            sorted(
                max(1, min(5, base + pick.choice((-1, 0, 0, 1))))
                for _ in range(2 if pick.random() < 0.6 else pick.choice((0, 1)))
            )
        )
        days.append(
            insights.Day(
                day,
                moods,
                int(len(moods) == 2),
                int(day.weekday() in (2, 6)),
                pick.choice((1, 2, 3)) if hard and pick.random() < 0.5 else 0,
            )
        )
    return insights.Picture(start, tuple(days), insights.summarise(tuple(days)))


if __name__ == "__main__":
    picture = sample()
    OUT.write_bytes(insights.draw(picture))
    print(f"{OUT}: {picture.summary}")
