"""Each draw's u comes from the committed day seed and the customer's entry: fixed, unrelated
between campaigns, never re-rolled by a retry or a replay."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime

import pytest

import db.proofs
from app.bootstrap import Core
from core import proof, verify
from core.errors import AlreadyDrewToday
from core.model import Channel
from db.proofs import PgProofStore
from tests.conftest import FakeClock, forget_redis
from tests.helpers import campaign_data, spec, sure_loss
from tests.proof.helpers import draw_many

DAY = date(2026, 12, 10)  # the tests' clock: noon in Hong Kong


async def expected_u(services: Core, campaign_id: int, day: date, phone: str) -> float:
    chain = await PgProofStore(services.pool).chain(campaign_id)
    assert chain is not None
    entry = proof.entry_of(chain.entry_key, phone)
    return verify.uniform(chain.seed(day), campaign_id, day, entry)


async def recorded(services: Core) -> list[tuple[str, float, date]]:
    rows = await services.pool.fetch("SELECT entry, u, local_day FROM draw ORDER BY id")
    return [(r["entry"], r["u"], r["local_day"]) for r in rows]


async def test_a_draw_records_the_u_its_day_seed_and_entry_give(services: Core) -> None:
    campaign = await services.campaigns.create(spec(campaign_data()))
    result = await services.draws.draw("+85291234567", Channel.SMS)
    [(entry, u, day)] = await recorded(services)
    assert u == await expected_u(services, campaign.id, DAY, "+85291234567")
    assert day == DAY
    assert result.reference == entry[:8]
    assert "85291234567" not in entry


async def test_a_retried_webhook_keeps_its_first_u(services: Core) -> None:
    await services.campaigns.create(spec(campaign_data()))
    first = await services.draws.draw("+85291234567", Channel.SMS, request_id="SM1")
    before = await recorded(services)
    await forget_redis(services)  # the retry reaches the database, not just Redis
    again = await services.draws.draw("+85291234567", Channel.SMS, request_id="SM1")
    assert again.replayed
    assert again.outcome is first.outcome
    assert await recorded(services) == before


async def test_a_draw_replayed_after_midnight_keeps_its_first_u(
    services: Core, clock: FakeClock
) -> None:
    campaign = await services.campaigns.create(spec(campaign_data()))
    clock.set(datetime(2026, 12, 10, 15, 59, 59, tzinfo=UTC))  # 23:59:59 in Hong Kong
    first = await services.draws.draw("+85291234567", Channel.SMS, request_id="SM1")
    clock.set(datetime(2026, 12, 10, 16, 0, 30, tzinfo=UTC))  # the next local day
    replay = await services.draws.draw("+85291234567", Channel.SMS, request_id="SM1")
    assert replay.replayed
    assert replay.outcome is first.outcome
    [(_, u, day)] = await recorded(services)
    assert day == DAY
    assert u == await expected_u(services, campaign.id, DAY, "+85291234567")


async def test_the_same_customer_gets_the_same_u_however_often_they_try(
    services: Core,
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    await services.draws.draw("+85291234567", Channel.SMS)
    for channel in (Channel.SMS, Channel.TELEGRAM):
        with pytest.raises(AlreadyDrewToday):
            await services.draws.draw("+85291234567", channel)
    assert len(await recorded(services)) == 1


async def test_two_campaigns_on_the_same_day_get_unrelated_values(services: Core) -> None:
    first = await services.campaigns.create(spec(campaign_data(keyword="ONE")))
    second = await services.campaigns.create(spec(campaign_data(keyword="TWO")))
    phones = [f"+8529{i:07d}" for i in range(400)]
    one = [await expected_u(services, first.id, DAY, p) for p in phones]
    two = [await expected_u(services, second.id, DAY, p) for p in phones]
    assert all(a != b for a, b in zip(one, two, strict=True))
    # Independent uniforms: |r| > 0.25 over 400 pairs has a probability below 1e-6.
    assert abs(statistics.correlation(one, two)) < 0.25
    # And the draws themselves use them.
    await services.draws.draw(phones[0], Channel.SMS, keyword="ONE")
    await services.draws.draw(phones[0], Channel.SMS, keyword="TWO")
    assert [u for _, u, _ in await recorded(services)] == [one[0], two[0]]


async def test_the_api_never_shows_a_seed_or_the_entry_key(services: Core) -> None:
    campaign = await services.campaigns.create(spec(campaign_data()))
    chain = await PgProofStore(services.pool).chain(campaign.id)
    assert chain is not None
    commitment = await PgProofStore(services.pool).commitment(campaign.id)
    assert commitment is not None
    assert commitment.commitment == chain.commitment.hex()
    assert commitment.first_day == date(2026, 12, 1)


async def test_the_first_draws_of_a_day_at_once_read_its_secret_chain_once(
    services: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At a day's first minute every draw misses the seed cache: they share one read and one
    walk down the chain (tens of milliseconds for a long campaign) instead of one each."""
    campaign = await services.campaigns.create(spec(campaign_data()))
    reads: list[int] = []
    read_chain = db.proofs._read_chain

    async def counted(pool: object, campaign_id: int) -> proof.SeedChain | None:
        reads.append(campaign_id)
        return await read_chain(pool, campaign_id)  # type: ignore[arg-type]

    monkeypatch.setattr(db.proofs, "_read_chain", counted)
    services.draws.drop_cached()
    await draw_many(services, 30)
    assert reads == [campaign.id]
    assert len(await recorded(services)) == 30
