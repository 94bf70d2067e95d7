"""The day and the daily quota follow each campaign's own zone, DST included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.bootstrap import Core
from core.errors import AlreadyDrewToday
from core.model import Channel
from tests.conftest import FakeClock
from tests.helpers import spec, sure_win

HK = {"keyword": "HONGKONG", "timezone": "Asia/Hong_Kong"}
NY = {
    "keyword": "NEWYORK",
    "timezone": "America/New_York",
    "starts_at": "2026-03-01T00:00:00-05:00",
    "ends_at": "2026-12-31T00:00:00-05:00",
}


async def test_daily_quota_rolls_over_at_hong_kong_midnight_not_utc_midnight(
    services: Core, clock: FakeClock
) -> None:
    await services.campaigns.create(spec(sure_win(total=10, daily=1, **HK)))
    clock.set(datetime(2026, 12, 10, 15, 59, tzinfo=UTC))  # 23:59 local, 10 Dec
    assert (await services.draws.draw("+85291230001", Channel.SMS, "HONGKONG")).won
    assert not (await services.draws.draw("+85291230002", Channel.SMS, "HONGKONG")).won
    clock.set(datetime(2026, 12, 10, 16, 0, tzinfo=UTC))  # 00:00 local, 11 Dec; UTC still 10th
    assert (await services.draws.draw("+85291230002", Channel.SMS, "HONGKONG")).won
    days = await services.pool.fetch("SELECT day, created FROM prize_day ORDER BY day")
    assert [(str(r["day"]), r["created"]) for r in days] == [("2026-12-10", 1), ("2026-12-11", 1)]


@pytest.mark.parametrize(
    ("last_minute", "first_minute", "label"),
    [
        # Spring forward, 8 March 2026: 23:59 EST on the 7th, then 00:00 EST on the 8th.
        (datetime(2026, 3, 8, 4, 59, tzinfo=UTC), datetime(2026, 3, 8, 5, 0, tzinfo=UTC), "spring"),
        # The day after spring forward starts at 00:00 EDT (04:00 UTC).
        (
            datetime(2026, 3, 9, 3, 59, tzinfo=UTC),
            datetime(2026, 3, 9, 4, 0, tzinfo=UTC),
            "dst-day",
        ),
        # Fall back, 1 November 2026: the 2nd starts at 00:00 EST (05:00 UTC).
        (datetime(2026, 11, 2, 4, 59, tzinfo=UTC), datetime(2026, 11, 2, 5, 0, tzinfo=UTC), "fall"),
    ],
)
async def test_new_york_days_roll_over_at_local_midnight_across_dst(
    services: Core, clock: FakeClock, last_minute: datetime, first_minute: datetime, label: str
) -> None:
    await services.campaigns.create(spec(sure_win(total=10, daily=1, **NY)))
    clock.set(last_minute)
    assert (await services.draws.draw("+12125550101", Channel.SMS, "NEWYORK")).won
    with pytest.raises(AlreadyDrewToday) as refused:
        await services.draws.draw("+12125550101", Channel.SMS, "NEWYORK")
    assert refused.value.next_draw_at == first_minute
    assert not (await services.draws.draw("+12125550102", Channel.SMS, "NEWYORK")).won
    clock.set(first_minute)
    assert (await services.draws.draw("+12125550101", Channel.SMS, "NEWYORK")).won


async def test_two_campaigns_in_different_zones_keep_their_own_days(
    services: Core, clock: FakeClock
) -> None:
    await services.campaigns.create(spec(sure_win(total=10, daily=1, **HK)))
    await services.campaigns.create(spec(sure_win(total=10, daily=1, **NY)))
    clock.set(datetime(2026, 12, 10, 16, 30, tzinfo=UTC))  # HK: 11 Dec 00:30; NY: 10 Dec 11:30
    await services.draws.draw("+85291230001", Channel.SMS, "HONGKONG")
    await services.draws.draw("+85291230001", Channel.SMS, "NEWYORK")
    days = await services.pool.fetch(
        "SELECT c.keyword, d.local_day FROM draw d JOIN campaign c ON c.id = d.campaign_id"
        " ORDER BY c.keyword"
    )
    assert [(r["keyword"], str(r["local_day"])) for r in days] == [
        ("HONGKONG", "2026-12-11"),
        ("NEWYORK", "2026-12-10"),
    ]


async def test_a_draw_replayed_after_local_midnight_leaves_the_new_day_open(
    services: Core, clock: FakeClock
) -> None:
    """Won at 23:59:50, the webhook redelivered at 00:00:20: the replay is yesterday's draw."""
    await services.campaigns.create(spec(sure_win(total=10, daily=5, **HK)))
    clock.set(datetime(2026, 12, 10, 15, 59, 50, tzinfo=UTC))  # 23:59:50 local, 10 Dec
    first = await services.draws.draw("+85291230001", Channel.TELEGRAM, request_id="tg:1:77")
    clock.set(datetime(2026, 12, 10, 16, 0, 20, tzinfo=UTC))  # 00:00:20 local, 11 Dec
    again = await services.draws.draw("+85291230001", Channel.TELEGRAM, request_id="tg:1:77")
    assert (again.replayed, again.code) == (True, first.code)
    clock.set(datetime(2026, 12, 11, 1, 0, tzinfo=UTC))  # 09:00 local, 11 Dec
    today = await services.draws.draw("+85291230001", Channel.TELEGRAM, request_id="tg:1:78")
    assert today.won
    assert not today.replayed
    assert today.code != first.code
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 2
