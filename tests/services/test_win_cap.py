"""The win cap: past it a customer's daily draw is still recorded, but cannot win."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from app.bootstrap import Core
from core.model import Channel, DrawOutcome, DrawRecord, DrawRequest
from core.replies import Wording
from db.draws import PgDrawStore
from tests.conftest import FakeClock
from tests.helpers import spec, sure_win

PHONE = "+85291234567"
ROUNDS = 10


def request(campaign_id: int, prize_id: int, day: int, channel: Channel) -> DrawRequest:
    now = datetime(2026, 12, day, 4, 0, tzinfo=UTC)
    return DrawRequest(
        campaign_id=campaign_id,
        phone=PHONE,
        local_day=date(2026, 12, day),
        channel=channel,
        request_id=f"{channel.value}:{day}",
        entry="E" * 24,  # whatever decided the band: here the test picks the prize itself
        u=0.0,
        odds="test",
        picked_prize_id=prize_id,
        code=f"CODE{channel.value[:2].upper()}{day:02d}",
        expires_at=now + timedelta(days=30),
        now=now,
    )


@pytest.mark.parametrize("round_", range(ROUNDS))
async def test_50_concurrent_draws_by_one_customer_on_two_channels_never_pass_the_cap(
    services: Core, round_: int
) -> None:
    # A small daily quota: days are made in any order here, and a day made ahead holds its
    # units out of the total (1,000) until it is past, which would sell out later-made days.
    campaign = await services.campaigns.create(spec(sure_win(daily=5, max_wins_per_customer=3)))
    prize = campaign.prizes[0]
    store = PgDrawStore(services.pool, command_timeout=60)
    # 25 days, each drawn at once by SMS and by Telegram: 50 draws in flight together.
    requests = [
        request(campaign.id, prize.id, day, channel)
        for day in range(1, 26)
        for channel in (Channel.SMS, Channel.TELEGRAM)
    ]
    records: list[DrawRecord] = await asyncio.gather(*(store.record_draw(r) for r in requests))
    fresh = [r for r in records if not r.already]
    assert len(fresh) == 25  # one draw a day, whichever channel came first
    assert sum(r.outcome is DrawOutcome.WON for r in fresh) == 3
    assert sum(r.outcome is DrawOutcome.WIN_CAPPED for r in fresh) == 22
    assert await services.pool.fetchval("SELECT count(*) FROM coupon") == 3
    assert await services.pool.fetchval("SELECT count(*) FROM draw WHERE win_capped") == 22


async def test_a_capped_customer_still_draws_daily_and_is_told_why_nothing_can_be_won(
    services: Core, clock: FakeClock
) -> None:
    await services.campaigns.create(spec(sure_win(max_wins_per_customer=1)))
    assert (await services.draws.draw(PHONE, Channel.SMS)).won
    clock.advance(days=1)
    capped = await services.draws.draw(PHONE, Channel.TELEGRAM, request_id="tg:1")
    assert capped.outcome is DrawOutcome.WIN_CAPPED
    assert "most wins allowed" in Wording().draw(capped)
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 2
    # A retried update gets the same answer; another customer still wins.
    replayed = await services.draws.draw(PHONE, Channel.TELEGRAM, request_id="tg:1")
    assert replayed.outcome is DrawOutcome.WIN_CAPPED
    assert (await services.draws.draw("+85291234568", Channel.SMS)).won


async def test_without_a_cap_a_customer_wins_every_day(services: Core, clock: FakeClock) -> None:
    await services.campaigns.create(spec(sure_win()))
    for _ in range(5):
        assert (await services.draws.draw(PHONE, Channel.SMS)).won
        clock.advance(days=1)
