"""POST /api/redemptions: the original `/redeem`, on behalf of a staff phone."""

from __future__ import annotations

from typing import Any

import pytest

from app.bootstrap import Core
from tests.api.conftest import Client, call, error
from tests.conftest import FakeClock
from tests.helpers import sure_win

STAFF = "+85261234567"
CUSTOMER = "+85291234567"


async def _won_code(api: Client) -> str:
    await call(api, "POST", "/api/campaigns", 201, sure_win(valid_days=7))
    await call(api, "POST", "/api/staff", 201, {"phone": STAFF, "name": "Till 1"})
    return str((await call(api, "POST", "/api/draws", 201, {"phone": CUSTOMER}))["code"])


async def test_staff_redeem_a_coupon_once_and_see_the_masked_owner(api: Client) -> None:
    code = await _won_code(api)
    body = await call(api, "POST", "/api/redemptions", 200, {"code": code, "staff_phone": STAFF})
    assert body["status"] == "redeemed"
    assert body["code"] == code
    assert body["prize_name"] == "Free Coffee"
    assert body["customer"] == "+85******567"
    assert body["redeemed_at"] == "2026-12-10T04:00:00Z"

    err = await error(api, "POST", "/api/redemptions", 409, {"code": code, "staff_phone": STAFF})
    assert (err.code, err.field) == ("already_redeemed", "code")
    assert "2026-12-10T04:00:00+00:00" in err.message


async def test_a_code_typed_loosely_is_still_recognised(api: Client) -> None:
    code = await _won_code(api)
    loose = " " + code.lower().replace("-", "") + " "
    await call(api, "POST", "/api/redemptions", 200, {"code": loose, "staff_phone": STAFF})


async def test_an_expired_coupon_is_refused(api: Client, clock: FakeClock) -> None:
    code = await _won_code(api)
    clock.advance(days=9)
    err = await error(api, "POST", "/api/redemptions", 409, {"code": code, "staff_phone": STAFF})
    assert err.code == "expired"


async def test_a_retried_request_id_replays_the_first_answer(api: Client) -> None:
    code = await _won_code(api)
    request = {"code": code, "staff_phone": STAFF, "request_id": "r1"}
    first = await call(api, "POST", "/api/redemptions", 200, request)
    assert await call(api, "POST", "/api/redemptions", 200, request) == first


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"code": "ABCDE-FGHJK", "staff_phone": STAFF}, 404, "unknown", "code"),
        ({"code": "hello", "staff_phone": STAFF}, 400, "malformed", "code"),
        ({"code": "ABCDE-FGHJK", "staff_phone": "+85261234500"}, 403, "not_staff", "staff_phone"),
        ({"code": "ABCDE-FGHJK", "staff_phone": "12"}, 400, "invalid_phone", "staff_phone"),
        ({"staff_phone": STAFF}, 400, "invalid", "code"),
        ({"code": "", "staff_phone": STAFF}, 400, "invalid", "code"),
        ({"code": "ABCDE-FGHJK"}, 400, "invalid", "staff_phone"),
        ({"code": "ABCDE-FGHJK", "staff_phone": STAFF, "request_id": " "}, 400, "invalid",
         "request_id"),
        ({"code": "ABCDE-FGHJK", "staff_phone": STAFF, "by": "me"}, 400, "invalid", "by"),
    ],
)  # fmt: skip
async def test_a_refused_redemption_says_why_and_redeems_nothing(
    api: Client, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    await _won_code(api)
    err = await error(api, "POST", "/api/redemptions", status, body)
    assert (err.code, err.field) == (code, field)
    stats = await call(api, "GET", "/api/campaigns/1/stats", 200)
    assert stats["prizes"][0]["redeemed"] == 0


async def test_repeated_guesses_lock_the_staff_phone_out(api: Client) -> None:
    await _won_code(api)
    guess = {"code": "ABCDE-FGHJK", "staff_phone": STAFF}
    for _ in range(5):
        await error(api, "POST", "/api/redemptions", 404, guess)
    err = await error(api, "POST", "/api/redemptions", 429, guess)
    assert (err.code, err.field) == ("locked_out", "staff_phone")


async def test_a_request_id_reused_for_another_code_is_a_conflict_and_is_recorded(
    api: Client, services: Core
) -> None:
    code = await _won_code(api)
    first = {"code": code, "staff_phone": STAFF, "request_id": "r1"}
    await call(api, "POST", "/api/redemptions", 200, first)
    err = await error(api, "POST", "/api/redemptions", 409, first | {"code": "ZZZZZ-ZZZZZ"})
    assert (err.code, err.field) == ("request_conflict", "request_id")
    attempts = await services.pool.fetch("SELECT code, status FROM redemption_attempt ORDER BY id")
    assert [(a["code"], a["status"]) for a in attempts] == [
        (code, "redeemed"),
        ("ZZZZZ-ZZZZZ", "request_conflict"),
    ]
