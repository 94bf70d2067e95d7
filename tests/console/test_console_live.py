"""The campaign page's release schedule and outbox health, and why a customer's message was
not sent: over HTTP against the whole app, the outbox sending to the fake Twilio."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from app.bootstrap import Core
from core.model import Channel
from core.ports import Sender
from core.retry import RetryPolicy
from tests.conftest import FakeClock
from tests.console.conftest import Client, sign_in
from tests.fakes.twilio_api import FakeTwilio
from tests.helpers import paced_first_prize, spec, sure_win
from tests.outbox.conftest import bot_api, dispatcher, fake_twilio, senders  # noqa: F401

NEVER_TEXTED = "+85291230001"
FAILING = "+85291230002"
WAITING = "+85291230003"


def _rows(page: str, table: str) -> list[str]:
    body = page.split(f'id="{table}"')[1].split("</table>")[0]
    return re.findall(r"<tr[^>]*data-hour=.*?</tr>", body, re.S)


def _cell(row: str, cls: str) -> str:
    match = re.search(rf'class="num {cls}">([^<]*)<', row)
    assert match is not None, row
    return match[1]


async def test_a_paced_prize_shows_its_release_schedule_hour_by_hour(
    web_client: Client, services: Core, clock: FakeClock
) -> None:
    # 12 units over 09:00-21:00: unit k is released inside hour k. It is 12:00 in Hong Kong.
    data = paced_first_prize(sure_win(total=100, daily=12, open_hours="09:00-21:00"))
    campaign = await services.campaigns.create(spec(data))
    outcomes = [await services.draws.draw(f"+8529400000{i}", Channel.SMS) for i in range(5)]
    assert [o.won for o in outcomes] == [True] * 3 + [False] * 2  # 3 released by 12:00
    await sign_in(web_client)

    page = await (await web_client.get(f"/console/campaigns/{campaign.id}/live")).text()
    rows = _rows(page, "schedule")
    assert [re.search(r'data-hour="([^"]+)"', r)[1] for r in rows] == [  # type: ignore[index]
        f"{h:02d}:00" for h in range(9, 21)
    ]
    assert [_cell(r, "released") for r in rows] == [str(n) for n in range(1, 13)]
    # Issued before each hour's end; hours to come have none yet.
    assert [_cell(r, "issued") for r in rows] == ["0", "0", "0", "3"] + ["—"] * 8
    assert 'class="now" aria-current="time"' in rows[3]
    stats = await services.campaigns.stats(campaign.id)
    assert stats.prizes[0].released_today == 3  # the stats' figure for the same instant

    clock.set(datetime(2026, 12, 10, 12, 30, tzinfo=UTC))  # 20:30: all but the last hour
    page = await (await web_client.get(f"/console/campaigns/{campaign.id}/live")).text()
    rows = _rows(page, "schedule")
    assert [_cell(r, "released") for r in rows] == [str(n) for n in range(1, 13)]
    assert [_cell(r, "issued") for r in rows] == ["0", "0", "0"] + ["3"] * 9


async def test_an_unpaced_campaign_has_no_release_schedule(
    web_client: Client, services: Core
) -> None:
    campaign = await services.campaigns.create(spec(sure_win()))
    await sign_in(web_client)
    page = await (await web_client.get(f"/console/campaigns/{campaign.id}/live")).text()
    assert 'id="schedule"' not in page


async def test_outbox_health_and_why_a_customers_message_was_not_sent(
    web_client: Client,
    services: Core,
    clock: FakeClock,
    senders: dict[Channel, Sender],  # noqa: F811
    fake_twilio: FakeTwilio,  # noqa: F811
) -> None:
    campaign = await services.campaigns.create(spec(sure_win()))
    for phone in (FAILING, WAITING):  # texted the campaign number first
        await services.sms_store.begin_inbound(f"SM{phone[1:]:0>32}", phone, "HI", clock.now)
    for phone in (NEVER_TEXTED, FAILING):  # codes won through the admin API go by the outbox
        await services.outbox.enqueue_coupon(await services.draws.draw(phone, Channel.API))
    fake_twilio.fail_next(500)
    sending = dispatcher(services, senders, retry=RetryPolicy(max_attempts=1))
    assert await sending.tick() == {"skipped": 1, "dead": 1}
    await services.outbox.enqueue_coupon(await services.draws.draw(WAITING, Channel.API))
    clock.set(clock.now + timedelta(minutes=7))
    await sign_in(web_client)

    page = await (await web_client.get(f"/console/campaigns/{campaign.id}/live")).text()
    depth = page.split('id="outbox-depth"')[1].split("</p>")[0]
    assert re.findall(r'data-status="(\w+)">(\d+)<', depth) == [
        ("pending", "1"),
        ("sending", "0"),
        ("dead", "1"),
    ]
    assert "oldest waiting for 7 min" in depth
    dead = page.split('id="dead-messages"')[1].split("</table>")[0]
    assert "+85******002" in dead
    assert "500" in dead
    assert FAILING not in dead

    page = await (await web_client.get("/console/customers", params={"phone": NEVER_TEXTED})).text()
    row = page.split('id="messages"')[1].split("</table>")[0]
    assert 'data-status="skipped"' in row
    assert "not sent: this number has never texted the campaign number" in row
    web_client.session.cookie_jar.update_cookies({"ld_lang": "zh-Hant"})
    page = await (await web_client.get("/console/customers", params={"phone": NEVER_TEXTED})).text()
    assert "未發送：此號碼從未發短訊到活動號碼" in page
    page = await (await web_client.get("/console/customers", params={"phone": FAILING})).text()
    assert "多次失敗後放棄" in page  # dead: gave up after repeated failures
