"""Buttons: share-your-phone, Draw (also on reminders), and the language picker."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from core.model import Language
from core.replies import render

LANGUAGE_NAMES = {Language.EN: "English", Language.ZH_HANT: "繁體中文"}


class DrawButton(CallbackData, prefix="draw"):
    keyword: str


class LanguageButton(CallbackData, prefix="lang"):
    language: Language


def share_contact(language: Language) -> ReplyKeyboardMarkup:
    button = KeyboardButton(text=render("tg.share_button", language), request_contact=True)
    return ReplyKeyboardMarkup(keyboard=[[button]], resize_keyboard=True, one_time_keyboard=True)


def draw_buttons(keywords: list[str], language: Language) -> InlineKeyboardMarkup:
    """One Draw button per campaign keyword (one for a reminder, several to pick from)."""
    label = render("tg.draw_button", language)
    rows = [
        [
            InlineKeyboardButton(
                text=label if len(keywords) == 1 else f"{label} {keyword}",
                callback_data=DrawButton(keyword=keyword).pack(),
            )
        ]
        for keyword in keywords
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def language_picker() -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(text=name, callback_data=LanguageButton(language=lang).pack())]
        for lang, name in LANGUAGE_NAMES.items()
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)
