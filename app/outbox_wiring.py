"""The outbox's use cases built from settings: queueing, reminders, and the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from app.settings import Settings
from core.model import Channel
from core.ports import CampaignStore, Clock, RandomSource, Sender, Telemetry
from core.retry import RetryPolicy
from core.services.outbox import DispatchConfig, Dispatcher, OutboxService
from core.services.reminders import ReminderService
from db.outbox import PgOutboxStore


@dataclass(frozen=True, slots=True)
class Outbox:
    service: OutboxService
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
    )


def build_outbox(
    settings: Settings,
    pool: asyncpg.Pool,
    campaigns: CampaignStore,
    clock: Clock,
    random: RandomSource,
    senders: dict[Channel, Sender],
    telemetry: Telemetry,
) -> Outbox:
    store = PgOutboxStore(pool)
    return Outbox(
        service=OutboxService(store, campaigns, clock, settings.quiet_hours),
        reminders=ReminderService(campaigns, store, clock, settings.quiet_hours),
        dispatcher=Dispatcher(store, senders, clock, random, dispatch_config(settings), telemetry),
    )
