"""POST /api/draws: the original `/draw`, with the same rules as every other channel."""

from __future__ import annotations

from typing import Any

import pytest

from app.bootstrap import Core
from tests.api.conftest import Client, call, error
from tests.conftest import FakeClock
from tests.helpers import campaign_data, sure_loss, sure_win

PHONE = "+85291234567"


async def _campaign(api: Client, data: dict[str, Any]) -> int:
    return int((await call(api, "POST", "/api/campaigns", 201, data))["id"])


async def test_a_draw_by_campaign_id_answers_201_with_the_coupon(api: Client) -> None:
    cid = await _campaign(api, sure_win())
    body = await call(api, "POST", "/api/draws", 201, {"phone": PHONE, "campaign_id": cid})
    assert body["campaign_id"] == cid
    assert body["outcome"] == "won"
    assert body["won"] is True
    assert body["prize_name"] == "Free Coffee"
    assert len(body["code"]) == 11
    assert body["code"][5] == "-"
    assert body["replayed"] is False
    assert body["next_draw_at"] == "2026-12-11T00:00:00+08:00"  # local midnight


async def test_a_draw_by_keyword_or_in_the_only_open_campaign(api: Client) -> None:
    await _campaign(api, sure_loss())
    by_keyword = await call(api, "POST", "/api/draws", 201, {"phone": PHONE, "keyword": "winter"})
    assert (by_keyword["outcome"], by_keyword["won"], by_keyword["code"]) == (
        "no_prize",
        False,
        None,
    )
    only = await call(api, "POST", "/api/draws", 201, {"phone": "+85291234568"})
    assert only["keyword"] == "WINTER"


async def test_a_national_number_is_read_in_the_default_region(api: Client) -> None:
    await _campaign(api, sure_win())
    await call(api, "POST", "/api/draws", 201, {"phone": "9123 4567"})
    customer = await call(api, "GET", "/api/customers/%2B85291234567", 200)
    assert customer["phone"] == PHONE
    assert customer["draws"][0]["channel"] == "api"


async def test_a_second_draw_the_same_day_is_a_conflict_and_tomorrow_is_fine(
    api: Client, clock: FakeClock
) -> None:
    cid = await _campaign(api, sure_win())
    await call(api, "POST", "/api/draws", 201, {"phone": PHONE, "campaign_id": cid})
    err = await error(api, "POST", "/api/draws", 409, {"phone": PHONE, "campaign_id": cid})
    assert err.code == "already_drew"
    assert "2026-12-11 00:00:00+08:00" in err.message
    clock.advance(days=1)
    await call(api, "POST", "/api/draws", 201, {"phone": PHONE, "campaign_id": cid})


async def test_a_retried_request_id_gets_the_first_answer_and_no_second_draw(api: Client) -> None:
    cid = await _campaign(api, sure_win())
    request = {"phone": PHONE, "campaign_id": cid, "request_id": "till-7/42"}
    first = await call(api, "POST", "/api/draws", 201, request)
    again = await call(api, "POST", "/api/draws", 200, request)
    assert again["replayed"] is True
    assert again["code"] == first["code"]
    stats = await call(api, "GET", f"/api/campaigns/{cid}/stats", 200)
    assert (stats["draws"], stats["wins"]) == (1, 1)


async def test_several_open_campaigns_need_a_keyword(api: Client) -> None:
    await _campaign(api, sure_win())
    await _campaign(api, sure_win(keyword="SPRING", name="Spring"))
    err = await error(api, "POST", "/api/draws", 400, {"phone": PHONE})
    assert (err.code, err.field) == ("keyword_needed", "keyword")
    assert "SPRING, WINTER" in err.message


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"phone": PHONE, "campaign_id": 999}, 404, "not_found"),
        ({"phone": PHONE, "keyword": "NOPE"}, 404, "not_found"),
        ({"phone": PHONE}, 404, "no_active_campaign"),
    ],
)
async def test_drawing_where_there_is_no_campaign_is_404(
    api: Client, body: dict[str, Any], status: int, code: str
) -> None:
    assert (await error(api, "POST", "/api/draws", status, body)).code == code


