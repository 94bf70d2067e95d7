"""POST /sms/inbound and /sms/status as Twilio calls them: signatures, limits, retries."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer
from structlog.testing import capture_logs

from app.bootstrap import Core, open_core
from app.server import create_app
from app.settings import Settings
from tests.conftest import FakeClock
from tests.helpers import counted, spec, sure_loss, sure_win
from tests.twilio_client import CAMPAIGN_NUMBER, CUSTOMER, Twilio, new_sid

TABLES = ("customer", "draw", "coupon", "sms_inbound", "consent_event", "sms_delivery")


async def rows_written(services: Core) -> int:
    counts = [await services.pool.fetchval(f"SELECT count(*) FROM {table}") for table in TABLES]
    return sum(counts)


def inbound(body: str = "DRAW", sid: str | None = None, phone: str = CUSTOMER) -> dict[str, str]:
    return {"MessageSid": sid or new_sid(), "From": phone, "To": CAMPAIGN_NUMBER, "Body": body}


async def test_a_signed_draw_is_answered_with_twiml(services: Core, twilio: Twilio) -> None:
    await services.campaigns.create(spec(sure_win()))
    answer = await twilio.text("DRAW")
    assert answer.status == 200
    assert answer.content_type == "text/xml"
    assert answer.body.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>')
    code = answer.reply.split("Your code: ")[1][:11]
    assert await services.pool.fetchval("SELECT count(*) FROM coupon WHERE code = $1", code) == 1


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl"])
async def test_a_missing_or_wrong_signature_is_refused_and_writes_nothing(
    services: Core, twilio: Twilio, signature: str
) -> None:
    await services.campaigns.create(spec(sure_win()))
    before = counted(services.metrics.registry, "sms", "bad_signature")
    with capture_logs() as logs:
        answer = await twilio.post("/sms/inbound", inbound(), signature=signature)
    assert answer.status == 403
    assert await rows_written(services) == 0
    # A wrong PUBLIC_BASE_URL shows up here: logged with the reason, and counted.
    assert [e["reason"] for e in logs if e["event"] == "refused"] == ["bad_signature"]
    assert counted(services.metrics.registry, "sms", "bad_signature") == before + 1


async def test_a_signature_over_other_parameters_is_refused(services: Core, twilio: Twilio) -> None:
    await services.campaigns.create(spec(sure_win()))
    params = inbound("HELP")
    signed_for_help = twilio.signature("/sms/inbound", params)
    answer = await twilio.post(
        "/sms/inbound", {**params, "Body": "DRAW"}, signature=signed_for_help
    )
    assert answer.status == 403
    assert await rows_written(services) == 0


async def test_a_signature_over_the_local_url_instead_of_the_public_one_is_refused(
    services: Core, twilio: Twilio
) -> None:
    params = inbound()
    local_url = str(twilio.client.make_url("/sms/inbound"))
    signature = twilio.validator.compute_signature(local_url, params)
    assert (await twilio.post("/sms/inbound", params, signature=signature)).status == 403


async def test_without_a_twilio_auth_token_the_webhooks_answer_503(
    services: Core, settings: Settings
) -> None:
    unconfigured = settings.model_copy(update={"twilio_auth_token": None})
    async with TestClient(TestServer(create_app(unconfigured, services))) as client:
        for path in ("/sms/inbound", "/sms/status"):
            response = await client.post(path, data=inbound())
            assert response.status == 503
    assert await rows_written(services) == 0


async def test_an_oversized_body_gets_413_and_writes_nothing(
    services: Core, twilio: Twilio
) -> None:
    params = inbound("DRAW " + "x" * 70_000)
    before = counted(services.metrics.registry, "sms", "too_large")
    answer = await twilio.post("/sms/inbound", params)
    assert answer.status == 413
    assert await rows_written(services) == 0
    assert counted(services.metrics.registry, "sms", "too_large") == before + 1


@pytest.mark.parametrize(
    "raw",
    [b"Body=%FF%FE&From=%2B85291234567", b"\xff\xfe\x00garbage", b"Body=DRAW&From=%E0%A4%A"],
)
async def test_a_malformed_body_gets_4xx_and_writes_nothing(
    services: Core, twilio: Twilio, raw: bytes
) -> None:
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": "c2lnbmF0dXJl",
    }
    response = await twilio.client.post("/sms/inbound", data=raw, headers=headers)
    assert 400 <= response.status < 500
    assert await rows_written(services) == 0


@pytest.mark.parametrize("phone", ["", "not-a-number", "+1", "12345"])
async def test_a_signed_message_from_an_unparseable_number_gets_400_and_writes_nothing(
    services: Core, twilio: Twilio, phone: str
) -> None:
    answer = await twilio.post("/sms/inbound", inbound(phone=phone))
    assert answer.status == 400
    assert await rows_written(services) == 0


async def test_a_signed_message_without_a_message_sid_gets_400(
    services: Core, twilio: Twilio
) -> None:
    params = inbound()
    del params["MessageSid"]
    before = counted(services.metrics.registry, "sms", "invalid_sid")
    assert (await twilio.post("/sms/inbound", params)).status == 400
    assert await rows_written(services) == 0
    assert counted(services.metrics.registry, "sms", "invalid_sid") == before + 1


async def test_a_retried_message_sid_gets_the_same_reply_and_draws_once(
    services: Core, twilio: Twilio
) -> None:
    await services.campaigns.create(spec(sure_win()))
    sid = new_sid()
    first = await twilio.text("DRAW", sid=sid)
    retry = await twilio.text("DRAW", sid=sid)
    assert first.reply.startswith("You won")
    assert retry.body == first.body
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 1
    assert await services.pool.fetchval("SELECT count(*) FROM coupon") == 1


async def test_a_retry_arriving_while_the_first_is_in_flight_gets_the_same_reply(
    services: Core, twilio: Twilio
) -> None:
    await services.campaigns.create(spec(sure_win()))
    sid = new_sid()
    answers = await asyncio.gather(*(twilio.text("DRAW", sid=sid) for _ in range(8)))
    assert {a.body for a in answers} == {answers[0].body}
    assert answers[0].reply.startswith("You won")
    assert await services.pool.fetchval("SELECT count(*) FROM coupon") == 1


async def test_a_retry_after_the_customer_drew_again_still_gets_its_first_reply(
    services: Core, twilio: Twilio
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    sid = new_sid()
    first = await twilio.text("DRAW", sid=sid)
    await twilio.text("DRAW")  # "already drew": a different message
    await twilio.text("STOP")
    assert (await twilio.text("DRAW", sid=sid)).body == first.body


async def test_200_phones_drawing_at_once_against_a_daily_quota_of_10_win_exactly_10_codes(
    services: Core, twilio: Twilio
) -> None:
    await services.campaigns.create(spec(sure_win(total=1000, daily=10)))
    phones = [f"+8529{1_000_000 + n:07d}" for n in range(200)]
    answers = await asyncio.gather(*(twilio.text("DRAW", phone=p) for p in phones))
    assert all(a.status == 200 for a in answers)
    winners = [a.reply for a in answers if a.reply.startswith("You won")]
    codes = {reply.split("Your code: ")[1][:11] for reply in winners}
    assert len(codes) == 10
    assert sum(a.reply.startswith("No prize this time") for a in answers) == 190
    assert await services.pool.fetchval("SELECT count(*) FROM coupon") == 10


async def test_an_advanced_opt_out_stop_is_recorded_and_answered_with_empty_twiml(
    services: Core, twilio: Twilio
) -> None:
    answer = await twilio.text("STOP", OptOutType="STOP")
    assert answer.status == 200
    assert answer.messages == []
    customer = await services.customers.get(CUSTOMER)
    assert customer is not None
    assert customer.opted_out
    source = await services.pool.fetchval("SELECT source FROM consent_event")
    assert source == "twilio-advanced-opt-out:STOP"
    again = await twilio.text("START", OptOutType="START")
    assert again.messages == []
    customer = await services.customers.get(CUSTOMER)
    assert customer is not None
    assert not customer.opted_out


async def test_an_advanced_opt_out_help_adds_no_second_reply(
    services: Core, twilio: Twilio
) -> None:
    assert (await twilio.text("HELP", OptOutType="HELP")).messages == []


async def status_callback(
    twilio: Twilio, sid: str, status: str, error_code: str | None = None
) -> int:
    params = {"MessageSid": sid, "MessageStatus": status, "To": CUSTOMER, "From": CAMPAIGN_NUMBER}
    if error_code:
        params["ErrorCode"] = error_code
    return (await twilio.post("/sms/status", params)).status


async def test_status_callbacks_keep_the_furthest_delivery_status(
    services: Core, twilio: Twilio
) -> None:
    sid = new_sid()
    assert await status_callback(twilio, sid, "sent") == 204
    assert await status_callback(twilio, sid, "delivered") == 204
    assert await status_callback(twilio, sid, "sent") == 204  # late and out of order
    row = await services.pool.fetchrow("SELECT status, phone FROM sms_delivery")
    assert row is not None
    assert (row["status"], row["phone"]) == ("delivered", CUSTOMER)


async def test_an_undelivered_status_with_21610_opts_the_customer_out(
    services: Core, twilio: Twilio
) -> None:
    assert await status_callback(twilio, new_sid(), "undelivered", "21610") == 204
    customer = await services.customers.get(CUSTOMER)
    assert customer is not None
    assert customer.opted_out


async def test_unsigned_or_malformed_status_callbacks_change_nothing(
    services: Core, twilio: Twilio
) -> None:
    params = {"MessageSid": new_sid(), "MessageStatus": "delivered"}
    assert (await twilio.post("/sms/status", params, signature="")).status == 403
    assert (await twilio.post("/sms/status", {**params, "MessageStatus": "lost"})).status == 400
    assert (await twilio.post("/sms/status", {**params, "ErrorCode": "x1"})).status == 400
    assert await rows_written(services) == 0


async def test_copies_of_a_non_draw_message_in_flight_at_once_are_handled_once(
    services: Core, twilio: Twilio
) -> None:
    """Twilio retries while the first copy is still being handled: the copies wait for it."""
    await services.campaigns.create(spec(sure_loss()))
    phones = [f"+8529125{i:04d}" for i in range(20)]
    sids = [new_sid() for _ in phones]
    answers = await asyncio.gather(
        *(
            twilio.text("STOP", phone, sid=sid)
            for phone, sid in zip(phones, sids, strict=True)
            for _ in range(3)
        )
    )
    assert {a.status for a in answers} == {200}
    for i in range(len(phones)):
        assert len({a.reply for a in answers[3 * i : 3 * i + 3]}) == 1
    events = await services.pool.fetch(
        "SELECT count(*) AS n FROM consent_event GROUP BY customer_id"
    )
    assert [e["n"] for e in events] == [1] * len(phones)


async def test_a_message_whose_first_copy_died_mid_handling_is_handled_once_its_claim_ends(
    services: Core, twilio: Twilio
) -> None:
    sid = new_sid()
    await services.pool.execute(
        """INSERT INTO sms_inbound (message_sid, phone, body, received_at, handling_until)
           VALUES ($1, $2, 'STOP', now(), now() - interval '1 second')""",
        sid,
        CUSTOMER,
    )
    answer = await twilio.text("STOP", sid=sid)
    assert answer.reply.startswith("You're unsubscribed")
    assert await services.pool.fetchval("SELECT count(*) FROM consent_event") == 1


async def test_a_flood_of_texts_other_than_draw_is_stopped_before_any_database_write(
    services: Core, twilio: Twilio
) -> None:
    answers = [await twilio.text("HELP") for _ in range(25)]
    assert [a.status for a in answers] == [200] * 25
    assert answers[20].reply.startswith("You're sending messages too fast")
    assert [a.messages for a in answers[21:]] == [[]] * 4
    assert await services.pool.fetchval("SELECT count(*) FROM sms_inbound") == 20


APOLOGY = "Sorry, something went wrong on our side. Please try again in a minute."


async def test_every_command_gets_the_apology_when_postgresql_is_away(
    services: Core, settings: Settings, clock: FakeClock
) -> None:
    await services.campaigns.create(spec(sure_win()))
    async with (
        open_core(settings, clock=clock) as own,
        TestClient(TestServer(create_app(settings, own))) as client,
    ):
        twilio = Twilio(client, settings)
        own.pool.terminate()  # every database call now fails at once
        for body in ("HELP", "COUPONS", "STOP", "START", "LANG EN", "REDEEM ABCDE-FGHJK", "DRAW"):
            answer = await twilio.text(body, "+85291230077")
            assert (answer.status, answer.messages) == (200, [APOLOGY]), body
