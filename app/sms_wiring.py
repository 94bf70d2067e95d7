"""The SMS channel, built from the services: the conversation and the Twilio webhooks."""

from __future__ import annotations

from aiohttp import web

from app.bootstrap import Services
from core.model import Channel
from sms.conversation import Conversation
from sms.webhook import SmsWebhook, add_sms_routes


def sms_conversation(services: Services, channel: Channel = Channel.SMS) -> Conversation:
    return Conversation(
        draws=services.draws,
        spam=services.spam,
        customers=services.customers,
        redemptions=services.redemptions,
        campaigns=services.campaigns,
        channel=channel,
    )


def add_sms(app: web.Application, services: Services) -> None:
    settings = services.settings
    token = settings.twilio_auth_token
    add_sms_routes(
        app,
        SmsWebhook(
            conversation=sms_conversation(services),
            store=services.sms_store,
            customers=services.customers,
            clock=services.clock,
            auth_token=token.get_secret_value() if token else None,
            public_base_url=settings.public_base_url,
            default_region=settings.default_region,
            deadline_seconds=settings.webhook_deadline_seconds,
            apologised=lambda reason: services.metrics.apologies.labels("sms", reason).inc(),
        ),
    )
