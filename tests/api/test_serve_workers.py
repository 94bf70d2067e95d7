"""`luckydraw serve --workers 2`: one port, two processes, and /metrics counts them both."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import AUTH, empty_database
from tests.api.test_deploy import LUCKYDRAW, _free_port, _wait_ready
from tests.helpers import sure_win

REQUESTS = 60
DRAWS = 20
SCRAPES = 5


async def test_every_scrape_of_a_two_worker_serve_counts_the_requests_of_both_workers(
    server_urls: tuple[str, str], redis_prefix: str, tmp_path: Path
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    async with empty_database(server_urls[0]) as database_url:
        env = {
            "PATH": os.environ["PATH"],
            "DATABASE_URL": database_url,
            "REDIS_URL": server_urls[1],
            "REDIS_PREFIX": redis_prefix + "workers:",
            "PORT": str(port),
            "ADMIN_TOKEN": "test-admin-token-0123456789abcdef",
            "DEFAULT_REGION": "HK",
            "SCHEDULER": "false",
        }
        with (tmp_path / "serve.log").open("w") as log:
            server = await asyncio.create_subprocess_exec(
                LUCKYDRAW, "serve", "--workers", "2", env=env, cwd=tmp_path,
                stdout=log, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
            try:
                # A new connection per request: the kernel spreads them over both workers.
                connector = aiohttp.TCPConnector(force_close=True)
                async with aiohttp.ClientSession(connector=connector) as http:
                    await _wait_ready(http, base, server)
                    await _both_listening(tmp_path / "serve.log")
                    campaign = sure_win(
                        starts_at="2020-01-01T00:00:00Z", ends_at="2999-01-01T00:00:00Z"
                    )
                    async with http.post(f"{base}/api/campaigns", json=campaign, headers=AUTH) as r:
                        assert r.status == 201
                    for _ in range(REQUESTS):
                        async with http.get(f"{base}/healthz") as r:
                            assert r.status == 200
                    for i in range(DRAWS):
                        draw = {"phone": f"+8529123{i:04d}"}
                        async with http.post(f"{base}/api/draws", json=draw, headers=AUTH) as r:
                            assert r.status == 201
                    scrapes = [await _scrape(http, base) for _ in range(SCRAPES)]
            finally:
                if server.returncode is None:
                    server.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(server.wait(), 30) == 0
    healthz = ("luckydraw_http_requests_total", (("method", "GET"), ("route", "/healthz"),
                                                 ("status", "200")))  # fmt: skip
    won = ("luckydraw_draws_total", (("channel", "api"), ("outcome", "won")))
    for scrape in scrapes:
        assert scrape[healthz] == REQUESTS
        assert scrape[won] == DRAWS
        assert scrape[("luckydraw_coupons_issued_total", ())] == DRAWS


async def _both_listening(log: Path) -> None:
    for _ in range(300):
        text = await asyncio.to_thread(log.read_text)
        if text.count("serving") == 2:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("two workers did not start: " + text)


async def _scrape(
    http: aiohttp.ClientSession, base: str
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with http.get(f"{base}/metrics") as resp:
        assert resp.status == 200
        text = await resp.text()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
