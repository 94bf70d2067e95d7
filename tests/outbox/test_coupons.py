"""Coupon codes won without an inline reply, and notices the day before a coupon's last day."""

from __future__ import annotations

from datetime import UTC, datetime, time

from app.bootstrap import Core
from core.model import Channel
from core.ports import Sender
from tests.conftest import FakeClock
from tests.fakes.twilio_api import FakeTwilio
from tests.helpers import spec, sure_win
from tests.outbox.conftest import dispatcher, outbox_rows, reminders, sms_player

PLAYER = "+85291230001"
STAFF = "+85261230001"


async def test_a_code_won_through_the_admin_api_is_texted_to_its_owner_once(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    await services.campaigns.create(spec(sure_win(valid_days=7)))
    await sms_player(services, clock, PLAYER)  # texted us yesterday
    result = await services.draws.draw(PLAYER, Channel.API)

    assert await services.outbox.enqueue_coupon(result)
    assert not await services.outbox.enqueue_coupon(result)  # a retried API call
    assert await dispatcher(services, senders).tick() == {"sent": 1}

    (sms,) = fake_twilio.messages
    assert sms.to == PLAYER
    assert result.code is not None
    assert result.code in sms.body
    assert "17 Dec 2026" in sms.body  # valid 7 days after 10 Dec, to the end of that day


async def test_a_code_won_at_night_is_sent_when_quiet_hours_end(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    await services.campaigns.create(spec(sure_win()))
    clock.set(datetime(2026, 12, 10, 15, 0, tzinfo=UTC))  # 23:00 in Hong Kong
    await sms_player(services, clock, PLAYER)
    await services.outbox.enqueue_coupon(await services.draws.draw(PLAYER, Channel.API))

    assert await dispatcher(services, senders).tick() == {}
    clock.set(datetime(2026, 12, 11, 1, 0, tzinfo=UTC))  # 09:00
    assert await dispatcher(services, senders).tick() == {"sent": 1}
    assert len(fake_twilio.messages) == 1


async def test_nothing_is_queued_for_a_draw_that_won_nothing(
    services: Core, clock: FakeClock
) -> None:
    await services.campaigns.create(spec(sure_win(total=1, daily=1)))
    await sms_player(services, clock, PLAYER)  # takes the only prize
    clock.advance(days=1)
    result = await services.draws.draw(PLAYER, Channel.API)
    assert not result.won
    assert not await services.outbox.enqueue_coupon(result)
    assert await outbox_rows(services) == []


async def test_an_expiry_notice_goes_out_the_day_before_the_last_valid_day_once(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    # Won on 10 Dec, valid 3 days: the last valid day is 13 Dec, the notice goes on 12 Dec
    # at the campaign's reminder time (10:00 in Hong Kong).
    await services.campaigns.create(spec(sure_win(valid_days=3)))
    clock.set(datetime(2026, 12, 10, 2, 0, tzinfo=UTC))
    await sms_player(services, clock, PLAYER, days_ago=0)
    (code,) = [c.code for c in await services.customers.coupons(PLAYER)]

    for moment in (
        datetime(2026, 12, 11, 2, 0, tzinfo=UTC),
        datetime(2026, 12, 12, 1, 59, tzinfo=UTC),
    ):
        clock.set(moment)
        assert (await reminders(services).tick()).expiry_notices == 0
    clock.set(datetime(2026, 12, 12, 2, 0, tzinfo=UTC))
    assert (await reminders(services).tick()).expiry_notices == 1
    clock.set(datetime(2026, 12, 12, 5, 0, tzinfo=UTC))
    assert (await reminders(services).tick()).expiry_notices == 0
    await dispatcher(services, senders).tick()

    (notice,) = [m for m in fake_twilio.messages if code in m.body]
    assert "valid until 13 Dec 2026" in notice.body


async def test_a_redeemed_coupon_gets_no_expiry_notice(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    await services.campaigns.create(spec(sure_win(valid_days=3)))
    clock.set(datetime(2026, 12, 10, 2, 0, tzinfo=UTC))
    await sms_player(services, clock, PLAYER, days_ago=0)
    await sms_player(services, clock, "+85291230002", days_ago=0)
    clock.set(datetime(2026, 12, 12, 2, 0, tzinfo=UTC))
    await services.staff.add(STAFF)
    (first,) = await services.customers.coupons(PLAYER)
    await services.redemptions.redeem(first.code, STAFF)
    assert (await reminders(services).tick()).expiry_notices == 1  # the other customer's

    # Redeemed after the notice was queued but before it went out: not sent either.
    (second,) = await services.customers.coupons("+85291230002")
    await services.redemptions.redeem(second.code, STAFF)
    await dispatcher(services, senders).tick()
    assert not [m for m in fake_twilio.messages if second.code in m.body]
    notices = [r for r in await outbox_rows(services) if r["kind"] == "expiry_notice"]
    assert [(r["status"], r["last_error"]) for r in notices] == [("skipped", "coupon redeemed")]


async def test_a_code_retried_into_quiet_hours_waits_for_the_morning(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    """Won at 20:59, the first send met a 503; the retry falls due at 21:05, in quiet hours."""
    await services.campaigns.create(spec(sure_win()))
    clock.set(datetime(2026, 12, 10, 12, 59, tzinfo=UTC))  # 20:59 in Hong Kong
    await sms_player(services, clock, PLAYER)
    await services.outbox.enqueue_coupon(await services.draws.draw(PLAYER, Channel.API))
    fake_twilio.fail_next(503)
    sending = dispatcher(services, senders, quiet_hours=(time(21, 0), time(9, 0)))
    assert await sending.tick() == {"retry": 1}

    clock.set(datetime(2026, 12, 10, 13, 5, tzinfo=UTC))  # 21:05: the retry is due
    assert await sending.tick() == {"deferred": 1}
    assert fake_twilio.messages == []
    (row,) = await outbox_rows(services)
    assert row["next_attempt_at"] == datetime(2026, 12, 11, 1, 0, tzinfo=UTC)  # 09:00
    clock.set(datetime(2026, 12, 11, 1, 0, tzinfo=UTC))
    assert await sending.tick() == {"sent": 1}
    assert len(fake_twilio.messages) == 1
