"""Playing: /draw [keyword], the Draw button, /coupons, /help, /rules and /proof [keyword]."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.methods import SendMessage
from aiogram.types import CallbackQuery, Message, Update

from bot.keyboards import DrawButton
from bot.texts import coupons_text, draw_text, help_text, proof_text, rules_text
from core.model import Channel, Customer, Language
from core.services.campaigns import CampaignService
from core.services.draws import DrawService, SpamGuard
from core.services.people import CustomerService
from core.services.proofs import ProofService
from core.services.rules import RulesService


def request_id(bot_id: int, update_id: int) -> str:
    """Telegram redelivers an update with the same id: the draw answers it as the first time.

    Update ids are unique per bot only (another bot may share the database), so the bot's id
    is part of the request id."""
    return f"tg:{bot_id}:{update_id}"


def create_router() -> Router:
    router = Router(name="play")
    router.message.register(draw_command, Command("draw"))
    router.callback_query.register(draw_button, DrawButton.filter())
    router.message.register(coupons_command, Command("coupons"))
    router.message.register(help_command, Command("help"))
    router.message.register(rules_command, Command("rules"))
    router.message.register(proof_command, Command("proof"))
    return router


async def draw_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    customer: Customer,
    draws: DrawService,
    language: Language,
    event_update: Update,
    spam: SpamGuard,
) -> SendMessage:
    """The reply goes back in the webhook's response body (bot/webhook.py): no second call.
    The draw counts the message against the flood limit (bot/identity.py)."""
    keyword = command.args.split()[0] if command.args else None
    result = await draws.draw(
        customer.phone,
        Channel.TELEGRAM,
        keyword,
        request_id(bot.id, event_update.update_id),
        spam=spam,
    )
    return message.answer(draw_text(result, language))


async def draw_button(
    query: CallbackQuery,
    callback_data: DrawButton,
    bot: Bot,
    customer: Customer,
    draws: DrawService,
    language: Language,
    event_update: Update,
) -> None:
    result = await draws.draw(
        customer.phone,
        Channel.TELEGRAM,
        callback_data.keyword,
        request_id(bot.id, event_update.update_id),
    )
    await bot.send_message(query.from_user.id, draw_text(result, language))
    await query.answer()


async def coupons_command(
    message: Message, customer: Customer, customers: CustomerService, language: Language
) -> None:
    await message.answer(coupons_text(await customers.coupons(customer.phone), language))


async def help_command(message: Message, campaigns: CampaignService, language: Language) -> None:
    await message.answer(help_text(await campaigns.home(), language))


async def rules_command(
    message: Message,
    command: CommandObject,
    campaigns: CampaignService,
    rules: RulesService,
    language: Language,
) -> None:
    """The link to the official rules of the campaign named, or of the home campaign."""
    keyword = command.args.split()[0] if command.args else None
    campaign = await rules.campaign(keyword, await campaigns.home())
    await message.answer(rules_text(campaign, rules.link(campaign.keyword), language))


async def proof_command(
    message: Message,
    command: CommandObject,
    customer: Customer,
    proofs: ProofService,
    language: Language,
) -> None:
    """The customer's entry reference and the proof link (verifiable draws)."""
    keyword = command.args.split()[0] if command.args else None
    entry = await proofs.entry_reference(customer.phone, keyword)
    await message.answer(proof_text(entry, language))
