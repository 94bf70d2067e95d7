"""The pure rules of a draw: which band a uniform value falls in, and the campaign's day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.model import Prize
from core.verify import band_index


def pick_band(prizes: Sequence[Prize], u: float) -> Prize | None:
    """The prize whose band holds `u` in [0, 1), or None for "no prize".

    Bands are laid end to end in the campaign's prize order; the rest up to 1 wins nothing.
    The published verifier's rule, so a draw and its check cannot disagree.
    """
    index = band_index([p.probability for p in prizes], u)
    return None if index is None else prizes[index]


def local_day(now: datetime, timezone: str) -> date:
    """The campaign-local calendar day of an aware instant."""
    return now.astimezone(ZoneInfo(timezone)).date()


def start_of_day(day: date, timezone: str) -> datetime:
    """The instant a local day begins (zoneinfo resolves DST gaps forward)."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(timezone))


def next_local_midnight(now: datetime, timezone: str) -> datetime:
    """When the next campaign-local day begins: daily quotas and draws reset then."""
    return start_of_day(local_day(now, timezone) + timedelta(days=1), timezone)


def coupon_expiry(now: datetime, timezone: str, valid_days: int) -> datetime:
    """Valid to the end of the local day `valid_days` after issue."""
    last_day = local_day(now, timezone) + timedelta(days=valid_days)
    return start_of_day(last_day + timedelta(days=1), timezone)
