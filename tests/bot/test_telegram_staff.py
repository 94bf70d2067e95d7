"""/redeem at the till: staff recognised by the phone they linked; everyone else gets a hint."""

from __future__ import annotations

from app.bootstrap import Core
from tests.bot.conftest import PHONE, STAFF_PHONE, TelegramUser
from tests.helpers import spec, sure_win


async def won_code(ann: TelegramUser, services: Core) -> str:
    await services.campaigns.create(spec(sure_win()))
    await ann.linked(PHONE)
    await ann.send("/draw")
    code: str = await services.pool.fetchval("SELECT code FROM coupon")
    return code


async def test_staff_redeem_a_code_and_see_the_prize_and_the_masked_phone(
    ann: TelegramUser, staff_member: TelegramUser, services: Core
) -> None:
    code = await won_code(ann, services)
    await services.staff.add(STAFF_PHONE, "Till 1")
    await staff_member.linked(STAFF_PHONE)
    await staff_member.send(f"/redeem {code.lower().replace('-', ' ')}")
    assert staff_member.last == f"OK: {code} redeemed. Prize: Free Coffee. Customer: +85******567."
    assert await services.pool.fetchval("SELECT redeemed_by FROM coupon") == STAFF_PHONE
    await staff_member.send(f"/redeem {code}")
    assert staff_member.last.startswith(f"ALREADY USED: {code} (Free Coffee) was redeemed on")


async def test_staff_are_told_exactly_why_a_code_is_refused(
    staff_member: TelegramUser, services: Core
) -> None:
    await services.staff.add(STAFF_PHONE)
    await staff_member.linked(STAFF_PHONE)
    await staff_member.send("/redeem ABCDE-12345")
    assert staff_member.last.startswith("NOT VALID: ABCDE-12345 is not a code we issued.")
    await staff_member.send("/redeem")
    assert staff_member.last == (
        "That is not a code. Send /redeem and the code, e.g. /redeem ABCDE-12345."
    )


async def test_a_customer_who_tries_redeem_gets_the_hint_and_the_coupon_stays_unused(
    ann: TelegramUser, services: Core
) -> None:
    code = await won_code(ann, services)
    await ann.send(f"/redeem {code}")
    assert ann.last.startswith("Sorry, I didn't get that.")
    assert await services.pool.fetchval("SELECT redeemed_at FROM coupon") is None
    status = await services.pool.fetchval("SELECT status FROM redemption_attempt")
    assert status == "not_staff"


async def test_a_redelivered_redeem_answers_as_the_first_time(
    ann: TelegramUser, staff_member: TelegramUser, services: Core
) -> None:
    code = await won_code(ann, services)
    await services.staff.add(STAFF_PHONE)
    await staff_member.linked(STAFF_PHONE)
    staff_member.api.fail_next("sendMessage", status=500)
    status, update = await staff_member.deliver(
        {"message": staff_member.message(text=f"/redeem {code}")}
    )
    assert status == 500
    status, _ = await staff_member.deliver(update)
    assert status == 200
    assert staff_member.last.startswith(f"OK: {code} redeemed.")
