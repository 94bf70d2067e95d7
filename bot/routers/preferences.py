"""/stop (no more reminders) and /lang; /start opts back in (see onboarding)."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.keyboards import LanguageButton, language_picker
from bot.texts import text
from core.model import Customer, Language
from core.services.people import CustomerService

# What people type after /lang.
_LANGUAGE_WORDS = {
    "en": Language.EN,
    "eng": Language.EN,
    "english": Language.EN,
    "英文": Language.EN,
    "zh": Language.ZH_HANT,
    "zh-hant": Language.ZH_HANT,
    "chinese": Language.ZH_HANT,
    "中文": Language.ZH_HANT,
    "繁體中文": Language.ZH_HANT,
    "繁體": Language.ZH_HANT,
}


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
    chosen = _LANGUAGE_WORDS.get((command.args or "").strip().lower())
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
