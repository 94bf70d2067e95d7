"""Core results and refusals as Telegram texts, from the shared reply catalogue.

The situations and their wording are SMS's; where an SMS text names SMS commands
("Reply COUPONS"), the catalogue has a `tg.` variant naming the slash command instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import (
    AlreadyDrewToday,
    CampaignClosed,
    CampaignNotFound,
    KeywordNeeded,
    LuckyDrawError,
    NoActiveCampaign,
    RateLimited,
)
from core.model import Coupon, DrawResult, Language, RedeemStatus, Redemption
from core.replies import TEMPLATES, last_valid_day, local_datetime, render

_REDEEM_KEYS = {
    RedeemStatus.REDEEMED: "redeem.ok",
    RedeemStatus.UNKNOWN: "redeem.unknown",
    RedeemStatus.ALREADY_REDEEMED: "redeem.already",
    RedeemStatus.EXPIRED: "redeem.expired",
    RedeemStatus.LOCKED_OUT: "redeem.locked",
    RedeemStatus.MALFORMED: "redeem.malformed",
}


def text(key: str, language: Language, **values: object) -> str:
    """The Telegram wording of `key`: its `tg.` variant when there is one."""
    telegram_key = f"tg.{key}"
    return render(telegram_key if telegram_key in TEMPLATES else key, language, **values)


def draw_text(result: DrawResult, language: Language) -> str:
    next_draw = local_datetime(result.next_draw_at, result.timezone, language)
    if result.won and result.expires_at is not None:
        return text(
            "draw.won",
            language,
            prize=result.prize_name,
            campaign=result.campaign_name,
            code=result.code,
            expires=last_valid_day(result.expires_at, result.timezone, language),
            next_draw=next_draw,
        )
    return text("draw.lost", language, campaign=result.campaign_name, next_draw=next_draw)


def coupons_text(coupons: Sequence[Coupon], language: Language) -> str:
    if not coupons:
        return text("coupons.none", language)
    items = [
        text(
            "coupons.item",
            language,
            code=c.code,
            prize=c.prize_name,
            expires=last_valid_day(c.expires_at, c.timezone, language),
        )
        for c in coupons
    ]
    return text("coupons.list", language, coupons="\n".join(items))


def redemption_text(redemption: Redemption, timezone: str, language: Language) -> str:
    """What the till sees; dates in `timezone` (the staff member's home campaign's)."""
    redeemed_at, expires_at = redemption.redeemed_at, redemption.expires_at
    return text(
        _REDEEM_KEYS[redemption.status],
        language,
        code=redemption.code or "",
        prize=redemption.prize_name or "",
        phone=redemption.masked_phone or "",
        redeemed_at=local_datetime(redeemed_at, timezone, language) if redeemed_at else "",
        expires=last_valid_day(expires_at, timezone, language) if expires_at else "",
    )


def refusal_text(exc: LuckyDrawError, language: Language, keyword: str | None = None) -> str:
    """The answer to a refusal; anything unexpected (NotStaff too: no oracle) gets the hint."""
    match exc:
        case AlreadyDrewToday():
            next_draw = local_datetime(exc.next_draw_at, exc.timezone, language)
            return text("draw.already", language, campaign=exc.campaign_name, next_draw=next_draw)
        case KeywordNeeded():
            return text(
                "draw.keyword_needed",
                language,
                keywords=", ".join(exc.keywords),
                example=exc.keywords[0],
            )
        case CampaignClosed():
            return text("draw.closed", language, campaign=exc.name)
        case CampaignNotFound():
            return text("draw.unknown_keyword", language, keyword=keyword or "")
        case NoActiveCampaign():
            return text("draw.no_campaign", language)
        case RateLimited():
            return text("rate_limited", language)
        case _:
            return text("hint", language)
