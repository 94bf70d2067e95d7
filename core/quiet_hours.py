"""When an unsolicited message may go out: never inside quiet hours, in the campaign's zone.

Quiet hours are a local wall-clock span such as 21:00-09:00 (it may wrap midnight). A
message due inside them waits for the window to open, or is skipped when the day is over.
Local times are turned into instants with zoneinfo: a time that does not exist on a
spring-forward day resolves forward (02:30 New York becomes 03:30 EDT).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

QuietHours = tuple[time, time]


@dataclass(frozen=True, slots=True)
class SendWindow:
    opens: datetime  # send from here
    closes: datetime  # never at or after here (quiet hours begin, or the day ends)


def _open_spans(quiet: QuietHours) -> list[tuple[time, time | None]]:
    """The local day's open spans in order; None as an end means midnight."""
    start, end = quiet
    if start == end:
        return [(time.min, None)]
    if start > end:  # wraps midnight: 21:00-09:00 leaves 09:00-21:00 open
        return [(end, start)]
    return [(time.min, start), (end, None)]


def _at(day: date, wall: time | None, zone: ZoneInfo) -> datetime:
    if wall is None:
        return datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return datetime.combine(day, wall, tzinfo=zone)


def send_window(day: date, timezone: str, due: time, quiet: QuietHours) -> SendWindow | None:
    """The window on local `day` for a message due at local `due`; None if the day is over."""
    zone = ZoneInfo(timezone)
    for start, end in _open_spans(quiet):
        if end is None or due < end:
            return SendWindow(_at(day, max(due, start), zone), _at(day, end, zone))
    return None


def next_open(now: datetime, timezone: str, quiet: QuietHours) -> datetime:
    """`now` when outside quiet hours, else the instant they end (today or tomorrow)."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    for offset in (0, 1):
        day = local.date() + timedelta(days=offset)
        due = local.time().replace(tzinfo=None) if offset == 0 else time.min
        window = send_window(day, timezone, due, quiet)
        if window is not None:
            return max(now, window.opens)
    raise AssertionError("quiet hours never cover two whole days")
