"""/stop (no more reminders) and /lang; /start opts back in (see onboarding)."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.keyboards import LanguageButton, language_picker
from bot.texts import text
from core.languages import language_named
from core.model import Customer, Language
from core.services.people import CustomerService


def create_router() -> Router:
    router = Router(name="preferences")
    router.message.register(stop_command, Command("stop"))
    router.message.register(lang_command, Command("lang"))
    router.callback_query.register(language_button, LanguageButton.filter())
    return router


async def stop_command(
    message: Message, customer: Customer, customers: CustomerService, language: Language
) -> None:
    await customers.opt_out(customer.phone, "telegram:/stop")
    await message.answer(text("stop.done", language))


async def lang_command(
    message: Message,
    command: CommandObject,
    customer: Customer,
    customers: CustomerService,
    language: Language,
) -> None:
    chosen = language_named(command.args or "")
    if chosen is None:
        await message.answer(text("tg.lang_choose", language), reply_markup=language_picker())
        return
    await customers.set_language(customer.phone, chosen)
    await message.answer(text("lang.set", chosen))


async def language_button(
    query: CallbackQuery,
    callback_data: LanguageButton,
    bot: Bot,
    customer: Customer,
    customers: CustomerService,
) -> None:
    await customers.set_language(customer.phone, callback_data.language)
    await bot.send_message(query.from_user.id, text("lang.set", callback_data.language))
    await query.answer()
