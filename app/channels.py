"""What reaches customers: the SMS sender and, with TELEGRAM_BOT_TOKEN, the Telegram bot.

Only `luckydraw serve` opens them (the webhooks answer through the bot, the outbox sends
through both); the CLI commands never build a Twilio session or a bot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.bootstrap import Core
from app.settings import Settings
from core.model import Channel
from core.ports import Sender
from sms.sender import TwilioConfig, open_sms_sender

if TYPE_CHECKING:
    from aiogram import Bot


@dataclass(frozen=True, slots=True)
class Channels:
    sms: Sender  # SMS_BACKEND, behind the anti-pumping guard
    telegram_bot: Bot | None = None  # the webhook's or polling's bot, and the sender's
    telegram: Sender | None = None

    @property
    def senders(self) -> dict[Channel, Sender]:
        senders = {Channel.SMS: self.sms}
        if self.telegram is not None:
            senders[Channel.TELEGRAM] = self.telegram
        return senders


@asynccontextmanager
async def open_channels(settings: Settings, core: Core) -> AsyncIterator[Channels]:
    """The senders (and bot), closed when the context ends."""
    async with AsyncExitStack() as stack:
        sms = await stack.enter_async_context(
            open_sms_sender(
                twilio_config(settings), core.sms_store, core.customers, settings.allowed_countries
            )
        )
        if settings.telegram_bot_token is None:
            yield Channels(sms=sms)
            return
        # aiogram is imported only now: it alone adds ~125 MB to every process that loads it.
        from bot.client import open_bot
        from bot.sender import TelegramSender

        bot = await stack.enter_async_context(
            open_bot(settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base)
        )
        yield Channels(sms=sms, telegram_bot=bot, telegram=TelegramSender(bot, core.customers))


def twilio_config(settings: Settings) -> TwilioConfig | None:
    """Twilio when SMS_BACKEND=twilio and its credentials are set; else the console."""
    token = settings.twilio_auth_token
    if (
        settings.sms_backend != "twilio"
        or not settings.twilio_account_sid
        or token is None
        or not settings.twilio_from
    ):
        return None
    return TwilioConfig(
        account_sid=settings.twilio_account_sid,
        auth_token=token.get_secret_value(),
        sender=settings.twilio_from,
        status_callback_url=settings.public_base_url.rstrip("/") + "/sms/status",
        api_base=settings.twilio_api_base,
        timeout_seconds=settings.twilio_timeout_seconds,
    )
