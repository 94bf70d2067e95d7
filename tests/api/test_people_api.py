"""Customers and staff over /api."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Client, call, error
from tests.conftest import FakeClock
from tests.helpers import sure_loss, sure_win

PHONE = "+85291234567"


async def test_registering_a_customer_by_phone(api: Client) -> None:
    body = await call(api, "POST", "/api/customers", 201, {"phone": "9123 4567"})
    assert body == {"phone": PHONE, "language": None, "opted_out": False, "telegram_linked": False}
    # Again: the same customer, nothing duplicated.
    assert await call(api, "POST", "/api/customers", 201, {"phone": PHONE}) == body
    got = await call(api, "GET", "/api/customers/%2B85291234567", 200)
    assert (got["draws"], got["coupons"]) == ([], [])


async def test_a_customer_is_shown_with_their_draws_and_coupons_newest_first(
    api: Client, clock: FakeClock
) -> None:
    await call(api, "POST", "/api/campaigns", 201, sure_win(valid_days=3))
    await call(api, "POST", "/api/campaigns", 201, sure_loss(keyword="SPRING", name="Spring"))
    first = await call(api, "POST", "/api/draws", 201, {"phone": PHONE, "keyword": "WINTER"})
    await call(api, "POST", "/api/draws", 201, {"phone": PHONE, "keyword": "SPRING"})
    clock.advance(days=5)  # the first coupon has expired: it is still listed
    second = await call(api, "POST", "/api/draws", 201, {"phone": PHONE, "keyword": "WINTER"})

    got = await call(api, "GET", "/api/customers/91234567", 200)  # national: read in HK
    assert got["phone"] == PHONE
    assert [(d["campaign_name"], d["outcome"], d["code"]) for d in got["draws"]] == [
        ("Winter Lucky Draw", "won", second["code"]),
        ("Spring", "no_prize", None),
        ("Winter Lucky Draw", "won", first["code"]),
    ]
    assert [d["local_day"] for d in got["draws"]] == ["2026-12-15", "2026-12-10", "2026-12-10"]
    assert [(c["code"], c["prize_name"]) for c in got["coupons"]] == [
        (second["code"], "Free Coffee"),
        (first["code"], "Free Coffee"),
    ]
    assert got["coupons"][1]["redeemed_at"] is None


async def test_an_unknown_customer_is_404_and_a_bad_phone_400(api: Client) -> None:
    assert (await error(api, "GET", "/api/customers/%2B85291234500", 404)).code == "not_found"
    assert (await error(api, "GET", "/api/customers/hello", 400)).field == "phone"
    err = await error(api, "GET", "/api/customers/123", 400)  # digits, but no such number
    assert (err.code, err.field) == ("invalid_phone", "phone")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "phone"),
        ({"phone": "123"}, "phone"),
        ({"phone": None}, "phone"),
        ({"tel": PHONE}, "tel"),
    ],
)
async def test_an_invalid_customer_is_refused_naming_its_field(
    api: Client, body: dict[str, Any], field: str
) -> None:
    assert (await error(api, "POST", "/api/customers", 400, body)).field == field
    assert (await error(api, "GET", "/api/customers/%2B85291234567", 404)).code == "not_found"


async def test_staff_are_added_listed_renamed_and_removed(api: Client) -> None:
    added = await call(api, "POST", "/api/staff", 201, {"phone": "6123 4567", "name": "Till 1"})
    assert added == {"phone": "+85261234567", "name": "Till 1"}
    await call(api, "POST", "/api/staff", 201, {"phone": "+85261234568"})
    await call(api, "POST", "/api/staff", 201, {"phone": "+85261234567", "name": "Front till"})
    assert await call(api, "GET", "/api/staff", 200) == [
        {"phone": "+85261234567", "name": "Front till"},
        {"phone": "+85261234568", "name": None},
    ]
    assert await call(api, "DELETE", "/api/staff/%2B85261234567", 204) is None
    assert await call(api, "GET", "/api/staff", 200) == [{"phone": "+85261234568", "name": None}]
    assert (await error(api, "DELETE", "/api/staff/%2B85261234567", 404)).code == "not_found"
    assert (await error(api, "DELETE", "/api/staff/nobody", 400)).field == "phone"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"phone": "+85261234567", "name": ""}, "name"),
        ({"phone": "+85261234567", "name": "x" * 81}, "name"),
        ({"phone": "+85261234567", "role": "boss"}, "role"),
    ],
)
async def test_invalid_staff_are_refused_naming_the_field(
    api: Client, body: dict[str, Any], field: str
) -> None:
    assert (await error(api, "POST", "/api/staff", 400, body)).field == field
    assert await call(api, "GET", "/api/staff", 200) == []
