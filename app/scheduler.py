"""APScheduler 3 as the clock, PostgreSQL as the truth: each job calls one core tick.

Every instance runs the same jobs. Nothing here decides who sends what: reminders are
enqueued once by a unique key and outbox rows are claimed with SKIP LOCKED, so a job that
runs on two instances, runs late, or runs twice (a DST change) sends nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from app.outbox_wiring import OutboxJobs
from core.services.proofs import ProofService

log = structlog.get_logger(__name__)

DISPATCH_EVERY_SECONDS = 2
ENQUEUE_EVERY_SECONDS = 30
PUBLISH_PROOFS_EVERY_SECONDS = 60  # a day's proof appears within REVEAL_GRACE + this

JOB_DEFAULTS = {
    "max_instances": 1,  # a long tick (a paced batch) is never overlapped by the next
    "coalesce": True,  # runs missed while busy or asleep become one
    "misfire_grace_time": 300,  # the default (1 s) silently drops runs on a busy loop
}


async def dispatch(outbox: OutboxJobs) -> None:
    outcomes = await outbox.dispatcher.tick()
    if outcomes:
        log.info("outbox_dispatched", **outcomes)


async def enqueue_due(outbox: OutboxJobs) -> None:
    added = await outbox.reminders.tick()
    if added.reminders or added.expiry_notices:
        log.info("outbox_enqueued", reminders=added.reminders, expiry_notices=added.expiry_notices)


async def publish_proofs(proofs: ProofService) -> None:
    for campaign_id, day, root in await proofs.publish_due():
        log.info("proof_published", campaign_id=campaign_id, day=day.isoformat(), root=root)


def create_scheduler(outbox: OutboxJobs, proofs: ProofService) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
    jobs: list[tuple[str, Callable[[OutboxJobs], Awaitable[None]], int]] = [
        ("outbox.dispatch", dispatch, DISPATCH_EVERY_SECONDS),
        ("outbox.enqueue_due", enqueue_due, ENQUEUE_EVERY_SECONDS),
    ]
    for job_id, tick, seconds in jobs:
        scheduler.add_job(tick, IntervalTrigger(seconds=seconds), args=[outbox], id=job_id)
    scheduler.add_job(
        publish_proofs,
        IntervalTrigger(seconds=PUBLISH_PROOFS_EVERY_SECONDS),
        args=[proofs],
        id="proofs.publish",
    )
    return scheduler


@asynccontextmanager
async def running_scheduler(
    outbox: OutboxJobs, proofs: ProofService
) -> AsyncIterator[AsyncIOScheduler]:
    """Start the jobs on the running loop; stop them (without waiting) on the way out."""
    # Every run is logged at INFO, and a paced dispatch tick outlasting its interval (normal)
    # at WARNING: either would fill the log every two seconds. Ticks log what they did.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    scheduler = create_scheduler(outbox, proofs)
    scheduler.start()
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)  # cancels a running tick
        await asyncio.sleep(0)  # and lets it unwind before the pool closes
