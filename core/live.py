"""The live page's projections: when does each prize's daily quota run out at today's pace?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.model import PrizeStats

RECENT_MINUTES = 30  # the pace is the wins of the last half hour


@dataclass(frozen=True, slots=True)
class SellOut:
    prize: str
    left_today: int
    at: datetime | None  # projected instant the daily quota runs out; None: lasts the day
    sold_out: bool = False


def project(prize: PrizeStats, recent_wins: int, now: datetime, day_ends: datetime) -> SellOut:
    """At the pace of the last RECENT_MINUTES, the daily quota runs out at `at`, or lasts."""
    left = max(prize.daily_quota - prize.issued_today, 0)
    if left == 0:
        return SellOut(prize.name, 0, None, sold_out=True)
    if recent_wins == 0:
        return SellOut(prize.name, left, None)
    at = now + timedelta(minutes=left * RECENT_MINUTES / recent_wins)
    return SellOut(prize.name, left, at if at < day_ends else None)
