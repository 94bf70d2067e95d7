"""The console's pages in a real browser (tests/console/browser.py). The README's screenshots
are taken here."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

from playwright.async_api import expect

from app.bootstrap import Core
from app.settings import Settings
from tests.console.browser import SCREENSHOTS, Console, needs_chromium
from tests.console.conftest import TOKEN
from tests.helpers import campaign_data, paced_first_prize, spec, sure_win
from tests.twilio_client import Twilio

pytestmark = needs_chromium


async def test_a_wrong_token_is_refused_and_the_right_one_signs_in(console: Console) -> None:
    await console.open("/console/campaigns/new")
    page = console.page
    await expect(page).to_have_url(console.base + "/console/signin")
    await page.get_by_label("Admin token").fill("not-the-token")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_have_text("Wrong token.")
    await console.sign_in()
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


async def test_create_a_campaign_fixing_an_invalid_field_then_see_it_listed(
    console: Console,
) -> None:
    await console.sign_in()
    page = console.page
    await page.get_by_role("link", name="New campaign").click()
    await page.get_by_label("Name", exact=True).first.fill("Spring Lucky Draw")
    await page.get_by_label("Keyword").fill("SPRING")
    await page.get_by_label("Starts at").fill("2026-12-01T00:00:00+08:00")
    await page.get_by_label("Ends at").fill("2026-12-31T23:59:59+08:00")
    prize = page.locator("fieldset.prize").first
    await prize.get_by_label("Name").fill("$5 Cash Coupon")
    await prize.get_by_label("Probability (0-1)").fill("0.05")
    await prize.get_by_label("Total quota").fill("1000")
    await prize.get_by_label("Daily quota").fill("2000")  # above the total: invalid
    await prize.get_by_label("Valid days").fill("30")
    await expect(page.locator("#preview")).to_contain_text("daily_quota exceeds total_quota")
    await page.get_by_role("button", name="Add a prize").click()
    second = page.locator("fieldset.prize").nth(1)
    await second.get_by_label("Name").fill("Free Tea")
    await second.get_by_label("Probability (0-1)").fill("0.2")
    await second.get_by_label("Total quota").fill("500")
    await second.get_by_label("Daily quota").fill("100")
    await second.get_by_label("Valid days").fill("7")
    await page.get_by_role("button", name="Create").click()
    await expect(prize.get_by_role("alert")).to_have_text("daily_quota exceeds total_quota")
    await page.locator("fieldset.prize").first.get_by_label("Daily quota").fill("50")
    await expect(page.locator("#preview")).to_contain_text(
        "about 100 wins of $5 Cash Coupon (1 in 20); daily quota 50 is reached after about "
        "1,000 entries"
    )
    await page.screenshot(path=SCREENSHOTS / "edit-form.png", full_page=True)
    await page.get_by_role("button", name="Create").click()
    await expect(page.get_by_role("heading", name="Spring Lucky Draw")).to_be_visible()
    await page.get_by_role("link", name="Campaigns").click()
    card = page.locator("article.campaign[data-keyword=SPRING]")
    await expect(card).to_contain_text("Free Tea 0 / 100")


async def test_edit_a_prize_quota_pause_and_resume_and_see_the_audit_trail(
    console: Console, services: Core
) -> None:
    campaign = await services.campaigns.create(spec(campaign_data()))
    await console.sign_in()
    page = console.page
    card = page.locator("article.campaign[data-keyword=WINTER]")
    await card.get_by_role("button", name="Pause").click()
    await expect(card.locator(".badge")).to_have_text("paused")
    await card.get_by_role("button", name="Resume").click()
    await expect(card.locator(".badge")).to_have_text("active")
    await card.get_by_role("link", name="Edit").click()
    await expect(page.get_by_label("Keyword")).to_have_attribute("readonly", "")  # started
    await page.locator("fieldset.prize").first.get_by_label("Daily quota").fill("80")
    await page.get_by_role("button", name="Save").click()
    await expect(page).to_have_url(f"{console.base}/console/campaigns/{campaign.id}")
    row = page.locator("tr[data-prize='$5 Cash Coupon']")
    await expect(row.locator(".issued-today")).to_have_text("0 / 80")
    audit = page.locator("table.audit")
    await expect(audit).to_contain_text("prizes[$5 Cash Coupon].daily_quota: 50 → 80")
    await expect(audit).to_contain_text("pause")
    assert (await services.campaigns.get(campaign.id)).prizes[0].daily_quota == 80


async def test_the_live_page_updates_after_draws_through_the_sms_webhook(
    console: Console, services: Core, plain_http: Settings
) -> None:
    # Paced over 08:00-20:00: by noon at least 3 of the day's 10 are released.
    data = paced_first_prize(sure_win(total=100, daily=10, open_hours="08:00-20:00"))
    campaign = await services.campaigns.create(spec(data))
    await console.sign_in()
    page = console.page
    await console.open(f"/console/campaigns/{campaign.id}")
    await expect(page.locator("#draws-today")).to_have_text("0")
    await expect(page.locator("#schedule tr[data-hour='19:00'] .released")).to_have_text("10")
    twilio = Twilio(console.client, plain_http)
    for i in range(3):
        answer = await twilio.text("DRAW", phone=f"+8529100000{i}")
        assert "You won" in answer.reply
    await expect(page.locator("#draws-today")).to_have_text("3")  # htmx polls every 3 s
    row = page.locator("tr[data-prize='Free Coffee']")
    await expect(row.locator(".issued-today")).to_have_text("3 / 10")
    # 7 left at 3 wins per 30 minutes: 70 minutes after noon in Hong Kong.
    await expect(row.locator(".sellout")).to_have_text("by 13:10")
    await expect(page.locator("#schedule tr.now .issued")).to_have_text("3")
    await page.screenshot(path=SCREENSHOTS / "live-campaign.png", full_page=True)


async def test_try_it_draws_through_the_sms_conversation(console: Console, services: Core) -> None:
    campaign = await services.campaigns.create(spec(sure_win()))
    await console.sign_in()
    page = console.page
    await console.open(f"/console/campaigns/{campaign.id}")
    await page.get_by_label("Phone").fill("+85291239999")
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator("#chat-log .bubble.in")).to_contain_text("You won Free Coffee")
    await page.get_by_label("Message").fill("DRAW")
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator("#chat-log .bubble.in").nth(1)).to_contain_text("already drew")
    assert (await services.campaigns.stats(campaign.id)).draws == 1


async def test_find_a_winner_by_code_and_download_the_csv(console: Console, services: Core) -> None:
    from core.model import Channel

    campaign = await services.campaigns.create(spec(sure_win()))
    won = [await services.draws.draw(f"+8529200000{i}", Channel.SMS) for i in range(3)]
    await console.sign_in()
    page = console.page
    await console.open(f"/console/campaigns/{campaign.id}/winners")
    await expect(page.locator("#winners tbody tr")).to_have_count(3)
    assert won[1].code is not None
    await page.get_by_role("searchbox").fill(won[1].code.lower())
    await page.get_by_role("button", name="Search").click()
    await expect(page.locator("#winners tbody tr")).to_have_count(1)
    await expect(page.locator("#winners tbody")).to_contain_text(won[1].code)
    await expect(page.locator("#winners tbody")).to_contain_text("+85******001")
    async with page.expect_download() as info:
        await page.get_by_role("link", name="Download CSV").click()
    download = await info.value
    path = await download.path()
    rows = list(csv.reader(io.StringIO(await asyncio.to_thread(Path(path).read_text))))
    assert rows[0][:3] == ["code", "prize", "phone"]
    assert sorted(r[0] for r in rows[1:]) == sorted(w.code or "" for w in won)


async def test_add_staff_from_a_csv_with_one_bad_row(console: Console, services: Core) -> None:
    await console.sign_in()
    page = console.page
    await page.get_by_role("link", name="Staff").click()
    await page.get_by_label("CSV", exact=True).fill(
        "phone,name\n+85261234567,Amy\nnot-a-phone,Bob\n61234568,Cat\n"
    )
    await page.get_by_role("button", name="Add").nth(1).click()
    await expect(page.get_by_role("status")).to_have_text("Added 2.")
    await expect(page.locator("#staff-errors")).to_contain_text("Line 3: not-a-phone,Bob")
    await expect(page.locator("#staff tbody tr")).to_have_count(2)
    assert {s.name for s in await services.staff.list()} == {"Amy", "Cat"}


async def test_look_up_a_customer_and_reveal_the_phone_on_the_record(
    console: Console, services: Core
) -> None:
    from core.model import Channel

    await services.campaigns.create(spec(sure_win()))
    await services.draws.draw("+85291234567", Channel.SMS)
    await console.sign_in()
    page = console.page
    await page.get_by_role("link", name="Customers").click()
    await page.get_by_label("Phone").fill("91234567")
    await page.get_by_role("button", name="Look up").click()
    await expect(page.locator("#shown-phone")).to_have_text("+85******567")
    await expect(page.locator("#customer")).to_contain_text("Free Coffee")
    await page.get_by_role("button", name="Show number").click()
    await expect(page.locator("#shown-phone")).to_have_text("+85291234567")
    await page.get_by_role("link", name="Audit trail").click()
    await expect(page.locator("table.audit")).to_contain_text("reveal phone +85******567")


async def test_the_list_on_a_phone_sized_screen_in_traditional_chinese(
    console: Console, services: Core
) -> None:
    from core.model import Channel

    campaign = await services.campaigns.create(spec(sure_win(total=100, daily=20)))
    for i in range(5):
        await services.draws.draw(f"+8529300000{i}", Channel.SMS)
    await console.sign_in()
    page = console.page
    await page.screenshot(path=SCREENSHOTS / "campaigns.png")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.get_by_role("link", name="繁體中文").click()
    await expect(page.get_by_role("heading", name="活動")).to_be_visible()
    await expect(page.locator(f"article.campaign >> text={campaign.name}")).to_be_visible()
    await page.screenshot(path=SCREENSHOTS / "campaigns-phone-zh.png")


async def test_a_tab_left_open_across_a_new_sign_in_says_why_it_is_refused(
    console: Console, services: Core
) -> None:
    """A sign-in in another tab changes the CSRF token: the old tab's Try it shows why in the
    chat, its Pause answers a page that says so, and each links back to a page that works."""
    campaign = await services.campaigns.create(spec(sure_win()))
    await console.sign_in()
    page = console.page
    await console.open(f"/console/campaigns/{campaign.id}")
    other = await page.context.new_page()
    await other.goto(console.base + "/console")
    await other.get_by_role("button", name="Sign out").click()
    await other.get_by_label("Admin token").fill(TOKEN)
    await other.get_by_role("button", name="Sign in").click()
    await expect(other.get_by_role("heading", name="Campaigns")).to_be_visible()
    await other.close()
    await page.get_by_label("Phone").fill("+85291239999")
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator("#chat-log [role=alert]")).to_contain_text("security token (CSRF)")
    await page.get_by_role("button", name="Pause").click()
    await expect(page.get_by_role("heading", name="Not done")).to_be_visible()
    await expect(page.get_by_role("alert")).to_contain_text("reload the page and try again")
    await page.get_by_role("link", name="Back to the campaign").click()
    await expect(page).to_have_url(console.base + f"/console/campaigns/{campaign.id}")
    await page.get_by_label("Phone").fill("+85291239999")
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator("#chat-log .bubble.in")).to_contain_text("You won Free Coffee")
    assert (await services.campaigns.get(campaign.id)).status.value == "active"
