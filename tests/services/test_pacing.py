"""Pacing: a paced prize's daily quota is released over the open hours, never won early."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from app.bootstrap import Core
from core.model import Campaign, CampaignSpec, Channel, DrawOutcome, DrawRequest, DrawResult
from core.pacing import release_window
from db.draws import PgDrawStore
from tests.conftest import FakeClock
from tests.helpers import paced_first_prize, spec, sure_win

HK_NOON = datetime(2026, 12, 10, 4, 0, tzinfo=UTC)
phones = (f"+8529{n:07d}" for n in range(10_000_000))


def paced_data(daily: int, **overrides: Any) -> dict[str, Any]:
    return paced_first_prize(sure_win(total=10 * daily, daily=daily, **overrides))


def paced(daily: int, **overrides: Any) -> CampaignSpec:
    return spec(paced_data(daily, **overrides))


async def wins_today(services: Core, campaign: Campaign, day: date) -> int:
    count = await services.pool.fetchval(
        "SELECT count(*) FROM coupon WHERE campaign_id = $1 AND issued_day = $2", campaign.id, day
    )
    return int(count)


async def walk_the_day(
    services: Core,
    clock: FakeClock,
    campaign: Campaign,
    day: date,
    start: datetime,
    end: datetime,
    step: timedelta,
    draws_per_step: int = 6,
) -> None:
    """Draw at each step from `start` to `end`; wins stay within what the rule has released."""
    window = release_window(campaign, day)
    assert window is not None
    n = campaign.prizes[0].daily_quota
    moment = start
    while moment <= end:
        clock.set(moment)
        results = await asyncio.gather(
            *(services.draws.draw(next(phones), Channel.SMS) for _ in range(draws_per_step))
        )
        assert all(isinstance(r, DrawResult) for r in results)
        won = await wins_today(services, campaign, day)
        # Enough draws at every step: all that is released is won, nothing more.
        assert window.released_at_least(n, moment) <= won <= window.released_at_most(n, moment)
        moment += step


async def draw_just_before(services: Core, clock: FakeClock, moment: datetime) -> None:
    """Draws at the window's last instant: the last unit is released by then."""
    clock.set(moment - timedelta(microseconds=1))
    for _ in range(2):
        await services.draws.draw(next(phones), Channel.SMS)


async def test_a_day_in_hong_kong_releases_the_quota_over_the_open_hours_only(
    services: Core, clock: FakeClock
) -> None:
    campaign = await services.campaigns.create(paced(24, open_hours="09:00-21:00"))
    day = date(2026, 12, 10)
    midnight = datetime(2026, 12, 9, 16, 0, tzinfo=UTC)
    await walk_the_day(
        services, clock, campaign, day, midnight, midnight + timedelta(hours=23, minutes=45),
        timedelta(minutes=15),
    )  # fmt: skip
    assert await wins_today(services, campaign, day) == 24
    # Nothing was won before 09:00 local, all of it by 21:00.
    first, last = await services.pool.fetchrow(
        "SELECT min(issued_at), max(issued_at) FROM coupon WHERE campaign_id = $1", campaign.id
    )
    assert first >= midnight + timedelta(hours=9)
    assert last <= midnight + timedelta(hours=21)


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2026, 3, 8), 23), (date(2026, 11, 1), 25)],
    ids=["spring-forward", "fall-back"],
)
async def test_a_dst_day_in_new_york_releases_over_its_real_length(
    services: Core, clock: FakeClock, day: date, hours: int
) -> None:
    campaign = await services.campaigns.create(
        paced(
            hours,
            keyword="NEWYORK",
            timezone="America/New_York",
            starts_at="2026-03-01T00:00:00-05:00",
            ends_at="2026-12-31T00:00:00-05:00",
        )
    )
    window = release_window(campaign, day)
    assert window is not None
    assert window.closes - window.opens == timedelta(hours=hours)  # one unit an hour
    await walk_the_day(
        services, clock, campaign, day, window.opens, window.closes - timedelta(minutes=1),
        timedelta(minutes=20),
    )  # fmt: skip
    await draw_just_before(services, clock, window.closes)
    assert await wins_today(services, campaign, day) == hours


