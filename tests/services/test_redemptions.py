"""Rule 6: a coupon is redeemed at most once, only by staff, only before it expires."""

from __future__ import annotations

import asyncio
import asyncio as _asyncio

import pytest

from app.bootstrap import Core, open_core
from app.settings import Settings
from core.errors import NotStaff, RedemptionRefused
from core.model import Channel, RedeemStatus
from tests.conftest import FakeClock
from tests.helpers import spec, sure_win
from tests.private_redis import start_private_redis

STAFF = "+85261234567"
CUSTOMER = "+85291234567"


@pytest.fixture
async def coupon(services: Core) -> str:
    await services.campaigns.create(spec(sure_win(valid_days=2)))
    await services.staff.add(STAFF, "Till 1")
    result = await services.draws.draw(CUSTOMER, Channel.SMS)
    assert result.code is not None
    return result.code


async def attempts(services: Core) -> list[tuple[str, str]]:
    rows = await services.pool.fetch(
        "SELECT staff_phone, status FROM redemption_attempt ORDER BY id"
    )
    return [(r["staff_phone"], r["status"]) for r in rows]


async def outcome(services: Core, code: str, staff: str, request_id: str | None = None) -> str:
    """The attempt's status: "redeemed", or the refusal's reason."""
    try:
        return (await services.redemptions.redeem(code, staff, request_id)).status.value
    except RedemptionRefused as refused:
        return refused.reason


async def test_rule6_staff_redeem_a_coupon_once_and_learn_the_prize_and_masked_phone(
    services: Core, coupon: str
) -> None:
    done = await services.redemptions.redeem(coupon, STAFF)
    assert done.status is RedeemStatus.REDEEMED
    assert done.prize_name == "Free Coffee"
    assert done.masked_phone == "+85******567"
    with pytest.raises(RedemptionRefused) as again:
        await services.redemptions.redeem(coupon, STAFF)
    assert again.value.reason == "already_redeemed"
    assert again.value.redeemed_at == done.redeemed_at
    assert await attempts(services) == [(STAFF, "redeemed"), (STAFF, "already_redeemed")]


async def test_rule6_only_staff_may_redeem_and_the_refusal_is_recorded(
    services: Core, coupon: str
) -> None:
    with pytest.raises(NotStaff):
        await services.redemptions.redeem(coupon, CUSTOMER)
    assert await attempts(services) == [(CUSTOMER, "not_staff")]
    assert (
        await services.pool.fetchval("SELECT count(*) FROM coupon WHERE redeemed_at IS NOT NULL")
        == 0
    )


async def test_rule6_an_expired_coupon_cannot_be_redeemed(
    services: Core, coupon: str, clock: FakeClock
) -> None:
    clock.advance(days=3)
    assert await outcome(services, coupon, STAFF) == "expired"


async def test_rule6_typed_codes_are_normalised_before_lookup(services: Core, coupon: str) -> None:
    typed = coupon.replace("-", "").lower().replace("0", "o").replace("1", "l")
    assert await outcome(services, typed, STAFF) == "redeemed"


async def test_rule6_unknown_and_malformed_codes_are_told_apart(
    services: Core, coupon: str
) -> None:
    assert await outcome(services, "ZZZZZ-ZZZZZ", STAFF) == "unknown"
    assert await outcome(services, "hello", STAFF) == "malformed"


async def test_rule6_two_concurrent_redemptions_of_one_code_let_exactly_one_succeed(
    services: Core, coupon: str
) -> None:
    await services.staff.add("+85261234568", "Till 2")
    results = await asyncio.gather(
        *(outcome(services, coupon, s) for s in [STAFF, "+85261234568"] * 5)
    )
    statuses = sorted(results)
    assert statuses == ["already_redeemed"] * 9 + ["redeemed"]


async def test_a_retried_redemption_request_gets_its_first_answer(
    services: Core, coupon: str
) -> None:
    first, second = await asyncio.gather(
        outcome(services, coupon, STAFF, request_id="sms:SMr1"),
        outcome(services, coupon, STAFF, request_id="sms:SMr1"),
    )
    assert first == second == "redeemed"
    assert len(await attempts(services)) == 1


async def test_guessing_codes_locks_a_staff_phone_out_even_with_redis_down(
    services: Core, settings: Settings, clock: FakeClock, coupon: str
) -> None:
    for _ in range(5):
        assert await outcome(services, "AAAAA-AAAAA", STAFF) == "unknown"
    assert await outcome(services, coupon, STAFF) == "locked_out"

    server = await _asyncio.to_thread(start_private_redis)
    async with open_core(settings.model_copy(update={"redis_url": server.url}), clock=clock) as svc:
        server.stop()  # no counters at all: the recorded attempts hold the line
        assert await outcome(svc, coupon, STAFF) == "locked_out"
    clock.advance(minutes=16)
    assert await outcome(services, coupon, STAFF) == "redeemed"


async def test_twenty_simultaneous_guesses_get_five_judged_and_the_rest_locked_out(
    services: Core, coupon: str
) -> None:
    results = await asyncio.gather(
        *(outcome(services, f"AAAAA-AAAA{c}", STAFF) for c in "BCDEFGHJKMNPQRSTVWXY")
    )
    assert sorted(results) == ["locked_out"] * 15 + ["unknown"] * 5


async def test_the_lockout_window_slides_rather_than_restarting_on_the_quarter_hour(
    services: Core, coupon: str, clock: FakeClock
) -> None:
    clock.set(clock.now.replace(minute=14, second=0))  # near the end of a fixed quarter
    for _ in range(5):
        assert await outcome(services, "AAAAA-AAAAA", STAFF) == "unknown"
    clock.advance(minutes=2)  # a new fixed quarter, but only 2 of the window's 15 minutes
    assert await outcome(services, "AAAAA-AAAAB", STAFF) == "locked_out"
    clock.advance(minutes=14)
    assert await outcome(services, coupon, STAFF) == "redeemed"


async def test_guesses_recorded_while_redis_was_away_still_count_once_it_is_back(
    services: Core, coupon: str, clock: FakeClock
) -> None:
    for _ in range(5):  # what the store kept while the Redis counters could not
        await services.pool.execute(
            """INSERT INTO redemption_attempt (at, staff_phone, text, code, status)
               VALUES ($1, $2, 'AAAAA-AAAAA', 'AAAAA-AAAAA', 'unknown')""",
            clock.now,
            STAFF,
        )
    assert await outcome(services, coupon, STAFF) == "locked_out"
