"""Quotas and one-draw-a-day under real concurrent draws, many times over."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from app.bootstrap import Core
from core.errors import AlreadyDrewToday
from core.model import Channel, DrawOutcome, DrawResult
from tests.conftest import FakeClock
from tests.helpers import spec, sure_win

ROUNDS = 20


async def draw_all(services: Core, phones: list[str]) -> list[DrawResult | BaseException]:
    return await asyncio.gather(
        *(services.draws.draw(p, Channel.SMS) for p in phones), return_exceptions=True
    )


async def assert_counters_agree_with_coupons(services: Core) -> None:
    """Every slot made is a coupon or still unclaimed; no day made more than its quota."""
    prizes = await services.pool.fetch(
        """SELECT p.created, p.total_quota,
                  (SELECT count(*) FROM coupon c WHERE c.prize_id = p.id) AS coupons,
                  (SELECT count(*) FROM prize_slot s WHERE s.prize_id = p.id) AS slots
             FROM prize p"""
    )
    for p in prizes:
        assert p["created"] == p["coupons"] + p["slots"] <= p["total_quota"]
    days = await services.pool.fetch(
        """SELECT pd.created, pd.quota,
                  (SELECT count(*) FROM coupon c
                    WHERE c.prize_id = pd.prize_id AND c.issued_day = pd.day) AS coupons
             FROM prize_day pd"""
    )
    for d in days:
        assert d["coupons"] <= d["created"] <= d["quota"]


@pytest.mark.parametrize("round_", range(ROUNDS))
async def test_500_concurrent_winners_never_exceed_daily_or_total_quota(
    services: Core, clock: FakeClock, round_: int
) -> None:
    await quota_race(services, clock, round_)


@pytest.mark.parametrize("round_", range(ROUNDS))
async def test_50_concurrent_draws_by_one_customer_record_exactly_one(
    services: Core, round_: int
) -> None:
    await one_customer_race(services)


async def quota_race(services: Core, clock: FakeClock, round_: int) -> None:
    """500 customers who always win, three days running, against quotas 50 total, 20 a day."""
    await services.campaigns.create(spec(sure_win(total=50, daily=20)))
    phones = [f"+852912{round_:02d}{i:03d}" for i in range(500)]
    issued_per_day = []
    for day in range(3):
        clock.set(datetime(2026, 12, 10 + day, 4, 0, tzinfo=UTC))
        results = await draw_all(services, phones)
        assert not [r for r in results if isinstance(r, BaseException)]
        issued_per_day.append(sum(1 for r in results if isinstance(r, DrawResult) and r.won))
    assert issued_per_day == [20, 20, 10]
    days = await services.pool.fetch("SELECT created FROM prize_day ORDER BY day")
    assert [d["created"] for d in days] == [20, 20, 10]
    assert await services.pool.fetchval("SELECT count(*) FROM coupon") == 50
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 1500
    await assert_counters_agree_with_coupons(services)


async def one_customer_race(services: Core) -> None:
    """One customer's 50 simultaneous draws: one is recorded, 49 refused."""
    await services.campaigns.create(spec(sure_win()))
    results = await draw_all(services, ["+85291234567"] * 50)
    drawn = [r for r in results if isinstance(r, DrawResult)]
    refused = [r for r in results if isinstance(r, AlreadyDrewToday)]
    assert (len(drawn), len(refused)) == (1, 49)
    assert drawn[0].outcome is DrawOutcome.WON
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 1
    assert await services.pool.fetchval("SELECT count(*) FROM coupon") == 1
