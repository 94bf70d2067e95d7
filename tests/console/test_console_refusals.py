"""Console actions not done say why on the page, log `refused` with the reason and count it;
bad input changes nothing."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from app.bootstrap import Core
from core.errors import NotFound
from core.model import Channel
from tests.console.conftest import TOKEN, Client, sign_in
from tests.console.test_console_i18n import visible_text
from tests.helpers import campaign_data, refusals, spec, sure_win


async def _count(client: Client, reason: str) -> float:
    return refusals(await (await client.get("/metrics")).text(), "console", reason)


async def test_a_wrong_sign_in_token_is_logged_and_counted(web_client: Client) -> None:
    before = await _count(web_client, "wrong_token")
    with capture_logs() as logs:
        resp = await web_client.post("/console/signin", data={"token": TOKEN + "x"})
    assert resp.status == 401
    assert "Wrong token." in await resp.text()
    assert await _count(web_client, "wrong_token") == before + 1
    assert [e["reason"] for e in logs if e["event"] == "refused"] == ["wrong_token"]


async def test_a_forged_csrf_token_is_logged_and_counted(
    web_client: Client, services: Core
) -> None:
    campaign = await services.campaigns.create(spec(campaign_data()))
    await sign_in(web_client)
    before = await _count(web_client, "csrf")
    with capture_logs() as logs:
        resp = await web_client.post(f"/console/campaigns/{campaign.id}/end", data={"csrf": "x"})
    assert resp.status == 403
    assert "CSRF" in await resp.text()
    assert await _count(web_client, "csrf") == before + 1
    assert [e["reason"] for e in logs if e["event"] == "refused"] == ["csrf"]
    assert (await services.campaigns.get(campaign.id)).status.value == "active"


async def test_resuming_an_ended_campaign_says_why_and_an_unknown_one_is_404(
    web_client: Client, services: Core
) -> None:
    campaign = await services.campaigns.create(spec(campaign_data()))
    await services.campaigns.end(campaign.id)
    csrf = await sign_in(web_client)
    before = await _count(web_client, "invalid_transition")
    resp = await web_client.post(f"/console/campaigns/{campaign.id}/resume", data={"csrf": csrf})
    assert resp.status == 409
    assert "ended" in await resp.text()
    assert await _count(web_client, "invalid_transition") == before + 1
    resp = await web_client.post("/console/campaigns/999/pause", data={"csrf": csrf})
    assert resp.status == 404  # was 409: not found is not a conflict
    assert (await services.campaigns.get(campaign.id)).status.value == "ended"


async def test_the_new_campaign_form_with_missing_fields_is_400_and_creates_nothing(
    web_client: Client, services: Core
) -> None:
    csrf = await sign_in(web_client)
    before = await _count(web_client, "invalid_campaign")
    with capture_logs() as logs:
        resp = await web_client.post("/console/campaigns/new", data={"csrf": csrf})
    assert resp.status == 400
    assert 'role="alert"' in await resp.text()
    assert await services.campaigns.list() == []
    [line] = [e for e in logs if e["event"] == "refused"]
    assert (line["reason"], line["field"]) == ("invalid_campaign", "starts_at")
    assert await _count(web_client, "invalid_campaign") == before + 1


async def test_the_staff_form_with_nothing_in_it_says_so_and_adds_nobody(
    web_client: Client, services: Core
) -> None:
    csrf = await sign_in(web_client)
    before = await _count(web_client, "empty")
    resp = await web_client.post("/console/staff", data={"csrf": csrf, "phone": " ", "csv": ""})
    assert resp.status == 400
    assert "Nothing to add" in await resp.text()
    assert await _count(web_client, "empty") == before + 1
    assert await services.staff.list() == []


async def test_each_rejected_csv_row_is_logged_with_its_line_and_counted(
    web_client: Client, services: Core
) -> None:
    csrf = await sign_in(web_client)
    before = await _count(web_client, "invalid_phone")
    with capture_logs() as logs:
        resp = await web_client.post(
            "/console/staff", data={"csrf": csrf, "csv": "+85261234567,Amy\nnope,Bo\n12,Cy\n"}
        )
    assert resp.status == 400
    assert await _count(web_client, "invalid_phone") == before + 2
    assert [e["line"] for e in logs if e["event"] == "refused"] == [2, 3]
    assert [s.name for s in await services.staff.list()] == ["Amy"]


async def test_a_staff_upload_over_the_size_limit_says_so_and_adds_nobody(
    web_client: Client, services: Core
) -> None:
    csrf = await sign_in(web_client)
    before = await _count(web_client, "too_large")
    big = "".join(f"+8526{i:07d},Person {i}\n" for i in range(4000)).encode()
    resp = await web_client.post(
        "/console/staff", data={"csrf": csrf, "csv": big.decode()}, headers={"X-CSRF-Token": csrf}
    )
    assert resp.status == 413
    assert "split the CSV" in await resp.text()
    assert await _count(web_client, "too_large") == before + 1
    assert await services.staff.list() == []


async def test_removing_someone_who_is_not_staff_says_so(web_client: Client) -> None:
    csrf = await sign_in(web_client)
    before = await _count(web_client, "not_found")
    form = {"csrf": csrf, "phone": "+85261234567"}
    resp = await web_client.post("/console/staff/remove", data=form)
    assert resp.status == 404
    assert "is not staff" in await resp.text()
    assert await _count(web_client, "not_found") == before + 1


async def test_the_console_winners_csv_never_carries_a_live_formula(
    web_client: Client, services: Core
) -> None:
    data = sure_win()
    data["prizes"][0]["name"] = "=HYPERLINK(1)"
    campaign = await services.campaigns.create(spec(data))
    await services.draws.draw("+85291234567", Channel.SMS)
    await sign_in(web_client)
    text = await (await web_client.get(f"/console/campaigns/{campaign.id}/winners.csv")).text()
    assert "'=HYPERLINK(1)" in text


async def test_a_winners_page_number_that_is_not_one_is_400(
    web_client: Client, services: Core
) -> None:
    campaign = await services.campaigns.create(spec(campaign_data()))
    await sign_in(web_client)
    for page in ("abc", "-1", "1e3"):
        resp = await web_client.get(f"/console/campaigns/{campaign.id}/winners?page={page}")
        assert resp.status == 400
        assert "page must be a whole number" in await resp.text()
    assert (await web_client.get(f"/console/campaigns/{campaign.id}/winners?page=1")).status == 200


async def test_an_unknown_console_language_is_404_naming_the_two(web_client: Client) -> None:
    await sign_in(web_client)
    before = await _count(web_client, "invalid_lang")
    resp = await web_client.get("/console/lang/xx", allow_redirects=False)
    assert resp.status == 404
    assert "en or zh-Hant" in await resp.text()
    assert "ld_lang" not in resp.cookies
    assert await _count(web_client, "invalid_lang") == before + 1


# Each refusal: (reason, status, method, path, English words, Chinese words, the way back).
# "{id}" is an ended campaign's id.
REFUSAL_PAGES = [
    ("csrf", 403, "POST", "/console/campaigns/{id}/end", "security token (CSRF)", "安全權杖",
     "/console/campaigns/{id}"),
    ("not_found", 404, "GET", "/console/campaigns/999", "no campaign 999", "沒有編號 999 的活動",
     "/console"),
    ("not_found", 404, "POST", "/console/campaigns/999/pause", "no campaign 999", "沒有編號 999",
     "/console"),
    ("no_page", 404, "GET", "/console/nowhere", "no console page at /console/nowhere",
     "控制台沒有 /console/nowhere 這個頁面", "/console"),
    ("wrong_method", 405, "GET", "/console/campaigns/{id}/pause", "is an action: use its button",
     "是一個操作", "/console/campaigns/{id}"),
    ("invalid_lang", 404, "GET", "/console/lang/xx", "no console language xx", "控制台沒有 xx 語言",
     "/console"),
    ("invalid_transition", 409, "POST", "/console/campaigns/{id}/resume",
     "cannot resume a campaign that is ended", "活動已結束，不能恢復", "/console/campaigns/{id}"),
    ("invalid_page", 400, "GET", "/console/campaigns/{id}/winners?page=x",
     "page must be a whole number", "頁數必須為 0 或以上的整數", "/console/campaigns/{id}"),
]  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "zh-Hant"])
@pytest.mark.parametrize(
    ("reason", "status", "method", "path", "english", "chinese", "back"),
    REFUSAL_PAGES,
    ids=[f"{r[1]}-{r[0]}-{r[2]}" for r in REFUSAL_PAGES],
)
async def test_each_refusal_is_a_page_in_the_operators_language_with_a_way_back(
    web_client: Client, services: Core, lang: str, reason: str, status: int, method: str,
    path: str, english: str, chinese: str, back: str,
) -> None:  # fmt: skip
    campaign = await services.campaigns.create(spec(campaign_data()))
    await services.campaigns.end(campaign.id)
    csrf = await sign_in(web_client)
    web_client.session.cookie_jar.update_cookies({"ld_lang": lang})
    path, back = path.format(id=campaign.id), back.format(id=campaign.id)
    form = {"csrf": "forged" if reason == "csrf" else csrf}
    before = await _count(web_client, reason)
    with capture_logs() as logs:
        resp = await web_client.request(
            method, path, data=form if method == "POST" else None, allow_redirects=False
        )
    page = await resp.text()
    assert resp.status == status
    if status == 405:
        assert resp.headers["Allow"] == "POST"
    assert resp.content_type == "text/html"
    assert f'<html lang="{lang}">' in page
    words = visible_text(page)
    if lang == "en":
        assert english in words
        assert 'aria-label="Main"' in page  # the base layout's navigation
    else:
        assert chinese in words
        assert 'aria-label="主選單"' in page
        assert english not in words
    assert f'href="{back}"' in page
    assert [(e["reason"], e["status"]) for e in logs if e["event"] == "refused"] == [
        (reason, status)
    ]
    assert await _count(web_client, reason) == before + 1
    assert (await services.campaigns.get(campaign.id)).status.value == "ended"


async def test_a_refused_htmx_request_answers_a_fragment_htmx_shows(
    web_client: Client, services: Core
) -> None:
    """200, as Try it's errors: htmx swaps only successful answers into the page."""
    campaign = await services.campaigns.create(spec(campaign_data()))
    await sign_in(web_client)
    web_client.session.cookie_jar.update_cookies({"ld_lang": "zh-Hant"})
    page_url = str(web_client.make_url(f"/console/campaigns/{campaign.id}"))
    before = await _count(web_client, "csrf")
    with capture_logs() as logs:
        resp = await web_client.post(
            f"/console/campaigns/{campaign.id}/try",
            data={"phone": "+85291234567", "text": "DRAW"},
            headers={"HX-Request": "true", "HX-Current-URL": page_url, "X-CSRF-Token": "old"},
        )
    fragment = await resp.text()
    assert resp.status == 200
    assert "<html" not in fragment
    assert 'role="alert"' in fragment
    assert "安全權杖" in fragment
    assert f'href="/console/campaigns/{campaign.id}">重新載入頁面</a>' in fragment
    assert [e["reason"] for e in logs if e["event"] == "refused"] == ["csrf"]
    assert await _count(web_client, "csrf") == before + 1
    with pytest.raises(NotFound):  # no draw: the customer was never made
        await services.customers.history("+85291234567")
    # The live part of a campaign that is not there: the fragment, and a way to the list.
    resp = await web_client.get("/console/campaigns/999/live", headers={"HX-Request": "true"})
    assert resp.status == 200
    assert "沒有編號 999 的活動" in (fragment := await resp.text())
    assert 'href="/console">返回活動列表</a>' in fragment
