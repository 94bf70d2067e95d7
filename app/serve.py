"""The `serve` process: build services, migrate, seed the demo campaign, serve until a signal."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from typing import Any

import structlog
import uvloop
from aiohttp import web

from app.bootstrap import Services, build_services, embedded_servers
from app.console_wiring import with_local_token
from app.logs import configure_logging
from app.scheduler import running_scheduler
from app.server import create_app
from app.settings import Settings
from core import draw as rules

log = structlog.get_logger(__name__)
_MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"

DEMO_DAYS = 90  # how long a seeded campaign without dates runs


def run_server(settings: Settings, *, seed: Any = None, workers: int = 1) -> None:
    """Serve in this process, or in `workers` processes sharing the port (SO_REUSEPORT)."""
    configure_logging(settings.log_format, settings.log_level)
    settings, console_link = with_local_token(settings)
    if console_link is not None:  # before the workers start: they share the token
        print(
            f"Operator console (token for this run only; set ADMIN_TOKEN to keep one):\n"
            f"    {console_link}",
            flush=True,
        )
    if workers <= 1:
        uvloop.run(_serve(settings, seed))
        return
    with embedded_servers(settings) as shared, _metrics_directory():
        uvloop.run(_prepare(shared, seed))
        # Spawned, not forked: each worker builds its own loop, pool and clients.
        context = multiprocessing.get_context("spawn")
        processes = [
            context.Process(target=_worker, args=(shared, i == 0), name=f"worker-{i}")
            for i in range(workers)
        ]
        for process in processes:
            process.start()
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        while not stop.is_set() and all(p.is_alive() for p in processes):
            stop.wait(0.5)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=30)


@contextlib.contextmanager
def _metrics_directory() -> Iterator[None]:
    """A fresh directory per run for the workers' metric files (inherited through the
    environment by the spawned workers), so /metrics sums the whole group and a restart
    starts from zero. Under PROMETHEUS_MULTIPROC_DIR when that is set."""
    path = tempfile.mkdtemp(prefix="luckydraw-metrics-", dir=os.environ.get(_MULTIPROC_DIR))
    previous = os.environ.get(_MULTIPROC_DIR)
    os.environ[_MULTIPROC_DIR] = path
    try:
        yield
    finally:
        if previous is None:
            del os.environ[_MULTIPROC_DIR]
        else:
            os.environ[_MULTIPROC_DIR] = previous
        shutil.rmtree(path, ignore_errors=True)


def _worker(settings: Settings, scheduler: bool) -> None:
    configure_logging(settings.log_format, settings.log_level)
    # One scheduler is enough: its ticks are safe to run anywhere, but need not run twice.
    uvloop.run(_serve(settings.model_copy(update={"scheduler": scheduler}), None, migrate=False))


async def _prepare(settings: Settings, seed: Any) -> None:
    """Migrate and seed once, before any worker starts."""
    async with build_services(settings, apply_migrations=True) as services:
        await _seed(services, seed)


def dated_from_today(seed: Any, now: datetime) -> Any:
    """A seed that leaves out `starts_at` and `ends_at` runs from today's local midnight for
    DEMO_DAYS days, so `make run` always gives a playable demo. Anything else is left as it is
    (and validated as usual)."""
    if not isinstance(seed, Mapping) or "starts_at" in seed or "ends_at" in seed:
        return seed
    try:
        starts = rules.start_of_day(rules.local_day(now, seed["timezone"]), seed["timezone"])
    except (KeyError, TypeError, ValueError):
        return seed  # no or an invalid time zone: validation names it
    ends = rules.start_of_day(starts.date() + timedelta(days=DEMO_DAYS), seed["timezone"])
    return {**seed, "starts_at": starts.isoformat(), "ends_at": ends.isoformat()}


async def _seed(services: Services, seed: Any) -> None:
    if seed is not None and not await services.campaigns.list():
        campaign = await services.campaigns.create(dated_from_today(seed, services.clock()))
        log.info("seeded_campaign", id=campaign.id, keyword=campaign.keyword)


async def _serve(settings: Settings, seed: Any, *, migrate: bool = True) -> None:
    async with build_services(settings, apply_migrations=migrate) as services:
        await _seed(services, seed)
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
            async with AsyncExitStack() as jobs:
                if settings.scheduler:
                    await jobs.enter_async_context(running_scheduler(services.outbox))
                await stop.wait()
        finally:
            await runner.cleanup()
            log.info("stopped")
