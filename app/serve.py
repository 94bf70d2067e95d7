"""The `serve` process: build services, migrate, seed the demo campaign, serve until a signal."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import structlog
import uvloop
from aiohttp import web

from app.bootstrap import build_services
from app.logs import configure_logging
from app.server import create_app
from app.settings import Settings

log = structlog.get_logger(__name__)


def run_server(settings: Settings, *, seed: Any = None) -> None:
    configure_logging(settings.log_format, settings.log_level)
    uvloop.run(_serve(settings, seed))


async def _serve(settings: Settings, seed: Any) -> None:
    async with build_services(settings, apply_migrations=True) as services:
        if seed is not None and not await services.campaigns.list():
            campaign = await services.campaigns.create(seed)
            log.info("seeded_campaign", id=campaign.id, keyword=campaign.keyword)
        runner = web.AppRunner(create_app(services), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, settings.host, settings.port, reuse_port=True)
        await site.start()
        log.info("serving", url=f"http://{settings.host}:{settings.port}")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
            log.info("stopped")