async def test_a_campaign_starting_at_15_00_releases_its_first_day_from_15_00_to_close(
    services: Core, clock: FakeClock
) -> None:
    campaign = await services.campaigns.create(
        paced(18, starts_at="2026-12-10T15:00:00+08:00", open_hours="09:00-24:00")
    )
    day = date(2026, 12, 10)
    window = release_window(campaign, day)
    assert window is not None
    assert window.opens == datetime(2026, 12, 10, 7, 0, tzinfo=UTC)  # 15:00 local
    assert window.closes - window.opens == timedelta(hours=9)
    clock.set(window.opens)
    await services.draws.draw(next(phones), Channel.SMS)
    instants = await services.pool.fetch("SELECT released_at FROM prize_slot")
    assert all(window.opens <= r["released_at"] < window.closes for r in instants)
    await walk_the_day(
        services, clock, campaign, day, window.opens, window.closes - timedelta(minutes=1),
        timedelta(minutes=10),
    )  # fmt: skip
    await draw_just_before(services, clock, window.closes)
    assert await wins_today(services, campaign, day) == 18


async def test_a_campaign_ending_mid_day_releases_its_last_day_before_it_ends(
    services: Core, clock: FakeClock
) -> None:
    campaign = await services.campaigns.create(
        paced(12, ends_at="2026-12-10T12:00:00+08:00", open_hours="06:00-18:00")
    )
    day = date(2026, 12, 10)
    window = release_window(campaign, day)
    assert window is not None
    assert window.closes - window.opens == timedelta(hours=6)
    await walk_the_day(
        services, clock, campaign, day, window.opens, window.closes - timedelta(minutes=1),
        timedelta(minutes=10),
    )  # fmt: skip
    await draw_just_before(services, clock, window.closes)
    assert await wins_today(services, campaign, day) == 12


async def test_2000_concurrent_draws_at_09_00_win_only_what_is_released_by_09_00(
    services: Core, clock: FakeClock
) -> None:
    campaign = await services.campaigns.create(paced(1536))  # the whole day: 64 an hour
    day = date(2026, 12, 10)
    nine = datetime(2026, 12, 10, 1, 0, tzinfo=UTC)
    clock.set(nine)
    # Straight to the draw function, which holds the invariant, with time enough to queue for
    # a connection however busy the machine is (the channels' deadlines are tested elsewhere).
    store = PgDrawStore(services.pool, command_timeout=600)
    prize = campaign.prizes[0]
    requests = [
        DrawRequest(
            campaign_id=campaign.id, phone=next(phones), local_day=day, channel=Channel.SMS,
            request_id=None, entry="E" * 24, u=0.0, odds="test",  # the test picks the prize
            picked_prize_id=prize.id, code=f"PACED{n:05d}",
            expires_at=nine + timedelta(days=7), now=nine,
        )
        for n in range(2000)
    ]  # fmt: skip
    records = await asyncio.gather(*(store.record_draw(r) for r in requests))
    won = sum(1 for r in records if r.outcome is DrawOutcome.WON)
    assert {r.outcome for r in records} == {DrawOutcome.WON, DrawOutcome.NOT_RELEASED}
    window = release_window(campaign, day)
    assert window is not None
    assert won == await wins_today(services, campaign, day)
    # 576 by 09:00: more than one batch of slots (512) had to be made.
    assert window.released_at_least(1536, nine) <= won <= window.released_at_most(1536, nine)
    assert won > 512
    released_left = await services.pool.fetchval(
        "SELECT count(*) FROM prize_slot WHERE released_at <= $1", nine
    )
    assert released_left == 0
    stats = await services.campaigns.stats(campaign.id)
    assert (stats.prizes[0].issued_today, stats.prizes[0].released_today) == (won, won)


async def test_unreleased_units_of_a_past_day_go_back_to_the_total(
    services: Core, clock: FakeClock
) -> None:
    data = paced_data(10, open_hours="09:00-21:00")
    data["prizes"][0]["total_quota"] = 15
    campaign = await services.campaigns.create(spec(data))
    clock.set(datetime(2026, 12, 10, 4, 0, tzinfo=UTC))  # noon: a quarter of day one released
    for _ in range(20):
        await services.draws.draw(next(phones), Channel.SMS)
    first_day = await wins_today(services, campaign, date(2026, 12, 10))
    assert 2 <= first_day <= 3  # 3 of the 12 open hours have passed
    clock.set(datetime(2026, 12, 11, 14, 0, tzinfo=UTC))  # day two, 22:00: all released
    for _ in range(20):
        await services.draws.draw(next(phones), Channel.SMS)
    assert await wins_today(services, campaign, date(2026, 12, 11)) == 10
    clock.set(datetime(2026, 12, 12, 14, 0, tzinfo=UTC))
    for _ in range(20):
        await services.draws.draw(next(phones), Channel.SMS)
    assert await services.pool.fetchval("SELECT count(*) FROM coupon") == 15
