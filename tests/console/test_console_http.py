"""The console's guards, over plain HTTP: sign-in, sessions, CSRF, security headers."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app.bootstrap import Core
from app.server import create_app
from app.settings import Settings
from tests.console.conftest import TOKEN, Client, sign_in
from tests.helpers import campaign_data, paced_first_prize, spec

PAGES = [
    "/console",
    "/console/campaigns/new",
    "/console/campaigns/1",
    "/console/campaigns/1/live",
    "/console/campaigns/1/edit",
    "/console/campaigns/1/winners",
    "/console/campaigns/1/winners.csv",
    "/console/staff",
    "/console/customers?phone=%2B85291234567",
    "/console/audit",
]
FORMS = [
    "/console/campaigns/new",
    "/console/preview",
    "/console/campaigns/1/pause",
    "/console/campaigns/1/edit",
    "/console/campaigns/1/try",
    "/console/staff",
    "/console/staff/remove",
    "/console/customers/reveal",
    "/console/signout",
]


@pytest.mark.parametrize("path", PAGES)
async def test_without_a_session_every_console_page_redirects_to_sign_in(
    web_client: Client, path: str
) -> None:
    resp = await web_client.get(path, allow_redirects=False)
    assert (resp.status, resp.headers["Location"]) == (303, "/console/signin")
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", FORMS)
async def test_without_a_session_every_form_redirects_to_sign_in(
    web_client: Client, path: str
) -> None:
    resp = await web_client.post(path, data={"name": "x"}, allow_redirects=False)
    assert (resp.status, resp.headers["Location"]) == (303, "/console/signin")


async def test_htmx_requests_without_a_session_are_told_to_go_to_sign_in(
    web_client: Client,
) -> None:
    resp = await web_client.get("/console/campaigns/1/live", headers={"HX-Request": "true"})
    assert (resp.status, resp.headers["HX-Redirect"]) == (401, "/console/signin")


async def test_the_right_token_gives_a_strict_http_only_session_cookie(web_client: Client) -> None:
    resp = await web_client.post("/console/signin", data={"token": TOKEN}, allow_redirects=False)
    assert (resp.status, resp.headers["Location"]) == (303, "/console")
    cookie = resp.cookies["ld_console"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert cookie["max-age"] == str(12 * 3600)
    assert not cookie["secure"]  # PUBLIC_BASE_URL is http here
    resp = await web_client.get("/console", allow_redirects=False)
    assert resp.status == 200
    assert "ld_console" in resp.cookies  # re-issued: 12 hours from the last request


async def test_the_printed_link_signs_in_and_drops_the_token_from_the_address(
    web_client: Client,
) -> None:
    resp = await web_client.get(f"/console/signin?token={TOKEN}", allow_redirects=False)
    assert (resp.status, resp.headers["Location"]) == (303, "/console")


async def test_behind_https_the_session_cookie_is_secure(
    services: Core, settings: Settings
) -> None:
    async with TestClient(TestServer(create_app(settings, services))) as client:  # https
        resp = await client.post("/console/signin", data={"token": TOKEN}, allow_redirects=False)
        assert resp.cookies["ld_console"]["secure"]


async def test_repeated_wrong_tokens_are_slowed_down_per_address(web_client: Client) -> None:
    statuses = []
    for _ in range(7):
        resp = await web_client.post("/console/signin", data={"token": "guess"})
        statuses.append(resp.status)
    assert statuses == [401] * 5 + [429] * 2
    # Even the right token waits out the window now.
    resp = await web_client.post("/console/signin", data={"token": TOKEN}, allow_redirects=False)
    assert resp.status == 429


async def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(
    web_client: Client, services: Core
) -> None:
    campaign = await services.campaigns.create(spec(campaign_data()))
    csrf = await sign_in(web_client)
    resp = await web_client.post(f"/console/campaigns/{campaign.id}/pause", data={})
    assert resp.status == 403
    resp = await web_client.post(f"/console/campaigns/{campaign.id}/pause", data={"csrf": "forged"})
    assert resp.status == 403
    assert (await services.campaigns.get(campaign.id)).status.value == "active"
    resp = await web_client.post(
        f"/console/campaigns/{campaign.id}/pause", data={"csrf": csrf}, allow_redirects=False
    )
    assert resp.status == 303
    assert (await services.campaigns.get(campaign.id)).status.value == "paused"
    [entry] = await services.campaigns.audit_trail(campaign.id)
    assert (entry.actor, entry.action.value) == ("console", "pause")


async def test_sign_out_ends_the_session(web_client: Client) -> None:
    csrf = await sign_in(web_client)
    resp = await web_client.post("/console/signout", data={"csrf": csrf}, allow_redirects=False)
    assert resp.status == 303
    resp = await web_client.get("/console", allow_redirects=False)
    assert resp.status == 303


async def test_every_page_renders_for_a_signed_in_operator(
    web_client: Client, services: Core
) -> None:
    await services.campaigns.create(spec(campaign_data()))
    await sign_in(web_client)
    for path in PAGES:
        resp = await web_client.get(path)
        assert resp.status in (200, 404), (path, await resp.text())
        assert resp.status == 200 or path.startswith("/console/customers"), path


async def test_the_live_page_shows_what_a_paced_prize_has_released_so_far(
    web_client: Client, services: Core
) -> None:
    # 50 a day over 12 hours; the clock says 12:00
    data = paced_first_prize(campaign_data(open_hours="09:00-21:00"))
    await services.campaigns.create(spec(data))
    await sign_in(web_client)
    page = await (await web_client.get("/console/campaigns/1/live")).text()
    assert "Released so far" in page
    assert "paced over 09:00-21:00" in page
    row = page.split('data-prize="$5 Cash Coupon"')[1].split("</tr>")[0]
    assert '<td class="released"><span class="num">12</span>' in row  # 3 of 12 hours: 12.5
