"""The console served by the whole app on 127.0.0.1, and a signed-in HTTP client for it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest
from aiohttp import CookieJar, web
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import Browser, async_playwright

from app.bootstrap import Core
from app.server import create_app
from app.settings import Settings

TOKEN = "test-admin-token-0123456789abcdef"
Client = TestClient[web.Request, web.Application]

if TYPE_CHECKING:
    from tests.console.browser import Console


@pytest.fixture
def plain_http(settings: Settings) -> Settings:
    """Settings with a plain-http PUBLIC_BASE_URL: session cookies without `Secure`, so a
    client on http://127.0.0.1 sends them back."""
    return settings.model_copy(update={"public_base_url": "http://127.0.0.1"})


@pytest.fixture
async def web_client(services: Core, plain_http: Settings) -> AsyncIterator[Client]:
    # unsafe: keep cookies set by an IP address host (127.0.0.1), as browsers do.
    jar = CookieJar(unsafe=True)
    app = create_app(plain_http, services)
    async with TestClient(TestServer(app), cookie_jar=jar) as client:
        yield client


async def sign_in(client: Client) -> str:
    """Sign in; answers the session's CSRF token (read from a page, as a browser would)."""
    resp = await client.post("/console/signin", data={"token": TOKEN}, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    page = await (await client.get("/console")).text()
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match is not None
    return match[1]


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One Chromium for every browser test of the session."""
    from tests.console.browser import ARGS, CHROMIUM

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=60_000)
        yield browser
        await browser.close()


@pytest.fixture
async def console(browser: Browser, services: Core, plain_http: Settings) -> AsyncIterator[Console]:
    from tests.console.browser import open_console

    async with open_console(browser, services, plain_http) as console:
        yield console
