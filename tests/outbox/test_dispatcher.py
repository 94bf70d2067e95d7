"""The dispatcher: retries, permanent refusals, leases, send rates."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from app.bootstrap import Core
from core.model import Channel, OutboxStatus
from core.ports import Sender
from core.retry import RetryPolicy
from db.outbox import PgOutboxStore
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

PLAYER = "+85291230001"


async def one_sms_reminder(services: Core, clock: FakeClock, phone: str = PLAYER) -> None:
    await services.campaigns.create(spec(campaign_data(reminder_time="10:00")))
    await sms_player(services, clock, phone)
    assert (await reminders(services).tick()).reminders == 1


async def test_a_provider_5xx_is_retried_with_backoff_then_the_message_is_dead(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    await one_sms_reminder(services, clock)
    fake_twilio.fail_next(500, times=3)
    sending = dispatcher(services, senders, retry=RetryPolicy(max_attempts=3, base_seconds=30))
    started = clock.now

    assert await sending.tick() == {"retry": 1}
    (row,) = await outbox_rows(services)
    # 30 s doubled per attempt, with half of it jittered (the test's jitter is mid-range).
    assert row["next_attempt_at"] == started + timedelta(seconds=22.5)
    assert await sending.tick() == {}  # not due yet

    clock.set(row["next_attempt_at"])
    assert await sending.tick() == {"retry": 1}
    (row,) = await outbox_rows(services)
    assert row["next_attempt_at"] == clock.now + timedelta(seconds=45)

    clock.set(row["next_attempt_at"])
    assert await sending.tick() == {"dead": 1}
    (row,) = await outbox_rows(services)
    assert (row["status"], row["attempts"]) == ("dead", 3)
    assert "500" in row["last_error"]
    assert fake_twilio.messages == []

    assert await services.outbox.retry_dead() == 1
    assert await sending.tick() == {"sent": 1}
    assert [m.to for m in fake_twilio.messages] == [PLAYER]


async def test_twilio_21610_opts_the_customer_out_and_the_message_is_not_retried(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    await one_sms_reminder(services, clock)
    fake_twilio.opted_out.add(PLAYER)

    assert await dispatcher(services, senders).tick() == {"skipped": 1}
    (row,) = await outbox_rows(services)
    assert row["status"] == "skipped"
    assert row["last_error"].startswith("unreachable")
    customer = await services.customers.get(PLAYER)
    assert customer is not None
    assert customer.opted_out
    clock.advance(hours=2)
    assert await dispatcher(services, senders).tick() == {}
    assert fake_twilio.messages == []


async def test_a_customer_who_blocked_the_bot_is_marked_and_not_retried(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], bot_api: FakeBotAPI
) -> None:
    await services.campaigns.create(spec(campaign_data(reminder_time="10:00")))
    chat_id = await telegram_player(services, clock, PLAYER)
    await reminders(services).tick()
    bot_api.blocked_chats.add(chat_id)

    assert await dispatcher(services, senders).tick() == {"skipped": 1}
    blocked = await services.pool.fetchval(
        "SELECT telegram_blocked_at FROM customer WHERE phone = $1", PLAYER
    )
    assert blocked is not None
    clock.advance(days=1)  # no reminder is even queued for them the next day
    assert (await reminders(services).tick()).reminders == 0
    assert await dispatcher(services, senders).tick() == {}
    assert len([c for c in bot_api.calls if c.method == "sendMessage"]) == 1


async def test_an_abandoned_claim_is_sent_after_its_lease_with_one_delivery_recorded(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    await one_sms_reminder(services, clock)
    dead_instance = PgOutboxStore(services.pool)
    (abandoned,) = await dead_instance.claim(Channel.SMS, 10, clock.now, 60, None, 10)

    assert await dispatcher(services, senders).tick() == {}  # its lease still holds
    clock.advance(seconds=61)
    assert await dispatcher(services, senders).tick() == {"sent": 1}

    # The first instance comes back to life: its claim is no longer good for anything.
    assert await dead_instance.recipient(abandoned.id, abandoned.claim, clock.now) is None
    assert not await dead_instance.settle(
        abandoned.id, abandoned.claim, OutboxStatus.SENT, clock.now, provider_id="SMzombie"
    )
    (row,) = await outbox_rows(services)
    (message,) = fake_twilio.messages
    assert (row["status"], row["provider_id"], row["attempts"]) == ("sent", message.sid, 2)


async def test_the_send_rate_is_shared_by_every_instance(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    await services.campaigns.create(spec(campaign_data(reminder_time="10:00")))
    for i in range(15):
        await sms_player(services, clock, f"+8529123{i:04d}")
    await reminders(services).tick()
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:  # records when each send was scheduled
        waits.append(seconds)

    instances = [
        dispatcher(services, senders, sleep=no_sleep, rates={Channel.SMS: 1.0}) for _ in range(2)
    ]
    outcomes = await asyncio.gather(*(d.tick() for d in instances))

    # One message a second across both instances, and no more than 10 s of slots ahead.
    assert sum(o["sent"] for o in outcomes) == 10
    assert sorted(waits) == [float(s) for s in range(1, 10)]
    assert len(fake_twilio.messages) == 10
    clock.advance(seconds=10)
    assert (await instances[0].tick())["sent"] == 5


async def test_operators_see_the_outbox_by_channel_kind_and_status(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    await services.campaigns.create(spec(campaign_data(reminder_time="10:00")))
    await sms_player(services, clock, "+85291230001")
    await sms_player(services, clock, "+85291230002")
    await reminders(services).tick()
    assert await services.outbox.depth() == 2
    fake_twilio.opted_out.add("+85291230002")
    await dispatcher(services, senders).tick()

    stats = await services.outbox.stats()
    assert {(c.channel, c.kind, c.status, c.count) for c in stats.counts} == {
        (Channel.SMS, "reminder", OutboxStatus.SENT, 1),
        (Channel.SMS, "reminder", OutboxStatus.SKIPPED, 1),
    }
    assert (stats.due_now, await services.outbox.depth()) == (0, 0)


REFUSE_SKIPS = """
CREATE FUNCTION test_refuse_skip() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the database refused this update (test)'; END $$;
CREATE TRIGGER test_refuse_skip BEFORE UPDATE ON outbox FOR EACH ROW
    WHEN (NEW.status = 'skipped') EXECUTE FUNCTION test_refuse_skip();
