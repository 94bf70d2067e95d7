"""The console in a real browser: Debian's Chromium driven by Playwright, against the whole app.

Every wait is for an element or a response, never for time; each action is bounded by
ACTION_MS. The browser is launched once per test session (tests/console/conftest.py); each
test gets its own context (cookies) and page.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import Browser, Page, ViewportSize, expect

from app.bootstrap import Core
from app.server import create_app
from app.settings import Settings
from tests.conftest import ROOT
from tests.console.conftest import TOKEN

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
ACTION_MS = 15_000
# The README's pictures are rewritten only when asked (UPDATE_SCREENSHOTS=1 make test), so a
# test run leaves the checkout as it found it; otherwise they go to a scratch folder.
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "luckydraw-screenshots"
)
SCREENSHOTS.mkdir(exist_ok=True)
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}

expect.set_options(timeout=ACTION_MS)
# Skipped only outside CI (.ci/run installs Chromium): in CI a missing browser fails the run.
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium (apt-get install -y chromium)",
)


class Console:
    """A browser tab on the served app, recording every URL the page asks for."""

    def __init__(self, page: Page, base: str, client: TestClient[web.Request, web.Application]):
        self.page = page
        self.base = base
        self.client = client
        self.requested: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.requested.append(r.url))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("dialog", lambda d: d.accept())  # the confirmations of pause and end

    async def open(self, path: str) -> None:
        await self.page.goto(self.base + path)

    async def sign_in(self) -> None:
        await self.open("/console")
        await self.page.get_by_label("Admin token").fill(TOKEN)
        await self.page.get_by_role("button", name="Sign in").click()
        await expect(self.page.get_by_role("heading", name="Campaigns")).to_be_visible()

    def assert_csp_never_blocked_anything(self) -> None:
        assert not [e for e in self.errors if "Content Security Policy" in e], self.errors

    def assert_nothing_from_other_hosts(self) -> None:
        assert self.requested
        assert all(u.startswith((self.base, "data:")) for u in self.requested), [
            u for u in self.requested if not u.startswith(self.base)
        ]


@asynccontextmanager
async def open_console(
    browser: Browser, services: Core, settings: Settings, init_script: Path | None = None
) -> AsyncIterator[Console]:
    """The whole app on 127.0.0.1 and a fresh browser context on it; on the way out, checks
    that nothing came from another host and that the CSP blocked nothing."""
    app = create_app(settings, services)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        context = await browser.new_context(viewport=DESKTOP)
        try:
            context.set_default_timeout(ACTION_MS)
            if init_script is not None:
                await context.add_init_script(path=init_script)
            page = await context.new_page()
            console = Console(page, str(client.make_url("")).rstrip("/"), client)
            yield console
            console.assert_nothing_from_other_hosts()
            console.assert_csp_never_blocked_anything()
        finally:
            await context.close()
