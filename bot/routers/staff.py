"""/redeem <code> at the till: staff are recognised by their linked phone."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message, Update

from bot.routers.play import request_id
from bot.texts import redemption_text
from core.model import Customer, Language
from core.services.campaigns import CampaignService
from core.services.redemptions import RedemptionService


def create_router() -> Router:
    router = Router(name="staff")
    router.message.register(redeem_command, Command("redeem"))
    return router


async def redeem_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    customer: Customer,
    redemptions: RedemptionService,
    campaigns: CampaignService,
    language: Language,
    event_update: Update,
) -> None:
    """Non-staff get the same hint as any unknown command (core raises NotStaff)."""
    redemption = await redemptions.redeem(
        command.args or "", customer.phone, request_id(bot.id, event_update.update_id)
    )
    home = await campaigns.home()
    await message.answer(redemption_text(redemption, home, language))
