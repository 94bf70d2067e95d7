"""PRODUCT.md "Rules of the draw", one test (at least) per rule, on real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from app.bootstrap import Core
from core.errors import AlreadyDrewToday
from core.model import Channel, DrawOutcome
from tests.conftest import FakeClock, forget_redis
from tests.helpers import campaign_data, spec, sure_loss, sure_win


async def test_rule1_the_same_phone_by_sms_and_telegram_is_one_customer(services: Core) -> None:
    await services.campaigns.create(spec(sure_loss()))
    await services.draws.draw("+85291234567", Channel.SMS)
    with pytest.raises(AlreadyDrewToday):
        await services.draws.draw("+85291234567", Channel.TELEGRAM)
    assert await services.pool.fetchval("SELECT count(*) FROM customer") == 1


async def test_rule2_one_draw_per_customer_per_campaign_local_day(
    services: Core, clock: FakeClock
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    # 23:30 in Hong Kong on 10 December
    clock.set(datetime(2026, 12, 10, 15, 30, tzinfo=UTC))
    await services.draws.draw("+85291234567", Channel.SMS)
    with pytest.raises(AlreadyDrewToday) as refused:
        await services.draws.draw("+85291234567", Channel.SMS)
    assert refused.value.next_draw_at == datetime(2026, 12, 10, 16, 0, tzinfo=UTC)
    clock.set(datetime(2026, 12, 10, 16, 0, tzinfo=UTC))  # local midnight
    result = await services.draws.draw("+85291234567", Channel.SMS)
    assert result.outcome is DrawOutcome.NO_PRIZE
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 2


async def test_rule2_the_database_refuses_a_second_draw_when_redis_forgot_the_first(
    services: Core,
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    await services.draws.draw("+85291234567", Channel.SMS)
    await forget_redis(services)
    with pytest.raises(AlreadyDrewToday):
        await services.draws.draw("+85291234567", Channel.SMS)
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 1


async def test_rule3_a_prize_out_of_quota_means_no_prize(services: Core) -> None:
    await services.campaigns.create(spec(sure_win(total=1, daily=1)))
    first = await services.draws.draw("+85291234567", Channel.SMS)
    second = await services.draws.draw("+85291234568", Channel.SMS)
    assert first.outcome is DrawOutcome.WON
    assert second.outcome is DrawOutcome.SOLD_OUT
    assert not second.won
    assert second.code is None


async def test_rule4_daily_quota_restarts_at_local_midnight(
    services: Core, clock: FakeClock
) -> None:
    await services.campaigns.create(spec(sure_win(total=10, daily=2)))
    outcomes = [(await services.draws.draw(f"+8529123450{i}", Channel.SMS)).won for i in range(3)]
    assert outcomes == [True, True, False]
    clock.advance(days=1)
    assert (await services.draws.draw("+85291234503", Channel.SMS)).won


async def test_rule5_a_win_issues_a_unique_formatted_code_valid_to_end_of_local_day(
    services: Core, clock: FakeClock
) -> None:
    await services.campaigns.create(spec(sure_win(valid_days=7)))
    results = [await services.draws.draw(f"+8529123456{i}", Channel.SMS) for i in range(5)]
    codes = {r.code for r in results}
    assert len(codes) == 5
    assert all(c and len(c) == 11 and c[5] == "-" for c in codes)
    # issued 10 Dec (Hong Kong): valid through 17 Dec local, i.e. until 18 Dec 00:00 +08:00
    assert results[0].expires_at == datetime(2026, 12, 17, 16, 0, tzinfo=UTC)


async def test_rule7_a_retried_request_gets_the_same_answer_and_no_second_draw(
    services: Core,
) -> None:
    await services.campaigns.create(spec(sure_win()))
    first = await services.draws.draw("+85291234567", Channel.SMS, request_id="sms:SM1")
    again = await services.draws.draw("+85291234567", Channel.SMS, request_id="sms:SM1")
    assert (again.outcome, again.code) == (first.outcome, first.code)
    await forget_redis(services)  # the database alone also remembers the request
    third = await services.draws.draw("+85291234567", Channel.SMS, request_id="sms:SM1")
    assert third.code == first.code
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 1


async def test_rule7_concurrent_retries_in_flight_draw_once(services: Core) -> None:
    await services.campaigns.create(spec(sure_win()))
    results = await asyncio.gather(
        *(services.draws.draw("+85291234567", Channel.SMS, request_id="sms:SM2") for _ in range(20))
    )
    assert len({r.code for r in results}) == 1
    assert await services.pool.fetchval("SELECT count(*) FROM coupon") == 1


async def test_a_campaign_outside_its_dates_refuses_draws(services: Core, clock: FakeClock) -> None:
    from core.errors import CampaignClosed, NoActiveCampaign

    await services.campaigns.create(spec(campaign_data()))
    clock.set(datetime(2027, 1, 1, tzinfo=UTC))
    with pytest.raises(NoActiveCampaign):
        await services.draws.draw("+85291234567", Channel.SMS)
    with pytest.raises(CampaignClosed):
        await services.draws.draw("+85291234567", Channel.SMS, keyword="winter")
    clock.set(datetime(2026, 12, 10, tzinfo=UTC) - timedelta(days=30))
    with pytest.raises(CampaignClosed):
        await services.draws.draw("+85291234567", Channel.SMS, keyword="WINTER")
