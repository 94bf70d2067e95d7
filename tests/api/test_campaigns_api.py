"""Operators create, list, pause, resume and end campaigns over /api/campaigns."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from app.bootstrap import Core
from tests.api.conftest import Client, call, error
from tests.helpers import campaign_data


async def test_creating_a_campaign_answers_201_with_its_id_and_everything_sent(api: Client) -> None:
    body = await call(api, "POST", "/api/campaigns", 201, campaign_data())
    assert isinstance(body["id"], int)
    assert body["name"] == "Winter Lucky Draw"
    assert body["keyword"] == "WINTER"
    assert body["status"] == "active"
    assert body["reminder_time"] == "10:00"
    assert [p["name"] for p in body["prizes"]] == ["$5 Cash Coupon", "Buy 1 Get 1 Free"]
    assert body["prizes"][0]["daily_quota"] == 50
    assert await call(api, "GET", f"/api/campaigns/{body['id']}", 200) == body
    assert await call(api, "GET", "/api/campaigns", 200) == [body]


async def test_fair_play_fields_are_stored_and_answered(api: Client) -> None:
    fair = campaign_data(
        organizer="Example Bakery Ltd",
        organizer_contact="hello@example.com",
        open_hours="09:00-21:00",
        max_wins_per_customer=3,
        prizes=[_prize(pacing="even")["prizes"][0]],
    )
    body = await call(api, "POST", "/api/campaigns", 201, fair)
    assert (body["organizer"], body["organizer_contact"]) == (
        "Example Bakery Ltd",
        "hello@example.com",
    )
    assert (body["open_hours"], body["max_wins_per_customer"]) == ("09:00-21:00", 3)
    assert body["prizes"][0]["pacing"] == "even"
    plain = await call(api, "POST", "/api/campaigns", 201, campaign_data(keyword="PLAIN"))
    assert (plain["open_hours"], plain["max_wins_per_customer"]) == ("00:00-24:00", None)
    assert plain["organizer"] is None
    assert {p["pacing"] for p in plain["prizes"]} == {"none"}


async def test_a_lower_case_keyword_is_stored_upper_case(api: Client) -> None:
    body = await call(api, "POST", "/api/campaigns", 201, campaign_data(keyword="spring26"))
    assert body["keyword"] == "SPRING26"


def _without(field: str) -> dict[str, Any]:
    data = campaign_data()
    del data[field]
    return data


def _prize(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(campaign_data())
    data["prizes"][0].update(changes)
    return data


INVALID_CAMPAIGNS = [
    # (body, field named in the error)
    (_without("name"), "name"),
    (campaign_data(name=""), "name"),
    (campaign_data(name="   "), "name"),
    (campaign_data(keyword="W"), "keyword"),
    (campaign_data(keyword="WIN TER"), "keyword"),
    (campaign_data(keyword="DRAW"), "keyword"),  # a command word
    (campaign_data(timezone="Mars/Olympus"), "timezone"),
    (_without("timezone"), "timezone"),
    (campaign_data(starts_at="2026-12-01T00:00:00"), "starts_at"),  # no offset
    (campaign_data(starts_at="yesterday"), "starts_at"),
    (campaign_data(ends_at="2026-11-01T00:00:00+08:00"), "ends_at"),  # before starts_at
    (campaign_data(ends_at="0001-01-01T00:00:00+14:00"), "ends_at"),
    (campaign_data(reminder_time="25:00"), "reminder_time"),
    (campaign_data(language="fr"), "language"),
    (campaign_data(prizes=[]), "prizes"),
    (campaign_data(prizes="none"), "prizes"),
    (_prize(name=""), "prizes.0.name"),
    (_prize(probability=1.5), "prizes.0.probability"),
    (_prize(probability="0.5"), "prizes.0.probability"),
    (_prize(total_quota=0), "prizes.0.total_quota"),
    (_prize(daily_quota=2000), "prizes.0.daily_quota"),  # above the total quota
    (_prize(valid_days=0), "prizes.0.valid_days"),
    (_prize(colour="red"), "prizes.0.colour"),
    (_prize(probability=0.9), "prizes"),  # probabilities sum above 1
    (campaign_data(colour="red"), "colour"),
    (campaign_data(keyword="RULES"), "keyword"),  # a command word
    (campaign_data(open_hours="21:00-09:00"), "open_hours"),  # not within one day
    (campaign_data(open_hours="09:00-24:30"), "open_hours"),
    (campaign_data(open_hours="9-21"), "open_hours"),
    (campaign_data(max_wins_per_customer=0), "max_wins_per_customer"),
    (campaign_data(organizer=""), "organizer"),
    (_prize(pacing="fast"), "prizes.0.pacing"),
]


@pytest.mark.parametrize(("body", "field"), INVALID_CAMPAIGNS)
async def test_an_invalid_campaign_is_refused_naming_its_field_and_nothing_is_stored(
    api: Client, body: Any, field: str
) -> None:
    err = await error(api, "POST", "/api/campaigns", 400, body)
    assert err.field == field, err
    assert err.message
    assert await call(api, "GET", "/api/campaigns", 200) == []


async def test_a_keyword_in_use_in_overlapping_dates_is_a_conflict(api: Client) -> None:
    await call(api, "POST", "/api/campaigns", 201, campaign_data())
    err = await error(api, "POST", "/api/campaigns", 409, campaign_data(name="Other"))
    assert (err.code, err.field) == ("keyword_taken", "keyword")
    assert len(await call(api, "GET", "/api/campaigns", 200)) == 1


async def test_a_campaign_is_paused_resumed_and_ended(api: Client) -> None:
    cid = (await call(api, "POST", "/api/campaigns", 201, campaign_data()))["id"]
    assert (await call(api, "POST", f"/api/campaigns/{cid}/pause", 200))["status"] == "paused"
    err = await error(api, "POST", f"/api/campaigns/{cid}/pause", 409)
    assert err.code == "invalid_transition"
    assert (await call(api, "POST", f"/api/campaigns/{cid}/resume", 200))["status"] == "active"
    assert (await call(api, "POST", f"/api/campaigns/{cid}/end", 200))["status"] == "ended"
    for action in ("pause", "resume", "end"):
        err = await error(api, "POST", f"/api/campaigns/{cid}/{action}", 409)
        assert err.field == "status"
    assert (await call(api, "GET", f"/api/campaigns/{cid}", 200))["status"] == "ended"


async def test_a_paused_campaign_refuses_draws_over_the_api(api: Client) -> None:
    cid = (await call(api, "POST", "/api/campaigns", 201, campaign_data()))["id"]
    await call(api, "POST", f"/api/campaigns/{cid}/pause", 200)
    err = await error(api, "POST", "/api/draws", 409, {"phone": "+85291234567", "campaign_id": cid})
    assert err.code == "campaign_closed"


@pytest.mark.parametrize(
    "path",
    [
        "/api/campaigns/999",
        "/api/campaigns/999/stats",
        "/api/campaigns/999/winners",
    ],
)
async def test_an_unknown_campaign_is_404(api: Client, path: str) -> None:
    assert (await error(api, "GET", path, 404)).code == "not_found"


@pytest.mark.parametrize("action", ["pause", "resume", "end"])
async def test_acting_on_an_unknown_campaign_is_404(api: Client, action: str) -> None:
    assert (await error(api, "POST", f"/api/campaigns/999/{action}", 404)).code == "not_found"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/campaigns/abc", 404),  # not a number: no such route
        ("/api/campaigns/0", 400),
        ("/api/campaigns/99999999999999999999999", 400),  # beyond bigint
    ],
)
async def test_a_malformed_campaign_id_is_refused_as_json(
    api: Client, path: str, status: int
) -> None:
    err = await error(api, "GET", path, status)
    assert err.message


async def test_oversized_and_non_json_bodies_are_refused(api: Client, services: Core) -> None:
    data = campaign_data(name="x" * 200_000)
    assert (await error(api, "POST", "/api/campaigns", 413, data)).code == "too_large"
    resp = await api.post(
        "/api/campaigns",
        data="name=x",
        headers={
            "Authorization": "Bearer test-admin-token-0123456789abcdef",
            "Content-Type": "text/plain",
        },
    )
    assert resp.status == 415
    bad = await api.post(
        "/api/campaigns",
        data=b"{not json",
        headers={
            "Authorization": "Bearer test-admin-token-0123456789abcdef",
            "Content-Type": "application/json",
        },
    )
    assert bad.status == 400
    not_utf8 = await api.post(
        "/api/campaigns",
        data=b'{"name": "\xff"}',
        headers={
            "Authorization": "Bearer test-admin-token-0123456789abcdef",
            "Content-Type": "application/json",
        },
    )
    assert not_utf8.status == 400
    assert "UTF-8" in (await not_utf8.json())["error"]["message"]
    assert await services.campaigns.list() == []


async def test_values_of_the_wrong_json_type_are_refused_not_coerced(api: Client) -> None:
    prize = campaign_data()["prizes"][0] | {"total_quota": "1000"}
    err = await error(api, "POST", "/api/campaigns", 400, campaign_data(prizes=[prize]))
    assert err.field == "prizes.0.total_quota"
