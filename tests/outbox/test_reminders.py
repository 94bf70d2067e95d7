"""Daily reminders: who gets one, on which channel, when, and only once."""

from __future__ import annotations

from datetime import UTC, datetime

from app.bootstrap import Core
from core.model import Channel
from core.ports import Sender
from tests.conftest import FakeClock
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.twilio_api import FakeTwilio
from tests.helpers import campaign_data, spec
from tests.outbox.conftest import (
    dispatcher,
    outbox_rows,
    reminders,
    sms_player,
    telegram_player,
)

SMS_PLAYER = "+85291230001"
TG_PLAYER = "+85291230002"


async def test_a_customer_who_played_yesterday_gets_one_reminder_on_the_channel_they_used(
    services: Core,
    clock: FakeClock,
    senders: dict[Channel, Sender],
    fake_twilio: FakeTwilio,
    bot_api: FakeBotAPI,
) -> None:
    await services.campaigns.create(spec(campaign_data(reminder_time="10:00")))
    clock.set(datetime(2026, 12, 10, 2, 0, tzinfo=UTC))  # 10:00 in Hong Kong
    await sms_player(services, clock, SMS_PLAYER)
    chat_id = await telegram_player(services, clock, TG_PLAYER)

    assert (await reminders(services).tick()).reminders == 2
    assert (await reminders(services).tick()).reminders == 0  # the next tick adds nothing
    outcomes = await dispatcher(services, senders).tick()

    assert outcomes == {"sent": 2}
    (sms,) = fake_twilio.messages
    assert sms.to == SMS_PLAYER
    assert "DRAW WINTER" in sms.body
    (call,) = [c for c in bot_api.calls if c.method == "sendMessage"]
    assert int(call.params["chat_id"]) == chat_id
    assert "/draw WINTER" in call.params["text"]
    assert "reply_markup" in call.params  # a Draw button
    assert await dispatcher(services, senders).tick() == {}


async def test_no_reminder_before_the_campaigns_reminder_time(
    services: Core, clock: FakeClock
) -> None:
    await services.campaigns.create(spec(campaign_data(reminder_time="10:00")))
    clock.set(datetime(2026, 12, 10, 1, 59, tzinfo=UTC))  # 09:59 in Hong Kong
    await sms_player(services, clock, SMS_PLAYER)
    assert (await reminders(services).tick()).reminders == 0
    clock.set(datetime(2026, 12, 10, 2, 0, tzinfo=UTC))
    assert (await reminders(services).tick()).reminders == 1


async def test_no_reminder_for_those_who_drew_today_never_played_or_opted_out(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    await services.campaigns.create(spec(campaign_data(reminder_time="10:00")))
    clock.set(datetime(2026, 12, 10, 3, 0, tzinfo=UTC))
    await sms_player(services, clock, "+85291230003", days_ago=0)  # drew today
    await sms_player(services, clock, "+85291230004", days_ago=2)
    await services.customers.opt_out("+85291230004", "sms:STOP")
    await services.customers.register("+85291230005", Channel.SMS)  # never played
    await sms_player(services, clock, "+85291230006", days_ago=3)  # the only one reminded

    assert (await reminders(services).tick()).reminders == 1
    await dispatcher(services, senders).tick()
    assert [m.to for m in fake_twilio.messages] == ["+85291230006"]


async def test_a_campaign_without_reminder_time_sends_no_reminders(
    services: Core, clock: FakeClock
) -> None:
    data = campaign_data()
    del data["reminder_time"]
    await services.campaigns.create(spec(data))
    await sms_player(services, clock, SMS_PLAYER)
    assert (await reminders(services).tick()).reminders == 0


async def test_opting_out_between_enqueue_and_send_means_no_message(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    await services.campaigns.create(spec(campaign_data(reminder_time="10:00")))
    await sms_player(services, clock, SMS_PLAYER)
    assert (await reminders(services).tick()).reminders == 1
    await services.customers.opt_out(SMS_PLAYER, "sms:STOP")

    assert await dispatcher(services, senders).tick() == {"skipped": 1}
    assert fake_twilio.messages == []
    (row,) = await outbox_rows(services)
    assert (row["status"], row["last_error"]) == ("skipped", "opted out")


async def test_playing_between_enqueue_and_send_cancels_the_reminder(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    await services.campaigns.create(spec(campaign_data(reminder_time="10:00")))
    await sms_player(services, clock, SMS_PLAYER)
    await reminders(services).tick()
    await services.draws.draw(SMS_PLAYER, Channel.SMS)

    assert await dispatcher(services, senders).tick() == {"skipped": 1}
    assert fake_twilio.messages == []
    (row,) = await outbox_rows(services)
    assert row["last_error"] == "played today"


async def test_an_sms_reminder_goes_only_to_numbers_that_texted_us(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    await services.campaigns.create(spec(campaign_data(reminder_time="10:00")))
    clock.set(datetime(2026, 12, 9, 4, 0, tzinfo=UTC))
    await services.draws.draw(SMS_PLAYER, Channel.API)  # drawn for them by an operator
    clock.set(datetime(2026, 12, 10, 4, 0, tzinfo=UTC))

    assert (await reminders(services).tick()).reminders == 1
    assert await dispatcher(services, senders).tick() == {"skipped": 1}
    assert fake_twilio.messages == []
    (row,) = await outbox_rows(services)
    assert row["channel"] == "sms"
    assert "never texted us" in row["last_error"]
