"""Staff REDEEM by text: the till hears exactly why, guessers are locked out, Redis or not."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app.bootstrap import Core, open_core
from app.server import create_app
from app.settings import Settings
from core.model import Channel
from tests.conftest import FakeClock
from tests.helpers import spec, sure_win
from tests.private_redis import PrivateRedis, start_private_redis
from tests.twilio_client import CUSTOMER, STAFF, Twilio

HINT_START = "Sorry, I didn't get that."


async def won_code(services: Core) -> str:
    await services.campaigns.create(spec(sure_win(valid_days=7)))
    result = await services.draws.draw(CUSTOMER, Channel.API)
    assert result.code is not None
    return result.code


async def test_staff_redeem_names_the_prize_and_the_masked_customer_phone(
    services: Core, twilio: Twilio
) -> None:
    code = await won_code(services)
    await services.staff.add(STAFF)
    reply = (await twilio.text(f"REDEEM {code}", phone=STAFF)).reply
    assert reply == f"OK: {code} redeemed. Prize: Free Coffee. Customer: +85******567."


async def test_a_code_typed_in_lower_case_without_the_dash_is_redeemed(
    services: Core, twilio: Twilio
) -> None:
    code = await won_code(services)
    await services.staff.add(STAFF)
    reply = (await twilio.text(f"redeem {code.replace('-', '').lower()}", phone=STAFF)).reply
    assert reply.startswith(f"OK: {code} redeemed.")


async def test_redeeming_twice_says_when_it_was_already_redeemed(
    services: Core, twilio: Twilio, clock: FakeClock
) -> None:
    code = await won_code(services)
    await services.staff.add(STAFF)
    await twilio.text(f"REDEEM {code}", phone=STAFF)
    clock.advance(hours=1)
    assert (await twilio.text(f"REDEEM {code}", phone=STAFF)).reply == (
        f"ALREADY USED: {code} (Free Coffee) was redeemed on 10 Dec 12:00. "
        "Do not give the prize again."
    )


async def test_an_expired_code_is_refused_with_its_last_valid_day(
    services: Core, twilio: Twilio, clock: FakeClock
) -> None:
    code = await won_code(services)
    await services.staff.add(STAFF)
    clock.advance(days=8)
    assert (await twilio.text(f"REDEEM {code}", phone=STAFF)).reply == (
        f"EXPIRED: {code} (Free Coffee) was valid until 17 Dec 2026. Do not give the prize."
    )
    assert await services.pool.fetchval("SELECT redeemed_at FROM coupon") is None


async def test_an_unknown_or_malformed_code_is_refused(services: Core, twilio: Twilio) -> None:
    await services.campaigns.create(spec(sure_win()))
    await services.staff.add(STAFF)
    assert (await twilio.text("REDEEM ABCDE-12345", phone=STAFF)).reply == (
        "NOT VALID: ABCDE-12345 is not a code we issued. Do not give the prize."
    )
    assert (await twilio.text("REDEEM hello", phone=STAFF)).reply == (
        "That is not a code. Send REDEEM and the code, e.g. REDEEM ABCDE-12345."
    )


async def test_a_non_staff_sender_gets_exactly_the_unknown_command_answer(
    services: Core, twilio: Twilio
) -> None:
    code = await won_code(services)
    real = (await twilio.text(f"REDEEM {code}", phone="+85298765432")).body
    fake = (await twilio.text("REDEEM ABCDE-12345", phone="+85298765433")).body
    unknown = (await twilio.text("what is this", phone="+85298765434")).body
    assert real == fake == unknown
    assert HINT_START in real
    assert await services.pool.fetchval("SELECT redeemed_at FROM coupon") is None


async def test_a_retried_redeem_gets_the_same_ok_not_already_used(
    services: Core, twilio: Twilio
) -> None:
    code = await won_code(services)
    await services.staff.add(STAFF)
    first = await twilio.text(f"REDEEM {code}", phone=STAFF, sid="SMredeem1")
    retry = await twilio.text(f"REDEEM {code}", phone=STAFF, sid="SMredeem1")
    assert first.reply.startswith("OK:")
    assert retry.body == first.body


async def test_five_wrong_codes_lock_the_sender_out_even_for_a_real_code(
    services: Core, twilio: Twilio
) -> None:
    code = await won_code(services)
    await services.staff.add(STAFF)
    for n in range(5):
        reply = (await twilio.text(f"REDEEM ABCDE-1234{n}", phone=STAFF)).reply
        assert reply.startswith("NOT VALID")
    locked = (await twilio.text(f"REDEEM {code}", phone=STAFF)).reply
    assert locked == (
        "Too many invalid codes from this phone. Redeeming is paused: try again later."
    )
    assert await services.pool.fetchval("SELECT redeemed_at FROM coupon") is None


@pytest.fixture
async def private_redis_services(
    settings: Settings, clock: FakeClock
) -> AsyncIterator[tuple[Core, PrivateRedis]]:
    """The same database, but a Redis of the test's own that it may stop."""
    redis = start_private_redis()
    own_settings = settings.model_copy(update={"redis_url": redis.url})
    try:
        async with open_core(own_settings, clock=clock) as built:
            yield built, redis
    finally:
        redis.stop()


async def test_the_lockout_still_holds_with_redis_down(
    services: Core,
    settings: Settings,
    private_redis_services: tuple[Core, PrivateRedis],
) -> None:
    own, redis = private_redis_services
    code = await won_code(own)
    await own.staff.add(STAFF)
    async with TestClient(TestServer(create_app(settings, own))) as client:
        twilio = Twilio(client, settings)
        for n in range(3):
            assert (await twilio.text(f"REDEEM ABCDE-1234{n}", phone=STAFF)).reply.startswith(
                "NOT VALID"
            )
        redis.stop()
        for n in range(3, 5):
            assert (await twilio.text(f"REDEEM ABCDE-1234{n}", phone=STAFF)).reply.startswith(
                "NOT VALID"
            )
        locked = (await twilio.text(f"REDEEM {code}", phone=STAFF)).reply
    assert locked.startswith("Too many invalid codes")
    assert await own.pool.fetchval("SELECT redeemed_at FROM coupon") is None
