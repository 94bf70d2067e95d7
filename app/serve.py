"""The `serve` process: core, channels, app and scheduler; migrate, seed, serve until a signal."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import multiprocessing
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from multiprocessing.process import BaseProcess
from typing import Any

import structlog
import uvloop
from aiohttp import web

from app.bootstrap import Core, open_core
from app.channels import open_channels
from app.console_wiring import with_local_token
from app.devservers import embedded_servers
from app.first_screen import first_screen
from app.logs import configure_logging
from app.outbox_wiring import OutboxJobs, build_outbox_jobs
from app.scheduler import running_scheduler
from app.server import DRAINING, create_app
from app.settings import Settings
from app.startup import PortInUse, ensure_port_free
from app.supervisor import Supervisor
from core import draw as rules
from core.model import Campaign
from core.validation import campaign_from_mapping

log = structlog.get_logger(__name__)
_MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"

# On SIGTERM the outbox's sends in flight may take this long (a provider timeout and the
# record of its result) before the process stops anyway (the lease then brings them back).
OUTBOX_STOP_SECONDS = 15.0
DEMO_DAYS = 90  # how long a seeded campaign without dates runs


def run_server(settings: Settings, *, seed: Any = None, workers: int = 1) -> None:
    """Serve in this process, or in `workers` processes sharing the port (SO_REUSEPORT).

    Raises PortInUse when anything else listens on the port: only the workers of one `serve`
    share it, never a second `serve` (a stale one would otherwise answer half the requests).
    """
    configure_logging(settings.log_format, settings.log_level)
    ensure_port_free(settings.host, settings.port)
    # For local use without ADMIN_TOKEN: one for this run, shared by the workers.
    settings, console_link = with_local_token(settings)
    if workers <= 1:
        uvloop.run(_serve(settings, seed, console_link=console_link))
        return
    with embedded_servers(settings) as shared, _metrics_directory():
        campaigns = uvloop.run(_prepare(shared, seed))
        _greet(shared, campaigns, console_link)
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


def _greet(
    settings: Settings, campaigns: Sequence[Campaign], console_link: str | None = None
) -> None:
    """The first screen for a person (console logs); JSON logs get one `serving` line.

    `console_link` signs in with this run's own token (local use without ADMIN_TOKEN)."""
    url = f"http://{settings.host}:{settings.port}"
    if settings.log_format != "console":
        log.info("serving", url=url, console=console_link or f"{url}/console")
        return
    lines = first_screen(url, campaigns, datetime.now(UTC), settings.default_region, console_link)
    print("\n" + "\n".join(lines) + "\n", flush=True)


def _worker(settings: Settings, scheduler: bool, restarts: int) -> None:
    configure_logging(settings.log_format, settings.log_level)
    # One scheduler is enough: its ticks are safe to run anywhere, but need not run twice.
    settings = settings.model_copy(update={"scheduler": scheduler})
    uvloop.run(_serve(settings, None, migrate=False, restarts=restarts, worker=True))


async def _prepare(settings: Settings, seed: Any) -> Sequence[Campaign]:
    """Migrate and seed once, before any worker starts; answers the campaigns."""
    async with open_core(settings, apply_migrations=True) as core:
        await _seed(core, seed)
        return await core.campaigns.list()


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


async def _serve(
    settings: Settings,
    seed: Any,
    *,
    migrate: bool = True,
    restarts: int = 0,
    worker: bool = False,
    console_link: str | None = None,
) -> None:
    """Serve until a signal: alone, or as one of `serve --workers`, which share the port."""
    async with (
        open_core(settings, apply_migrations=migrate) as core,
        open_channels(settings, core) as channels,
    ):
        core.metrics.worker_restarts.set(restarts)
        await _seed(core, seed)
        app = create_app(settings, core, telegram_bot=channels.telegram_bot)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, settings.host, settings.port, reuse_port=worker)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(settings.host, settings.port) from None
            raise
        if worker:
            log.info("serving", url=f"http://{settings.host}:{settings.port}")
        else:
            _greet(settings, await core.campaigns.list(), console_link)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if worker:
            _stop_with_supervisor(loop, stop)
        try:
            async with AsyncExitStack() as jobs:
                outbox = None
                if settings.scheduler:
                    outbox = build_outbox_jobs(settings, core, channels.senders)
                    await jobs.enter_async_context(running_scheduler(outbox, core.proofs))
                await stop.wait()
                await _drain(app, settings, outbox)
        finally:
            await runner.cleanup()  # requests in flight finish; idle connections close
            log.info("stopped")


def _stop_with_supervisor(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """A worker whose supervisor died (SIGKILL, the OOM killer) drains and stops as on
    SIGTERM, instead of serving on, orphaned, on a port a new `serve` would share with it
    (SO_REUSEPORT). The parent's sentinel becomes readable when the parent is gone."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def gone() -> None:
        loop.remove_reader(parent.sentinel)
        log.warning("supervisor_gone", reason="the serve process died", pid=parent.pid)
        stop.set()

    loop.add_reader(parent.sentinel, gone)


async def _drain(app: web.Application, settings: Settings, outbox: OutboxJobs | None) -> None:
    """Stop gracefully: unready first, keep answering for the grace period while load
    balancers move away, and let the outbox finish its sends in flight meanwhile."""
    grace = settings.shutdown_grace_seconds
    log.info("draining", grace_seconds=grace)
    app[DRAINING].set()
    work = [asyncio.sleep(grace)]
    if outbox is not None:
        work.append(_stop_outbox(outbox, max(grace, OUTBOX_STOP_SECONDS)))
    await asyncio.gather(*work)


async def _stop_outbox(outbox: OutboxJobs, seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            await outbox.dispatcher.stop()
    except TimeoutError:
        log.warning("outbox_stop_timeout", seconds=seconds)  # the lease brings them back
