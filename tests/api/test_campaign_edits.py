"""PATCH /api/campaigns/{id}: PRODUCT.md's "Editing a campaign", rule by rule."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from app.bootstrap import Core
from core.model import Channel, DrawOutcome, DrawResult
from tests.api.conftest import Client, call, error
from tests.conftest import FakeClock
from tests.helpers import campaign_data, sure_loss, sure_win
from tests.services.test_concurrency import assert_counters_agree_with_coupons


async def create(api: Client, data: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = await call(api, "POST", "/api/campaigns", 201, data)
    return body


async def patch(api: Client, campaign: dict[str, Any], status: int, body: Any) -> Any:
    return await call(api, "PATCH", f"/api/campaigns/{campaign['id']}", status, body)


async def trail(api: Client, campaign: dict[str, Any]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = await call(
        api, "GET", f"/api/campaigns/{campaign['id']}/audit", 200
    )
    return entries


async def draw(services: Core, phone: str) -> DrawResult:
    return await services.draws.draw(phone, Channel.SMS)


async def test_always_editable_fields_change_and_the_audit_trail_keeps_before_and_after(
    api: Client,
) -> None:
    campaign = await create(api, campaign_data())
    prize_id = campaign["prizes"][0]["id"]
    body = await patch(
        api,
        campaign,
        200,
        {
            "name": "Winter Lucky Draw II",
            "reminder_time": None,
            "language": "zh-Hant",
            "ends_at": "2027-01-15T23:59:59+08:00",
            "prizes": [{"id": prize_id, "name": "$6 Cash Coupon", "valid_days": 10}],
        },
    )
    assert body["name"] == "Winter Lucky Draw II"
    assert body["reminder_time"] is None
    assert body["language"] == "zh-Hant"
    assert body["ends_at"] == "2027-01-15T15:59:59Z"
    assert [(p["name"], p["valid_days"], p["total_quota"]) for p in body["prizes"]] == [
        ("$6 Cash Coupon", 10, 1000)
    ]
    assert await call(api, "GET", f"/api/campaigns/{campaign['id']}", 200) == body
    [entry] = await trail(api, campaign)
    assert (entry["action"], entry["actor"]) == ("edit", "api")
    changes = {c["field"]: (c["before"], c["after"]) for c in entry["changes"]}
    assert changes["name"] == ("Winter Lucky Draw", "Winter Lucky Draw II")
    assert changes["reminder_time"] == ("10:00", None)
    assert changes["language"] == ("en", "zh-Hant")
    assert changes["prizes[$5 Cash Coupon].name"] == ("$5 Cash Coupon", "$6 Cash Coupon")
    assert changes["prizes[$5 Cash Coupon].valid_days"] == (30, 10)
    assert changes["prizes[Buy 1 Get 1 Free]"][1] is None  # left out of the list: removed


async def test_organizer_open_hours_win_cap_and_pacing_are_editable(api: Client) -> None:
    campaign = await create(api, campaign_data())
    prize_id = campaign["prizes"][0]["id"]
    body = await patch(
        api,
        campaign,
        200,
        {
            "organizer": "Example Bakery Ltd",
            "organizer_contact": "hello@example.com",
            "open_hours": "09:00-21:00",
            "max_wins_per_customer": 3,
            "prizes": [{"id": prize_id, "pacing": "even"}, {"id": campaign["prizes"][1]["id"]}],
        },
    )
    assert (body["organizer"], body["open_hours"], body["max_wins_per_customer"]) == (
        "Example Bakery Ltd",
        "09:00-21:00",
        3,
    )
    assert [p["pacing"] for p in body["prizes"]] == ["even", "none"]
    [entry] = await trail(api, campaign)
    changes = {c["field"]: (c["before"], c["after"]) for c in entry["changes"]}
    assert changes["open_hours"] == ("00:00-24:00", "09:00-21:00")
    assert changes["prizes[$5 Cash Coupon].pacing"] == ("none", "even")


async def test_an_edit_that_changes_nothing_records_nothing(api: Client) -> None:
    campaign = await create(api, campaign_data())
    assert await patch(api, campaign, 200, {"name": campaign["name"]}) == campaign
    assert await trail(api, campaign) == []


async def test_ends_at_cannot_move_before_now(api: Client) -> None:
    campaign = await create(api, campaign_data())  # the clock is 10 Dec 2026, 12:00 HKT
    err = await error(
        api, "PATCH", f"/api/campaigns/{campaign['id']}", 400,
        {"ends_at": "2026-12-10T11:00:00+08:00"},
    )  # fmt: skip
    assert err.field == "ends_at"
    await patch(api, campaign, 200, {"ends_at": "2026-12-10T13:00:00+08:00"})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("keyword", "SPRING"),
        ("timezone", "Asia/Taipei"),
        ("starts_at", "2026-12-02T00:00:00+08:00"),
    ],
)
async def test_keyword_timezone_and_start_are_fixed_once_started_but_not_before(
    api: Client, clock: FakeClock, field: str, value: str
) -> None:
    started = await create(api, campaign_data())
    err = await error(api, "PATCH", f"/api/campaigns/{started['id']}", 409, {field: value})
    assert (err.code, err.field) == ("edit_refused", field)
    assert await call(api, "GET", f"/api/campaigns/{started['id']}", 200) == started

    later = await create(
        api,
        campaign_data(
            keyword="LATER",
            starts_at="2026-12-20T00:00:00+08:00",
            ends_at="2027-01-31T00:00:00+08:00",
        ),
    )
    body = await patch(api, later, 200, {field: value})
    assert body[field] != later[field]


async def test_a_keyword_change_before_start_must_still_be_free(api: Client) -> None:
    await create(api, campaign_data())
    later = await create(
        api,
        campaign_data(keyword="LATER", starts_at="2026-12-20T00:00:00+08:00"),
    )
    err = await error(api, "PATCH", f"/api/campaigns/{later['id']}", 409, {"keyword": "winter"})
    assert (err.code, err.field) == ("keyword_taken", "keyword")


async def test_quotas_go_up_any_time_and_down_only_to_what_was_issued(
    api: Client, services: Core, clock: FakeClock
) -> None:
    campaign = await create(api, sure_win(total=10, daily=5))
    prize_id = campaign["prizes"][0]["id"]
    for i in range(3):
        assert (await draw(services, f"+8529100000{i}")).won  # 3 issued today
    clock.set(datetime(2026, 12, 11, 4, 0, tzinfo=UTC))
    assert (await draw(services, "+85291000009")).won  # 4 in all, 1 today

    def quotas(total: int, daily: int) -> dict[str, Any]:
        return {"prizes": [{"id": prize_id, "total_quota": total, "daily_quota": daily}]}

    err = await error(api, "PATCH", f"/api/campaigns/{campaign['id']}", 409, quotas(3, 3))
    assert (err.field, err.message) == (
        "prizes.0.total_quota",
        "total_quota cannot be below the 4 coupons already issued",
    )
    body = await patch(api, campaign, 200, quotas(4, 1))  # down to exactly what was issued
    assert (body["prizes"][0]["total_quota"], body["prizes"][0]["daily_quota"]) == (4, 1)
    assert (await draw(services, "+85291000008")).outcome is DrawOutcome.SOLD_OUT
    await patch(api, campaign, 200, quotas(6, 2))  # and up again
    assert (await draw(services, "+85291000007")).won
    assert (await draw(services, "+85291000006")).outcome is DrawOutcome.SOLD_OUT  # daily 2
    err = await error(api, "PATCH", f"/api/campaigns/{campaign['id']}", 409, quotas(6, 1))
    assert (err.field, err.message) == (
        "prizes.0.daily_quota",
        "daily_quota cannot be below the 2 coupons issued today",
    )
    await assert_counters_agree_with_coupons(services)


async def test_new_odds_apply_from_the_next_draw_and_validity_to_new_coupons_only(
    api: Client, services: Core
) -> None:
    campaign = await create(api, sure_loss())  # probability 0, valid 1 day
    prize_id = campaign["prizes"][0]["id"]
    assert (await draw(services, "+85291000001")).outcome is DrawOutcome.NO_PRIZE
    sure = {"id": prize_id, "probability": 1.0, "total_quota": 5, "daily_quota": 5}
    await patch(api, campaign, 200, {"prizes": [sure]})
    first = await draw(services, "+85291000002")
    await patch(api, campaign, 200, {"prizes": [{"id": prize_id, "valid_days": 5}]})
    second = await draw(services, "+85291000003")
    assert first.won
    assert second.won
    assert first.expires_at is not None
    assert second.expires_at is not None
    assert (second.expires_at - first.expires_at).days == 4
    history = await services.customers.history("+85291000002")
    assert history.coupons[0].expires_at == first.expires_at  # issued coupons keep theirs


async def test_odds_may_change_but_still_sum_to_at_most_one(api: Client) -> None:
    campaign = await create(api, campaign_data())
    first, second = (p["id"] for p in campaign["prizes"])
    err = await error(
        api, "PATCH", f"/api/campaigns/{campaign['id']}", 400,
        {"prizes": [{"id": first, "probability": 0.9}, {"id": second}]},
    )  # fmt: skip
    assert err.field == "prizes"
    assert await trail(api, campaign) == []


async def test_a_prize_may_be_added_and_one_that_issued_nothing_removed(
    api: Client, services: Core
) -> None:
    campaign = await create(api, sure_loss())
    old = campaign["prizes"][0]["id"]
    assert (await draw(services, "+85291000001")).outcome is DrawOutcome.NO_PRIZE
    new_prize = {"name": "Free Tea", "probability": 1.0, "total_quota": 2, "daily_quota": 2,
                 "valid_days": 3}  # fmt: skip
    body = await patch(api, campaign, 200, {"prizes": [new_prize]})
    assert [p["name"] for p in body["prizes"]] == ["Free Tea"]
    assert (await draw(services, "+85291000002")).prize_name == "Free Tea"
    stats = await call(api, "GET", f"/api/campaigns/{campaign['id']}/stats", 200)
    assert [p["name"] for p in stats["prizes"]] == ["Free Tea"]
    assert stats["draws"] == 2  # the removed prize's draws still count
    [entry] = await trail(api, campaign)
    fields = {c["field"]: c for c in entry["changes"]}
    assert fields["prizes[Free Tea]"]["before"] is None
    assert fields["prizes[Nothing Really]"]["after"] is None
    assert old not in [p["id"] for p in body["prizes"]]


async def test_a_prize_that_issued_coupons_cannot_be_removed(api: Client, services: Core) -> None:
    campaign = await create(api, sure_win(total=10, daily=5))
    assert (await draw(services, "+85291000001")).won
    other = {"name": "Free Tea", "probability": 0.0, "total_quota": 2, "daily_quota": 2,
             "valid_days": 3}  # fmt: skip
    err = await error(api, "PATCH", f"/api/campaigns/{campaign['id']}", 409, {"prizes": [other]})
    assert err.field == "prizes"
    assert "set its total_quota to 1" in err.message


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"prizes": [{"id": 999999}]}, 400, "prizes.0.id"),
        ({"prizes": [{"name": "No Odds"}]}, 400, "prizes.0.probability"),
        ({"name": None}, 400, "name"),
        ({"timezone": "Mars/Olympus"}, 400, "timezone"),
        ({"colour": "red"}, 400, "colour"),
    ],
)
async def test_an_invalid_edit_names_its_field_and_changes_nothing(
    api: Client, body: Any, status: int, field: str
) -> None:
    campaign = await create(api, campaign_data())
    err = await error(api, "PATCH", f"/api/campaigns/{campaign['id']}", status, body)
    assert err.field == field
    assert await call(api, "GET", f"/api/campaigns/{campaign['id']}", 200) == campaign
    assert await trail(api, campaign) == []


async def test_an_ended_campaign_cannot_be_edited_and_an_unknown_one_is_404(api: Client) -> None:
    campaign = await create(api, campaign_data())
    await call(api, "POST", f"/api/campaigns/{campaign['id']}/end", 200)
    err = await error(api, "PATCH", f"/api/campaigns/{campaign['id']}", 409, {"name": "Again"})
    assert err.code == "invalid_transition"
    await error(api, "PATCH", "/api/campaigns/999999", 404, {"name": "Nobody"})


async def test_pause_resume_and_end_are_in_the_audit_trail(api: Client) -> None:
    campaign = await create(api, campaign_data())
    for action in ("pause", "resume", "end"):
        await call(api, "POST", f"/api/campaigns/{campaign['id']}/{action}", 200)
    entries = await trail(api, campaign)
    assert [e["action"] for e in entries] == ["end", "resume", "pause"]  # newest first
    assert entries[0]["changes"] == [{"field": "status", "before": "active", "after": "ended"}]


ROUNDS = 10


@pytest.mark.parametrize("round_", range(ROUNDS))
async def test_edits_during_concurrent_draws_never_break_the_quotas(
    api: Client, services: Core, round_: int
) -> None:
    campaign = await create(api, sure_win(total=60, daily=20))
    prize_id = campaign["prizes"][0]["id"]
    phones = [f"+852913{round_:02d}{i:03d}" for i in range(300)]

    async def edit(daily: int) -> int:
        prizes: list[dict[str, Any]] = [{"id": prize_id, "daily_quota": daily}]
        if daily % 2:  # add a prize that wins nothing (the next edit removes it again)
            prizes.append({"name": f"Extra {daily}", "probability": 0, "total_quota": 1,
                           "daily_quota": 1, "valid_days": 1})  # fmt: skip
        resp = await api.patch(
            f"/api/campaigns/{campaign['id']}",
            json={"prizes": prizes},
            headers={"Authorization": "Bearer test-admin-token-0123456789abcdef"},
        )
        return resp.status

    draws = [draw(services, p) for p in phones[:200]]
    edits = [edit(d) for d in (25, 10, 30, 15, 40, 35)]
    outcomes = await asyncio.gather(*draws, *edits, return_exceptions=True)
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert set(outcomes[200:]) <= {200, 409}  # 409: lowered below what was issued today

    async def issued() -> int:
        return int(await services.pool.fetchval("SELECT count(*) FROM coupon"))

    final = (await call(api, "GET", f"/api/campaigns/{campaign['id']}", 200))["prizes"][0]
    assert await issued() <= final["daily_quota"]
    await assert_counters_agree_with_coupons(services)
    # Nothing lost either: the rest of the day's quota is still there to be won, exactly.
    await asyncio.gather(*(draw(services, p) for p in phones[200:]))
    assert await issued() == final["daily_quota"]
    await assert_counters_agree_with_coupons(services)


async def rules_names(services: Core, campaign_id: int) -> list[str]:
    rows = await services.pool.fetch(
        """SELECT campaign->>'name' AS name FROM rules_version
            WHERE campaign_id = $1 ORDER BY number""",
        campaign_id,
    )
    return [r["name"] for r in rows]


async def test_an_edit_whose_rules_version_cannot_be_written_is_not_made(
    api: Client, services: Core
) -> None:
    campaign = await create(api, campaign_data())
    # A failure injected in the rules-version write: the database refuses new versions.
    await services.pool.execute(
        """CREATE FUNCTION refuse_rules() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN RAISE EXCEPTION 'rules_version refused by the test'; END $$;
           CREATE TRIGGER refuse_rules BEFORE INSERT ON rules_version
             FOR EACH ROW EXECUTE FUNCTION refuse_rules();"""
    )
    try:
        resp = await api.patch(
            f"/api/campaigns/{campaign['id']}",
            json={"name": "Winter Giveaway, edited"},
            headers={"Authorization": "Bearer test-admin-token-0123456789abcdef"},
        )
        assert resp.status == 500, await resp.text()
    finally:
        await services.pool.execute(
            "DROP TRIGGER refuse_rules ON rules_version; DROP FUNCTION refuse_rules()"
        )
    assert (await call(api, "GET", f"/api/campaigns/{campaign['id']}", 200)) == campaign
    assert await trail(api, campaign) == []
    assert await rules_names(services, campaign["id"]) == [campaign["name"]]
    # Once the database takes versions again, the same edit goes through with its version.
    await patch(api, campaign, 200, {"name": "Winter Giveaway, edited"})
    assert await rules_names(services, campaign["id"]) == [
        campaign["name"],
        "Winter Giveaway, edited",
    ]


async def test_an_edit_is_never_visible_without_its_rules_version(
    api: Client, services: Core
) -> None:
    campaign = await create(api, campaign_data(name="Edit 0"))
    edits = 15
    done = asyncio.Event()

    async def editor() -> None:
        for i in range(1, edits + 1):
            await patch(api, campaign, 200, {"name": f"Edit {i}"})
        done.set()

    async def reader() -> int:
        seen = 0
        while not done.is_set():
            # The campaign first, its published rules after: an edit committed before the
            # first read must have its version by the second.
            body = await call(api, "GET", f"/api/campaigns/{campaign['id']}", 200)
            latest = (await rules_names(services, campaign["id"]))[-1]
            assert int(latest.split()[1]) >= int(body["name"].split()[1]), (body, latest)
            seen += 1
        return seen

    _, *reads = await asyncio.gather(editor(), reader(), reader())
    assert all(reads)
    assert await rules_names(services, campaign["id"]) == [f"Edit {i}" for i in range(edits + 1)]
