"""/start, the shared contact, and the gate that asks for it until a phone is linked."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.enums import ChatMemberStatus
from aiogram.filters import CommandStart
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message, ReplyKeyboardRemove

from bot.keyboards import share_contact
from bot.texts import text
from core.errors import InvalidPhone
from core.languages import own_language
from core.model import Customer, Language
from core.phone import mask, parse_international
from core.services.people import CustomerService


# Filters are coroutines: aiogram runs a plain function (a magic F filter too) in a thread,
# for every update it checks: ~20 % of a worker's CPU on Telegram draws in py-spy.
async def unlinked(_: object, customer: Customer | None) -> bool:
    return customer is None


async def has_contact(message: Message) -> bool:
    return message.contact is not None


def create_router() -> Router:
    router = Router(name="onboarding")
    router.message.register(start_unlinked, CommandStart(), unlinked)
    router.message.register(start_linked, CommandStart())
    router.message.register(contact_shared, has_contact)
    router.message.register(ask_contact, unlinked)
    router.callback_query.register(ask_contact_from_button, unlinked)
    router.my_chat_member.register(membership_changed)
    return router


async def start_unlinked(message: Message, language: Language) -> None:
    await message.answer(text("tg.welcome", language), reply_markup=share_contact(language))


async def start_linked(
    message: Message, customer: Customer, customers: CustomerService, language: Language
) -> None:
    """/start after linking is "send me reminders again" (also what unblocking the bot sends)."""
    if customer.telegram_blocked:
        await customers.telegram_back(customer.phone)
    if customer.opted_out:
        await customers.opt_in(customer.phone, "telegram:/start")
        await message.answer(text("start.done", language))
    else:
        await message.answer(text("tg.ready", language))


async def contact_shared(message: Message, customers: CustomerService, language: Language) -> None:
    """Link only the sender's own number: Telegram vouches for it, nobody else's."""
    contact = message.contact
    assert contact is not None
    assert message.from_user is not None
    if contact.user_id != message.from_user.id:
        await message.answer(
            text("tg.contact_not_yours", language), reply_markup=share_contact(language)
        )
        return
    try:
        phone = parse_international(contact.phone_number)
    except InvalidPhone:
        await message.answer(
            text("tg.invalid_phone", language), reply_markup=share_contact(language)
        )
        return
    customer = await customers.link_telegram(message.from_user.id, phone)
    language = own_language(customer, language)
    await message.answer(
        text("tg.linked", language, phone=mask(phone)), reply_markup=ReplyKeyboardRemove()
    )


async def ask_contact(message: Message, language: Language) -> None:
    await message.answer(text("tg.ask_contact", language), reply_markup=share_contact(language))


async def ask_contact_from_button(query: CallbackQuery, bot: Bot, language: Language) -> None:
    await query.answer()
    # A private chat's id is the user's id, and a button's message may be too old to read.
    await bot.send_message(
        query.from_user.id, text("tg.ask_contact", language), reply_markup=share_contact(language)
    )


async def membership_changed(
    update: ChatMemberUpdated, customer: Customer | None, customers: CustomerService
) -> None:
    """Telegram tells us when the bot is blocked (kicked) and unblocked: send accordingly."""
    if customer is None:
        return
    if update.new_chat_member.status == ChatMemberStatus.KICKED:
        await customers.telegram_blocked(customer.phone)
    elif customer.telegram_blocked:
        await customers.telegram_back(customer.phone)
