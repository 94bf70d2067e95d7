"""Prize pacing: when a paced prize's units of a local day become winnable.

With pacing `even`, unit k of a day's n is released at a random instant inside the k-th of n
equal slices of the release window: the campaign's open hours that day, cut to its dates. The
database draws the instants (db/functions/draw.sql); this module states the same rule for the
stats, the console's schedule, the rules text and the tests.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.model import Campaign


@dataclass(frozen=True, slots=True)
class ReleaseWindow:
    opens: datetime
    closes: datetime

    def slice(self, k: int, n: int) -> tuple[datetime, datetime]:
        """The part of the window in which unit k (1-based) of n is released."""
        length = self.closes - self.opens
        return self.opens + length * (k - 1) / n, self.opens + length * k / n

    def released_at_most(self, n: int, moment: datetime) -> int:
        """Units of n that may be released by `moment`: those whose slice has begun."""
        if moment < self.opens:
            return 0
        return min(n, self._slices_passed(n, moment) + 1)

    def released_at_least(self, n: int, moment: datetime) -> int:
        """Units of n surely released by `moment`: those whose slice has ended."""
        return max(0, min(n, self._slices_passed(n, moment)))

    def _slices_passed(self, n: int, moment: datetime) -> int:
        return ((moment - self.opens) * n) // (self.closes - self.opens)


def release_window(campaign: Campaign, day: date) -> ReleaseWindow | None:
    """The window of a local day, or None when no open hour of it is inside the campaign."""
    zone = ZoneInfo(campaign.timezone)
    midnight = datetime.combine(day, time.min, tzinfo=zone)
    # Wall-clock arithmetic: 09:00 is 09:00 local on a DST day too; 24:00 is the next midnight.
    opens = max(_instant(midnight, campaign.open_hours.start), campaign.starts_at)
    closes = min(_instant(midnight, campaign.open_hours.end), campaign.ends_at)
    return ReleaseWindow(opens, closes) if opens < closes else None


def _instant(midnight: datetime, minutes: int) -> datetime:
    local = midnight + timedelta(minutes=minutes)
    # Round-trip through UTC so that the offset is the one in force at that wall time.
    return local.astimezone(ZoneInfo("UTC"))


def hour_marks(window: ReleaseWindow) -> tuple[datetime, ...]:
    """The window cut into hours from its opening: opens, opens + 1 h, ..., closes."""
    marks = [window.opens]
    while marks[-1] + timedelta(hours=1) < window.closes:
        marks.append(marks[-1] + timedelta(hours=1))
    return (*marks, window.closes)


@dataclass(frozen=True, slots=True)
class HourRelease:
    starts: datetime
    ends: datetime
    released: int  # units released by `ends` (an hour to come: as the instants stand)
    issued: int | None  # coupons issued by `ends`; None for an hour that has not begun


@dataclass(frozen=True, slots=True)
class ReleaseSchedule:
    prize: str
    units: int  # today's units
    hours: tuple[HourRelease, ...]


@dataclass(frozen=True, slots=True)
class ReleaseMarks:
    """A paced prize's figures at the end of each hour of today's window (from the store)."""

    prize_id: int
    units: int  # today's units
    made: int  # units made so far (their instants are drawn then)
    released: tuple[int, ...]  # made units whose instant is at or before each hour's end
    issued: tuple[int, ...]  # coupons issued today by each hour's end


def schedule(prize: str, window: ReleaseWindow, m: ReleaseMarks, now: datetime) -> ReleaseSchedule:
    """Today's release schedule of a paced prize, hour by hour.

    Units not made yet count as in the stats' "released so far": surely released once their
    slice has ended. (After an edit of the day, units it withdrew count where they were
    released; the cap keeps the figure within the day's units.)
    """
    marks = hour_marks(window)
    hours = []
    for i, (starts, ends) in enumerate(itertools.pairwise(marks)):
        unmade = max(0, window.released_at_least(m.units, ends) - m.made)
        hours.append(
            HourRelease(
                starts=starts,
                ends=ends,
                released=min(m.units, m.released[i] + unmade),
                issued=m.issued[i] if starts <= now else None,
            )
        )
    return ReleaseSchedule(prize, m.units, tuple(hours))
