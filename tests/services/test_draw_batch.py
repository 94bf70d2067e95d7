"""Group commit: draws that wait while the draw calls are busy go to PostgreSQL together.

Each store here allows one draw call at a time: the first draw goes alone and the ones
started while it is in flight wait for it, then travel as one batch.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from app.bootstrap import Core
from core.deadline import Deadline
from core.errors import CodeCollision
from core.model import Channel, DrawOutcome, DrawRecord, DrawRequest
from db.draws import PgDrawStore
from tests.helpers import campaign_data, spec, sure_win

NOW = datetime(2026, 12, 10, 4, 0, tzinfo=UTC)


def request(campaign_id: int, prize_id: int, phone: str, request_id: str) -> DrawRequest:
    return DrawRequest(
        campaign_id=campaign_id,
        phone=phone,
        local_day=date(2026, 12, 10),
        channel=Channel.SMS,
        request_id=request_id,
        entry="E" * 24,
        u=0.0,
        odds="test",
        picked_prize_id=prize_id,
        code=f"CODE{request_id.upper()}",
        expires_at=NOW + timedelta(days=30),
        now=NOW,
    )


async def batched_store(
    services: Core, resent: list[str] | None = None
) -> tuple[PgDrawStore, int, int]:
    """`resent`: gets the SQLSTATE of each draw a batch did not record (what is counted)."""
    campaign = await services.campaigns.create(spec(sure_win()))
    store = PgDrawStore(
        services.pool,
        command_timeout=60,
        max_batch=32,
        max_calls=1,
        on_resent=(resent if resent is not None else []).append,
    )
    return store, campaign.id, campaign.prizes[0].id


async def test_two_draws_of_one_customer_in_one_batch_make_one_draw(services: Core) -> None:
    store, campaign, prize = await batched_store(services)
    requests = [
        request(campaign, prize, "+85291000000", "first"),  # alone: the others wait for it
        request(campaign, prize, "+85291000001", "a1"),
        request(campaign, prize, "+85291000002", "b1"),
        request(campaign, prize, "+85291000001", "a2"),  # a second draw the same day
        request(campaign, prize, "+85291000002", "b1"),  # b1 retried
    ]
    first, a1, b1, a2, b1_again = await asyncio.gather(*(store.record_draw(r) for r in requests))
    assert store.batcher.calls_by_size == {1: 1, 4: 1}
    assert first.outcome is a1.outcome is b1.outcome is DrawOutcome.WON
    assert not a1.already
    assert not b1.already
    assert a2.already
    assert a2.code == a1.code
    assert a2.first_request_id == "a1"
    assert b1_again.replayed
    assert b1_again.code == b1.code
    rows = await services.pool.fetch("SELECT request_id FROM draw ORDER BY request_id")
    assert [r["request_id"] for r in rows] == ["a1", "b1", "first"]
    assert await services.pool.fetchval("SELECT count(*) FROM coupon") == 3


async def test_one_failing_draw_leaves_the_rest_of_its_batch_recorded(services: Core) -> None:
    resent: list[str] = []
    store, campaign, prize = await batched_store(services, resent)
    taken = request(campaign, prize, "+85291000000", "taken")
    clash = request(campaign, prize, "+85291000002", "clash")
    requests = [
        taken,
        request(campaign, prize, "+85291000001", "ok1"),
        dataclasses.replace(clash, code=taken.code),  # a code already issued
        request(campaign, prize, "+85291000003", "ok2"),
    ]
    results = await asyncio.gather(
        *(store.record_draw(r) for r in requests), return_exceptions=True
    )
    # The clash was sent again alone (and failed alone): the batch carried three draws.
    assert store.batcher.calls_by_size == {1: 2, 3: 1}
    assert resent == ["23505"]
    assert isinstance(results[2], CodeCollision)
    recorded = [r for r in results if isinstance(r, DrawRecord)]
    assert [r.outcome for r in recorded] == [DrawOutcome.WON] * 3
    rows = await services.pool.fetch("SELECT request_id FROM draw ORDER BY request_id")
    assert [r["request_id"] for r in rows] == ["ok1", "ok2", "taken"]


async def test_a_batch_that_outlives_its_deadline_commits_none_of_its_draws(
    services: Core,
) -> None:
    store, campaign, prize = await batched_store(services)
    blocked_phone = "+85291000001"
    await services.pool.execute(
        "INSERT INTO customer (phone, created_at) VALUES ($1, $2)", blocked_phone, NOW
    )

    async def within(draw: DrawRequest, seconds: float) -> DrawRecord:
        return await Deadline.after(seconds).run(store.record_draw(draw))

    async with services.pool.acquire() as blocker, blocker.transaction():
        # The batch's first draw writes this customer's row: it waits for this lock.
        await blocker.execute("SELECT 1 FROM customer WHERE phone = $1 FOR UPDATE", blocked_phone)
        results = asyncio.gather(
            within(request(campaign, prize, "+85291000000", "first"), 30),
            within(request(campaign, prize, blocked_phone, "blocked"), 2),
            within(request(campaign, prize, "+85291000002", "beside"), 30),
            return_exceptions=True,
        )
        # Released once the batch's commit-by instant has passed (its earliest deadline less
        # the margin), before its caller gives up: PostgreSQL runs the batch, then refuses it
        # (on a slower machine the caller's timeout cancels it first: refused all the same).
        await asyncio.sleep(1.6)
    first, blocked, beside = await results
    assert store.batcher.calls_by_size[2] == 1
    assert isinstance(first, DrawRecord)
    assert isinstance(blocked, TimeoutError)
    await asyncio.sleep(1.0)  # anything still on its way has arrived
    rows = await services.pool.fetch("SELECT request_id FROM draw ORDER BY request_id")
    # Committed exactly when answered: the other draw of the refused batch was sent again
    # alone, within its own deadline.
    answered = ["first"] + (["beside"] if isinstance(beside, DrawRecord) else [])
    assert sorted(r["request_id"] for r in rows) == sorted(answered)


@pytest.mark.parametrize("size", [2, 60])
async def test_batches_of_any_size_keep_the_daily_quota_exact(services: Core, size: int) -> None:
    campaign = await services.campaigns.create(spec(sure_win(daily=25)))
    prize = campaign.prizes[0].id
    store = PgDrawStore(services.pool, command_timeout=60, max_batch=size, max_calls=2)
    requests = [request(campaign.id, prize, f"+852910{n:05d}", f"r{n}") for n in range(100)]
    records = await asyncio.gather(*(store.record_draw(r) for r in requests))
    assert sum(r.outcome is DrawOutcome.WON for r in records) == 25
    assert await services.pool.fetchval("SELECT count(*) FROM coupon") == 25
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 100


async def test_two_processes_batches_making_a_new_days_prizes_never_deadlock(
    services: Core,
) -> None:
    """The first wins of a day make the day's units, each under its prize's row lock. Two
    workers' batches reaching the prizes in opposite orders waited on each other until
    PostgreSQL's deadlock check (1 s) failed a draw, at every local midnight; and a draw that
    looked for a unit just before the other worker's units were committed, and at the day's
    figures just after, was told "sold out" with units left."""
    campaign = await services.campaigns.create(spec(campaign_data()))
    small, big = (p.id for p in campaign.prizes)
    resent: list[str] = []
    workers = [
        PgDrawStore(
            services.pool, command_timeout=60, max_batch=32, max_calls=1, on_resent=resent.append
        )
        for _ in range(2)
    ]
    orders = [(small, big), (big, small)]  # worker 0's batch, worker 1's
    for day in range(11, 31):  # a new day each time: no units made yet
        draws = []
        for w, order in enumerate(orders):
            # The first draw goes alone (no prize: it makes no units); the two behind it
            # go as one batch.
            for n, prize in enumerate((None, *order)):
                r = request(campaign.id, prize or 0, f"+8529{day}{w}{n:05d}", f"d{day}w{w}n{n}")
                r = dataclasses.replace(r, local_day=date(2026, 12, day))
                if prize is None:
                    r = dataclasses.replace(r, picked_prize_id=None, code=None, expires_at=None)
                draws.append(workers[w].record_draw(r))
        records = await asyncio.gather(*draws)
        assert [r.outcome for r in records] == [DrawOutcome.NO_PRIZE, *[DrawOutcome.WON] * 2] * 2
    # A draw failed in its batch (the deadlock) is sent again alone: one more single call.
    assert [w.batcher.calls_by_size for w in workers] == [{1: 20, 2: 20}, {1: 20, 2: 20}]
    assert resent == []  # before: "40P01" (deadlock detected) once per deadlock
