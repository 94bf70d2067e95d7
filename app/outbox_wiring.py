"""The outbox's scheduled jobs, for `luckydraw serve`: reminders and the dispatcher.

Queueing and stats (`Core.outbox`) need no sender; the dispatcher sends through the channels
this process opened.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.bootstrap import Core
from app.settings import Settings
from core.model import Channel
from core.ports import Sender
from core.retry import RetryPolicy
from core.services.outbox import DispatchConfig, Dispatcher
from core.services.reminders import ReminderService
from db.outbox import PgOutboxStore


@dataclass(frozen=True, slots=True)
class OutboxJobs:
    reminders: ReminderService
    dispatcher: Dispatcher


def dispatch_config(settings: Settings) -> DispatchConfig:
    return DispatchConfig(
        rates={
            Channel.SMS: settings.sms_rate_per_second or None,
            Channel.TELEGRAM: settings.telegram_rate_per_second or None,
        },
        retry=RetryPolicy(
            max_attempts=settings.outbox_max_attempts, base_seconds=settings.outbox_retry_seconds
        ),
        lease_seconds=settings.outbox_lease_seconds,
        quiet_hours=settings.quiet_hours,
    )


def build_outbox_jobs(settings: Settings, core: Core, senders: dict[Channel, Sender]) -> OutboxJobs:
    store = PgOutboxStore(core.pool)
    return OutboxJobs(
        reminders=ReminderService(core.campaign_store, store, core.clock, settings.quiet_hours),
        dispatcher=Dispatcher(
            store, senders, core.clock, core.random, dispatch_config(settings), core.telemetry
        ),
    )
