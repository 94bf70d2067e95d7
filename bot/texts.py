"""Core results and refusals as Telegram texts: the shared wording, preferring `tg.` keys
(which name slash commands where SMS texts say "Reply COUPONS")."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from bot.keyboards import draw_buttons
from core.errors import KeywordNeeded, LuckyDrawError, RateLimited
from core.model import Campaign, Language
from core.replies import Wording

TELEGRAM = Wording("tg.")
text = TELEGRAM.text
draw_text = TELEGRAM.draw
coupons_text = TELEGRAM.coupons
proof_text = TELEGRAM.proof
redemption_text = TELEGRAM.redemption
help_text = TELEGRAM.help
rules_text = TELEGRAM.rules_link
refusal_text = TELEGRAM.refusal


def refusal_reply(
    exc: LuckyDrawError, language: Language, keyword: str | None, home: Campaign | None = None
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """What a refused command answers, with a Draw button per campaign when a keyword is
    needed; None past a flood's first warning (a flood gets one answer, then silence)."""
    if isinstance(exc, RateLimited) and not exc.first:
        return None
    markup = draw_buttons(exc.keywords, language) if isinstance(exc, KeywordNeeded) else None
    return refusal_text(exc, language, keyword, home), markup