"""


async def test_a_failed_database_call_for_one_message_leaves_the_sends_in_flight_sent_once(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    """Twilio accepted the sends in flight: cancelling them would leave them to the lease,
    which sends them again."""
    await services.campaigns.create(spec(campaign_data(reminder_time="10:00")))
    phones = [f"+8529123{i:04d}" for i in range(4)]
    for phone in phones:
        await sms_player(services, clock, phone)
    assert (await reminders(services).tick()).reminders == 4
    await services.customers.opt_out(phones[0], "test")  # skipped at once, while others send
    fake_twilio.delay = 0.3
    await services.pool.execute(REFUSE_SKIPS)
    try:
        outcomes = await dispatcher(services, senders).tick()
    finally:
        await services.pool.execute(
            "DROP TRIGGER test_refuse_skip ON outbox; DROP FUNCTION test_refuse_skip()"
        )
    assert outcomes == {"sent": 3, "error": 1}
    clock.advance(seconds=61)  # the failed message's lease ends: it is taken again
    assert await dispatcher(services, senders).tick() == {"skipped": 1}
    assert sorted(m.to for m in fake_twilio.messages) == phones[1:]


async def test_every_attempt_at_one_sms_carries_the_same_idempotency_token(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    await one_sms_reminder(services, clock)
    fake_twilio.fail_next(500)
    sending = dispatcher(services, senders)
    assert await sending.tick() == {"retry": 1}
    (row,) = await outbox_rows(services)
    clock.set(row["next_attempt_at"])
    assert await sending.tick() == {"sent": 1}
    assert fake_twilio.idempotency_tokens == [f"outbox-{row['id']}"] * 2


async def test_a_stopped_dispatcher_finishes_its_send_in_flight_and_hands_back_the_rest(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    """SIGTERM mid-dispatch: the send Twilio is answering is recorded as sent, the messages
    still waiting for their send slot are due again at once (no lease to sit out), and no
    message goes out twice."""
    await services.campaigns.create(spec(campaign_data(reminder_time="10:00")))
    phones = [f"+8529123{i:04d}" for i in range(5)]
    for phone in phones:
        await sms_player(services, clock, phone)
    assert (await reminders(services).tick()).reminders == 5
    fake_twilio.delay = 0.5
    stopping = dispatcher(services, senders, rates={Channel.SMS: 1.0})  # one now, 4 wait
    tick = asyncio.create_task(stopping.tick())
    for _ in range(1000):  # until the first send has reached Twilio
        if fake_twilio.idempotency_tokens:
            break
        await asyncio.sleep(0.01)
    await stopping.stop()
    assert await tick == {"sent": 1, "released": 4}
    rows = await outbox_rows(services)
    assert sorted((r["status"], r["attempts"]) for r in rows) == [("pending", 0)] * 4 + [
        ("sent", 1)
    ]
    assert await stopping.tick() == {}  # a stopped dispatcher claims nothing more
    clock.advance(seconds=10)  # the send slots the stopped one had reserved have passed
    assert await dispatcher(services, senders).tick() == {"sent": 4}
    assert sorted(m.to for m in fake_twilio.messages) == phones


async def test_an_outbox_killed_mid_dispatch_loses_nothing_and_resends_only_its_sends_in_flight(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    """The instance dies (no result recorded, nothing handed back) with sends in flight:
    after the lease every message has gone out; only those in flight may go out twice, each
    time with the same idempotency key (Twilio drops the second)."""
    await services.campaigns.create(spec(campaign_data(reminder_time="10:00")))
    phones = [f"+8529124{i:04d}" for i in range(30)]
    for phone in phones:
        await sms_player(services, clock, phone)
    assert (await reminders(services).tick()).reminders == 30
    fake_twilio.delay = 0.3
    dying = asyncio.create_task(dispatcher(services, senders, max_in_flight=10).tick())
    for _ in range(1000):  # until sends are in flight
        if len(fake_twilio.idempotency_tokens) >= 5:
            break
        await asyncio.sleep(0.01)
    dying.cancel()  # killed: no settle, no release
    in_flight = len(fake_twilio.idempotency_tokens)
    await asyncio.sleep(0.5)  # Twilio finishes what it was answering
    assert await dispatcher(services, senders).tick() == {}  # their lease holds
    clock.advance(seconds=61)
    outcomes = await dispatcher(services, senders).tick()

    sent_to = [m.to for m in fake_twilio.messages]
    assert set(sent_to) == set(phones)  # nothing lost
    duplicates = len(sent_to) - len(phones)
    assert duplicates <= in_flight <= 10  # the window: one lease, the sends in flight
    assert outcomes["sent"] > 0
    rows = await outbox_rows(services)
    assert {r["status"] for r in rows} == {"sent"}
    tokens = fake_twilio.idempotency_tokens
    assert len(set(tokens)) == len(phones)  # a resend carries its first attempt's key
