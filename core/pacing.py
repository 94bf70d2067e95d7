"""Prize pacing: when a paced prize's units of a local day become winnable.

With pacing `even`, unit k of a day's n is released at a random instant inside the k-th of n
equal slices of the release window: the campaign's open hours that day, cut to its dates. The
database draws the instants (db/functions/draw.sql); this module states the same rule for the
stats, the console's schedule, the rules text and the tests.
"""

from __future__ import annotations

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
