"""Accessibility of every console page: axe-core (vendored under tests/console/vendor, MPL-2.0)
finds no serious or critical violation on desktop and phone-sized screens, in English and in
Traditional Chinese; an operator signs in and pauses a campaign with the keyboard alone, and the
live page's refreshes leave the keyboard focus where it was."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from app.bootstrap import Core
from app.settings import Settings
from core.model import Channel
from tests.console.browser import DESKTOP, PHONE, Console, needs_chromium, open_console
from tests.console.conftest import TOKEN
from tests.helpers import campaign_data, paced_first_prize, spec

pytestmark = needs_chromium

AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
# axe's own findings of the two worst impacts, with the elements they are about.
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" "))}));
}"""


@pytest.fixture
async def axe_console(
    browser: Browser, services: Core, plain_http: Settings
) -> AsyncIterator[Console]:
    """A console tab with axe-core loaded into every page (an init script, which the page's
    Content-Security-Policy does not apply to: nothing is served to operators)."""
    async with open_console(browser, services, plain_http, init_script=AXE) as console:
        yield console


async def violations(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await page.evaluate(RUN_AXE)
    return found


async def test_no_serious_accessibility_violation_on_any_page_desktop_or_phone(
    axe_console: Console, services: Core
) -> None:
    data = paced_first_prize(campaign_data(open_hours="09:00-21:00"))
    campaign = await services.campaigns.create(spec(data))
    await services.draws.draw("+85291234567", Channel.SMS)
    page = axe_console.page
    pages = {
        "list": "/console",
        "live": f"/console/campaigns/{campaign.id}",
        "edit": f"/console/campaigns/{campaign.id}/edit",
        "new": "/console/campaigns/new",
        "winners": f"/console/campaigns/{campaign.id}/winners",
        "staff": "/console/staff",
        "customer": "/console/customers?phone=%2B85291234567",
        "audit": "/console/audit",
        "not found": "/console/campaigns/999",  # a refusal page
    }
    found: dict[str, list[dict[str, Any]]] = {}
    for size, viewport, lang in (("desktop", DESKTOP, "en"), ("phone", PHONE, "en"),
                                 ("phone", PHONE, "zh-Hant")):  # fmt: skip
        await page.set_viewport_size(viewport)
        await page.context.clear_cookies()
        await axe_console.open("/console/signin")
        found[f"signin {size} {lang}"] = await violations(page)
        await axe_console.sign_in()
        await axe_console.open(f"/console/lang/{lang}")
        for name, path in pages.items():
            await axe_console.open(path)
            assert await page.get_attribute("html", "lang") == lang
            if name in ("edit", "new"):  # the odds preview has come
                await expect(page.locator("#preview")).not_to_be_empty()
            found[f"{name} {size} {lang}"] = await violations(page)
    assert {k: v for k, v in found.items() if v} == {}


async def focused(page: Page) -> dict[str, str]:
    info: dict[str, str] = await page.evaluate(
        """() => {
          const e = document.activeElement;
          const style = getComputedStyle(e);
          return {text: (e.innerText || e.value || "").trim(), tag: e.tagName,
                  outline: style.outlineStyle, width: style.outlineWidth,
                  visible: String(e.matches(":focus-visible"))};
        }"""
    )
    return info


async def tab_to(page: Page, text: str, limit: int = 40) -> None:
    """Press Tab until the focused element says `text`; its focus ring must show."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        now = await focused(page)
        if now["text"] == text:
            assert now["visible"] == "true", now
            assert now["outline"] != "none", now
            assert now["width"] != "0px", now
            return
    raise AssertionError(f"{text!r} not reached in {limit} Tab presses")


async def test_sign_in_then_pause_and_resume_a_campaign_with_the_keyboard_alone(
    console: Console, services: Core
) -> None:
    campaign = await services.campaigns.create(spec(campaign_data()))
    page = console.page
    await console.open("/console")
    assert (await focused(page))["tag"] == "INPUT"  # the token field has the focus
    await page.keyboard.type(TOKEN)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()
    card = page.locator("article.campaign[data-keyword=WINTER]")

    await tab_to(page, "Pause")
    await page.keyboard.press("Enter")  # the confirmation is accepted by the console's handler
    await expect(card.locator(".badge")).to_have_text("paused")
    await tab_to(page, "Resume")
    await page.keyboard.press("Enter")
    await expect(card.locator(".badge")).to_have_text("active")
    assert [e.action.value for e in await services.campaigns.audit_trail(campaign.id)] == [
        "resume",
        "pause",
    ]


async def test_focus_stays_put_when_the_live_page_refreshes_itself(
    console: Console, services: Core
) -> None:
    campaign = await services.campaigns.create(spec(campaign_data()))
    await console.sign_in()
    page = console.page
    await console.open(f"/console/campaigns/{campaign.id}")
    await page.focus("#prizes-region")  # a scrollable table a keyboard user scrolls
    await services.draws.draw("+85291234567", Channel.SMS)
    await expect(page.locator("#draws-today")).to_have_text("1")  # swapped in by htmx
    assert await page.evaluate("document.activeElement.id") == "prizes-region"
