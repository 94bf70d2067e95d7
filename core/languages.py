"""Which language a customer is answered in, shared by the SMS and Telegram channels."""

from __future__ import annotations

from core.model import Customer, Language

# What people type after LANG (SMS) or /lang (Telegram), in capitals.
LANGUAGE_WORDS: dict[str, Language] = {
    "EN": Language.EN,
    "ENG": Language.EN,
    "ENGLISH": Language.EN,
    "英文": Language.EN,
    "ZH": Language.ZH_HANT,
    "ZH-HANT": Language.ZH_HANT,
    "CHINESE": Language.ZH_HANT,
    "中文": Language.ZH_HANT,
    "繁體中文": Language.ZH_HANT,
    "繁體": Language.ZH_HANT,
}


def language_named(word: str) -> Language | None:
    """The language a word names (any case), or None."""
    return LANGUAGE_WORDS.get(word.strip().upper())


def own_language(customer: Customer | None, fallback: Language) -> Language:
    """The customer's own choice (LANG by SMS, /lang in Telegram) first, else `fallback`."""
    if customer is not None and customer.language is not None:
        return customer.language
    return fallback