async def test_a_campaign_not_started_yet_is_closed(api: Client) -> None:
    data = campaign_data(starts_at="2027-01-01T00:00:00+08:00", ends_at="2027-02-01T00:00:00+08:00")
    cid = await _campaign(api, data)
    err = await error(api, "POST", "/api/draws", 409, {"phone": PHONE, "campaign_id": cid})
    assert err.code == "campaign_closed"
    assert "not started" in err.message


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "phone"),
        ({"phone": ""}, "phone"),
        ({"phone": "not a phone"}, "phone"),
        ({"phone": "+1 555"}, "phone"),
        ({"phone": 85291234567}, "phone"),
        ({"phone": PHONE, "campaign_id": 0}, "campaign_id"),
        ({"phone": PHONE, "campaign_id": "1"}, "campaign_id"),
        ({"phone": PHONE, "keyword": "W!"}, "keyword"),
        ({"phone": PHONE, "keyword": "WINTER", "campaign_id": 1}, "keyword"),
        ({"phone": PHONE, "request_id": ""}, "request_id"),
        ({"phone": PHONE, "request_id": "x" * 65}, "request_id"),
        ({"phone": PHONE, "prize": "all of them"}, "prize"),
    ],
)
async def test_an_invalid_draw_is_refused_naming_its_field_and_draws_nothing(
    api: Client, body: dict[str, Any], field: str
) -> None:
    cid = await _campaign(api, sure_win())
    err = await error(api, "POST", "/api/draws", 400, body)
    assert err.field == field, err
    assert (await call(api, "GET", f"/api/campaigns/{cid}/stats", 200))["draws"] == 0


async def test_a_won_coupon_is_queued_once_for_the_customer_and_a_loss_is_not(
    api: Client, services: Core
) -> None:
    win = await _campaign(api, sure_win())
    lose = await _campaign(api, sure_loss(keyword="SPRING", name="Spring"))
    request = {"phone": PHONE, "campaign_id": win, "request_id": "r-1"}
    body = await call(api, "POST", "/api/draws", 201, request)
    await call(api, "POST", "/api/draws", 200, request)  # a retry queues nothing more
    await call(api, "POST", "/api/draws", 201, {"phone": PHONE, "campaign_id": lose})
    rows = await services.pool.fetch(
        """SELECT o.kind, o.channel, o.body, cu.phone FROM outbox o
             JOIN customer cu ON cu.id = o.customer_id"""
    )
    assert len(rows) == 1
    assert (rows[0]["kind"], rows[0]["channel"], rows[0]["phone"]) == ("coupon", "sms", PHONE)
    assert body["code"] in rows[0]["body"]
    assert await services.outbox.depth() == 1


@pytest.mark.parametrize("other", ["customer", "campaign"])
async def test_a_request_id_reused_for_another_draw_is_a_conflict_that_leaks_nothing(
    api: Client, services: Core, other: str
) -> None:
    cid = await _campaign(api, sure_win())
    first = {"phone": PHONE, "campaign_id": cid, "request_id": "till-1"}
    won = await call(api, "POST", "/api/draws", 201, first)
    if other == "customer":
        reused = first | {"phone": "+85291234568"}
    else:
        reused = first | {"campaign_id": await _campaign(api, sure_win(keyword="SPRING"))}
    err = await error(api, "POST", "/api/draws", 409, reused)
    assert (err.code, err.field) == ("request_conflict", "request_id")
    assert won["code"] not in err.message
    # Refused for the reused id only: the same draw under its own id goes through.
    fresh = await call(api, "POST", "/api/draws", 201, reused | {"request_id": "till-2"})
    assert fresh["won"]
    assert fresh["code"] != won["code"]
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 2


def _undelivered(metrics: str) -> float:
    line = 'luckydraw_coupons_undelivered_total{channel="sms",reason="never_texted"} '
    found = [row for row in metrics.splitlines() if row.startswith(line)]
    return float(found[0].removeprefix(line)) if found else 0.0


async def test_a_won_code_that_cannot_be_texted_says_why_in_the_answer_and_is_counted(
    api: Client, services: Core, clock: FakeClock
) -> None:
    cid = await _campaign(api, sure_win())
    before = _undelivered(await (await api.get("/metrics")).text())
    body = await call(api, "POST", "/api/draws", 201, {"phone": PHONE, "campaign_id": cid})
    assert body["delivery"] == {"sms": "not sent: this number has never texted the campaign number"}
    assert _undelivered(await (await api.get("/metrics")).text()) == before + 1

    texted = "+85291234568"
    await services.sms_store.begin_inbound("SM" + "1" * 32, texted, "HELP", clock.now)
    body = await call(api, "POST", "/api/draws", 201, {"phone": texted, "campaign_id": cid})
    assert body["delivery"] == {"sms": "queued"}
    lost = await call(
        api,
        "POST",
        "/api/draws",
        201,
        {"phone": "+85291234569"}
        | {"campaign_id": await _campaign(api, sure_loss(keyword="SPRING"))},
    )
    assert lost["delivery"] is None
