"""Outbound SMS through the real twilio SDK against a local Twilio, behind the guard."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest

from app.bootstrap import Core
from core.errors import RecipientNotAllowed, RecipientUnreachable, SendFailed
from core.model import Channel, MessageKind, OutgoingMessage
from core.ports import Sender
from sms.sender import ConsoleSender, GuardedSender, TwilioConfig, open_sms_sender
from tests.fakes.twilio_api import FakeTwilio
from tests.helpers import spec, sure_loss
from tests.twilio_client import CUSTOMER, Twilio

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "fake-twilio-api-token"
FROM = "+85230001234"
STATUS_URL = "https://luckydraw.example.com/sms/status"


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


def config(fake: FakeTwilio, sender: str = FROM, timeout: float = 2.0) -> TwilioConfig:
    return TwilioConfig(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        sender=sender,
        status_callback_url=STATUS_URL,
        api_base=fake.base,
        timeout_seconds=timeout,
    )


@pytest.fixture
async def sender(services: Core, fake_twilio: FakeTwilio) -> AsyncIterator[Sender]:
    async with open_sms_sender(
        config(fake_twilio), services.sms_store, services.customers, frozenset({"HK"})
    ) as opened:
        yield opened


async def reminder(services: Core, phone: str = CUSTOMER) -> OutgoingMessage:
    customer = await services.customers.register(phone, Channel.SMS)
    return OutgoingMessage(
        id=1,
        customer_id=customer.id,
        channel=Channel.SMS,
        kind=MessageKind.REMINDER,
        body="Your daily draw is open: reply DRAW to play.",
        phone=phone,
    )


async def test_a_customer_who_texted_us_gets_the_message_from_our_number_with_a_callback(
    services: Core, twilio: Twilio, fake_twilio: FakeTwilio, sender: Sender
) -> None:
    await twilio.text("HELP")
    provider_id = await sender.send(await reminder(services))
    (sent,) = fake_twilio.messages
    assert provider_id == sent.sid
    assert (sent.to, sent.from_, sent.body) == (
        CUSTOMER,
        FROM,
        "Your daily draw is open: reply DRAW to play.",
    )
    assert sent.status_callback == STATUS_URL


async def test_a_customer_whose_only_text_was_draw_may_be_texted_back(
    services: Core, twilio: Twilio, fake_twilio: FakeTwilio, sender: Sender
) -> None:
    # DRAW skips the inbound log: the draw itself records that they texted us.
    await services.campaigns.create(spec(sure_loss()))
    await twilio.text("DRAW")
    assert await services.pool.fetchval("SELECT count(*) FROM sms_inbound") == 0
    await sender.send(await reminder(services))
    assert [m.to for m in fake_twilio.messages] == [CUSTOMER]


async def test_a_messaging_service_sid_is_sent_as_the_messaging_service(
    services: Core, twilio: Twilio, fake_twilio: FakeTwilio
) -> None:
    await twilio.text("HELP")
    service_sid = "MG" + "2" * 32
    async with open_sms_sender(
        config(fake_twilio, sender=service_sid),
        services.sms_store,
        services.customers,
        frozenset({"HK"}),
    ) as via_service:
        await via_service.send(await reminder(services))
    (sent,) = fake_twilio.messages
    assert (sent.from_, sent.messaging_service_sid) == (None, service_sid)


async def test_stop_then_a_reminder_attempt_sends_nothing(
    services: Core, twilio: Twilio, fake_twilio: FakeTwilio, sender: Sender
) -> None:
    await twilio.text("DRAW")
    await twilio.text("STOP")
    with pytest.raises(RecipientNotAllowed):
        await sender.send(await reminder(services))
    assert fake_twilio.messages == []


async def test_a_number_that_never_texted_us_is_never_sent_to(
    services: Core, fake_twilio: FakeTwilio, sender: Sender
) -> None:
    with pytest.raises(RecipientNotAllowed):
        await sender.send(await reminder(services))  # known from another channel only
    assert fake_twilio.messages == []


async def test_a_number_outside_the_allowed_countries_is_never_sent_to(
    services: Core, twilio: Twilio, fake_twilio: FakeTwilio, sender: Sender
) -> None:
    premium = "+447700900123"  # texted us, but from the UK
    await twilio.text("HELP", phone=premium)
    with pytest.raises(RecipientNotAllowed):
        await sender.send(await reminder(services, premium))
    assert fake_twilio.messages == []


async def test_twilio_21610_marks_the_customer_opted_out(
    services: Core, twilio: Twilio, fake_twilio: FakeTwilio, sender: Sender
) -> None:
    await twilio.text("HELP")
    fake_twilio.opted_out.add(CUSTOMER)
    with pytest.raises(RecipientUnreachable):
        await sender.send(await reminder(services))
    customer = await services.customers.get(CUSTOMER)
    assert customer is not None
    assert customer.opted_out
    source = await services.pool.fetchval("SELECT source FROM consent_event")
    assert source == "twilio:21610"
    with pytest.raises(RecipientNotAllowed):  # and is not tried again
        await sender.send(await reminder(services))


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_a_busy_or_broken_twilio_is_a_retryable_failure(
    services: Core, twilio: Twilio, fake_twilio: FakeTwilio, sender: Sender, status: int
) -> None:
    await twilio.text("HELP")
    fake_twilio.fail_next(status)
    with pytest.raises(SendFailed):
        await sender.send(await reminder(services))
    customer = await services.customers.get(CUSTOMER)
    assert customer is not None
    assert not customer.opted_out


async def test_a_twilio_that_does_not_answer_in_time_is_a_retryable_failure(
    services: Core, twilio: Twilio, fake_twilio: FakeTwilio
) -> None:
    await twilio.text("HELP")
    fake_twilio.delay = 5.0
    async with open_sms_sender(
        config(fake_twilio, timeout=0.2), services.sms_store, services.customers, frozenset({"HK"})
    ) as impatient:
        with pytest.raises(SendFailed):
            await impatient.send(await reminder(services))


async def test_the_console_backend_prints_instead_of_sending(
    services: Core, twilio: Twilio
) -> None:
    await twilio.text("HELP")
    out = io.StringIO()
    console = GuardedSender(ConsoleSender(out), services.sms_store, frozenset({"HK"}))
    assert await console.send(await reminder(services)) == "console-1"
    assert out.getvalue() == (f"[sms to {CUSTOMER}] Your daily draw is open: reply DRAW to play.\n")
