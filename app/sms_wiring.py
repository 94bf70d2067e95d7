"""The SMS channel, built from the core: the conversation and the Twilio webhooks."""

from __future__ import annotations

from aiohttp import web

from app.bootstrap import Core
from app.settings import Settings
from core.model import Channel
from sms.conversation import Conversation
from sms.webhook import SmsWebhook, add_sms_routes


def sms_conversation(core: Core, channel: Channel = Channel.SMS) -> Conversation:
    return Conversation(
        draws=core.draws,
        spam=core.spam,
        customers=core.customers,
        redemptions=core.redemptions,
        campaigns=core.campaigns,
        rules=core.rules,
        proofs=core.proofs,
        channel=channel,
        telemetry=core.telemetry,
    )


def add_sms(app: web.Application, settings: Settings, core: Core) -> None:
    token = settings.twilio_auth_token
    add_sms_routes(
        app,
        SmsWebhook(
            conversation=sms_conversation(core),
            store=core.sms_store,
            customers=core.customers,
            clock=core.clock,
            auth_token=token.get_secret_value() if token else None,
            public_base_url=settings.public_base_url,
            default_region=settings.default_region,
            deadline_seconds=settings.webhook_deadline_seconds,
            apologised=lambda reason: core.metrics.apologies.labels("sms", reason).inc(),
            refused=lambda reason, path: core.telemetry.refused("sms", reason, path=path),
        ),
    )
