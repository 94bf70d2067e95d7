"""The `serve` process: core, channels, app and scheduler; migrate, seed, serve until a signal."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from multiprocessing.process import BaseProcess
from typing import Any

import structlog
import uvloop
from aiohttp import web

from app.bootstrap import Core, open_core
from app.channels import open_channels
from app.devservers import embedded_servers
from app.logs import configure_logging
from app.outbox_wiring import build_outbox_jobs
from app.scheduler import running_scheduler
from app.server import create_app
from app.settings import Settings
from app.supervisor import Supervisor
from core import draw as rules
from core.validation import campaign_from_mapping

log = structlog.get_logger(__name__)
_MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"

DEMO_DAYS = 90  # how long a seeded campaign without dates runs


def run_server(settings: Settings, *, seed: Any = None, workers: int = 1) -> None:
    """Serve in this process, or in `workers` processes sharing the port (SO_REUSEPORT)."""
    configure_logging(settings.log_format, settings.log_level)
    if workers <= 1:
        uvloop.run(_serve(settings, seed))
        return
    with embedded_servers(settings) as shared, _metrics_directory():
        uvloop.run(_prepare(shared, seed))
        # Spawned, not forked: each worker builds its own loop, pool and clients.
        context = multiprocessing.get_context("spawn")

        def start(slot: int, restarts: int) -> BaseProcess:
            process = context.Process(
                target=_worker, args=(shared, slot == 0, restarts), name=f"worker-{slot}"
            )
            process.start()
            return process

        supervisor = Supervisor(start, workers)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: supervisor.stop.set())
        code = supervisor.run()
    if code:
        raise SystemExit(code)


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


def _worker(settings: Settings, scheduler: bool, restarts: int) -> None:
    configure_logging(settings.log_format, settings.log_level)
    # One scheduler is enough: its ticks are safe to run anywhere, but need not run twice.
    settings = settings.model_copy(update={"scheduler": scheduler})
    uvloop.run(_serve(settings, None, migrate=False, restarts=restarts))


async def _prepare(settings: Settings, seed: Any) -> None:
    """Migrate and seed once, before any worker starts."""
    async with open_core(settings, apply_migrations=True) as core:
        await _seed(core, seed)


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


async def _seed(core: Core, seed: Any) -> None:
    if seed is not None and not await core.campaigns.list():
        spec = campaign_from_mapping(dated_from_today(seed, core.clock()))
        campaign = await core.campaigns.create(spec)
        log.info("seeded_campaign", id=campaign.id, keyword=campaign.keyword)


async def _serve(settings: Settings, seed: Any, *, migrate: bool = True, restarts: int = 0) -> None:
    async with (
        open_core(settings, apply_migrations=migrate) as core,
        open_channels(settings, core) as channels,
    ):
        core.metrics.worker_restarts.set(restarts)
        await _seed(core, seed)
        app = create_app(settings, core, telegram_bot=channels.telegram_bot)
        runner = web.AppRunner(app, access_log=None)
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
                    outbox = build_outbox_jobs(settings, core, channels.senders)
                    await jobs.enter_async_context(running_scheduler(outbox))
                await stop.wait()
        finally:
            await runner.cleanup()
            log.info("stopped")
