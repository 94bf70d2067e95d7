"""The official rules: a public page and text per campaign, versioned, linked from SMS."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from app.bootstrap import Core
from tests.api.conftest import Client, call
from tests.conftest import FakeClock
from tests.helpers import campaign_data, spec
from tests.twilio_client import Twilio

FAIR = {
    "organizer": "Example Bakery Ltd",
    "organizer_contact": "hello@example.com",
    "open_hours": "09:00-21:00",
    "max_wins_per_customer": 3,
    "prizes": [
        {"name": "$5 Cash Coupon", "probability": 0.05, "total_quota": 1000,
         "daily_quota": 50, "valid_days": 30, "pacing": "even"},
        {"name": "Buy 1 Get 1 Free", "probability": 0.2, "total_quota": 5000,
         "daily_quota": 200, "valid_days": 14},
        {"name": "Sticker", "probability": 0.3, "total_quota": 20000,
         "daily_quota": 700, "valid_days": 7},
    ],
}  # fmt: skip


async def page(api: Client, path: str, status: int = 200, **headers: str) -> str:
    resp = await api.get(path, headers=headers)
    text = await resp.text()
    assert resp.status == status, text
    return text


@pytest.mark.parametrize("suffix", ["", ".txt"])
async def test_the_rules_name_every_prize_with_its_odds_and_quotas(
    api: Client, suffix: str
) -> None:
    await call(api, "POST", "/api/campaigns", 201, campaign_data(**FAIR))
    rules = await page(api, f"/r/winter{suffix}")
    for line in (
        "$5 Cash Coupon: odds 1 in 20 (5%); up to 50 a day and 1,000 in all; valid 30 days",
        "Buy 1 Get 1 Free: odds 1 in 5 (20%); up to 200 a day and 5,000 in all",
        "Sticker: odds 1 in 3.3 (30%); up to 700 a day and 20,000 in all",
        "No prize: 45%",
        "Example Bakery Ltd (contact: hello@example.com)",
        "Text DRAW WINTER to",
        "One person can win at most 3 prize(s) in this campaign.",
        "$5 Cash Coupon: each day&#39;s quota is released evenly over the open hours "
        "09:00-21:00 (Asia/Hong_Kong)",
        "or its next unit is not released yet), that entry wins nothing.",
        "Reply STOP to stop reminders",
        "Version 1, published 10 Dec 2026",
    ):
        assert (line if suffix == "" else line.replace("&#39;", "'")) in rules


async def test_the_text_version_is_plain_text(api: Client) -> None:
    await call(api, "POST", "/api/campaigns", 201, campaign_data())
    resp = await api.get("/r/WINTER.txt")
    assert resp.content_type == "text/plain"
    text = await resp.text()
    assert text.startswith("Winter Lucky Draw: Official Rules\n=====")
    assert "<" not in text
    assert "There is no limit on how many prizes one person can win." in text
    assert "Every prize's daily quota can be won from the start of each day." in text


async def test_the_language_comes_from_the_query_then_the_browser(api: Client) -> None:
    await call(api, "POST", "/api/campaigns", 201, campaign_data(**FAIR))
    chinese = "中獎機會 1 in 20"
    assert chinese in await page(api, "/r/WINTER?lang=zh-Hant")
    assert chinese in await page(api, "/r/WINTER", **{"Accept-Language": "zh-TW,zh;q=0.9"})
    assert chinese not in await page(
        api, "/r/WINTER", **{"Accept-Language": "fr, en;q=0.8, zh;q=0.5"}
    )
    assert chinese not in await page(api, "/r/WINTER?lang=en", **{"Accept-Language": "zh"})
    assert "lang must be en or zh-Hant" in await page(api, "/r/WINTER?lang=fr", 400)


async def test_an_unknown_campaign_or_version_is_404_and_a_bad_version_400(api: Client) -> None:
    await call(api, "POST", "/api/campaigns", 201, campaign_data())
    assert "no campaign with keyword NOSUCH" in await page(api, "/r/NOSUCH", 404)
    assert "has no rules version 7" in await page(api, "/r/WINTER?version=7", 404)
    assert "version must be" in await page(api, "/r/WINTER.txt?version=x", 400)


async def test_an_edit_publishes_a_new_version_and_the_old_one_stays_readable(
    api: Client, clock: FakeClock
) -> None:
    campaign = await call(api, "POST", "/api/campaigns", 201, campaign_data())
    prize_id = campaign["prizes"][0]["id"]
    clock.advance(days=2)
    edit = {"max_wins_per_customer": 2, "prizes": [{"id": prize_id, "probability": 0.1}]}
    await call(api, "PATCH", f"/api/campaigns/{campaign['id']}", 200, edit)
    latest = await page(api, "/r/WINTER.txt")
    assert "Version 2, published 12 Dec 2026" in latest
    assert "$5 Cash Coupon: odds 1 in 10 (10%)" in latest
    assert "at most 2 prize(s)" in latest
    assert "- Version 1, published 10 Dec 2026\n" in latest
    assert "- Version 2, published 12 Dec 2026 (this version)" in latest
    first = await page(api, "/r/WINTER.txt?version=1")
    assert "$5 Cash Coupon: odds 1 in 20 (5%)" in first
    assert "There is no limit on how many prizes" in first
    html = await page(api, "/r/WINTER")
    assert 'href="?version=1&amp;lang=en"' in html


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Any]]) -> None:
        self.tags.append(tag)
        self.urls += [v for k, v in attrs if k in {"src", "href", "action", "srcset"} and v]


async def test_the_page_loads_nothing_from_another_host(api: Client) -> None:
    await call(api, "POST", "/api/campaigns", 201, campaign_data(**FAIR))
    resp = await api.get("/r/WINTER")
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
    links = _Links()
    links.feed(await resp.text())
    assert not {"script", "link", "img", "iframe"} & set(links.tags)
    assert links.urls
    assert all(re.match(r"^(\?|/r/)", url) for url in links.urls), links.urls
    assert "url(" not in await resp.text()


async def test_rules_by_sms_answers_one_segment_with_the_link(
    services: Core, twilio: Twilio
) -> None:
    await services.campaigns.create(spec(campaign_data()))
    reply = (await twilio.text("rules")).reply
    assert reply == (
        "Winter Lucky Draw official rules, prizes and odds: https://luckydraw.example.com/r/WINTER"
    )
    assert len(reply) <= 160
    assert (await twilio.text("RULES WINTER")).reply == reply
    assert "RULES" in (await twilio.text("HELP")).reply
    assert (await twilio.text("RULES NOSUCH")).reply.startswith("There is no draw called NOSUCH")
