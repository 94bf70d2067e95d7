"""Text in, reply out: one message from a phone becomes core calls and one reply.

The webhook and `luckydraw chat` both talk through this, so the terminal behaves exactly like
texting in. Refusals from the core become replies here, in one place.
"""

from __future__ import annotations

from core.errors import (
    AlreadyDrewToday,
    CampaignClosed,
    CampaignNotFound,
    KeywordNeeded,
    LuckyDrawError,
    NoActiveCampaign,
    NotStaff,
    RateLimited,
)
from core.model import Campaign, Channel, DrawResult, Language, RedeemStatus, Redemption
from core.ports import Clock
from core.replies import last_valid_day, local_datetime, render
from core.services.campaigns import CampaignService
from core.services.draws import DrawService, SpamGuard
from core.services.people import CustomerService
from core.services.redemptions import RedemptionService
from sms.commands import Action, Command, parse

_REDEEM_KEYS = {
    RedeemStatus.REDEEMED: "redeem.ok",
    RedeemStatus.UNKNOWN: "redeem.unknown",
    RedeemStatus.ALREADY_REDEEMED: "redeem.already",
    RedeemStatus.EXPIRED: "redeem.expired",
    RedeemStatus.LOCKED_OUT: "redeem.locked",
    RedeemStatus.MALFORMED: "redeem.malformed",
}


class Conversation:
    def __init__(
        self,
        *,
        draws: DrawService,
        spam: SpamGuard,
        customers: CustomerService,
        redemptions: RedemptionService,
        campaigns: CampaignService,
        clock: Clock,
        channel: Channel = Channel.SMS,
    ) -> None:
        self._draws = draws
        self._spam = spam
        self._customers = customers
        self._redemptions = redemptions
        self._campaigns = campaigns
        self._clock = clock
        self.channel = channel

    async def reply(self, phone: str, text: str, request_id: str | None = None) -> str | None:
        """The answer to `text` from `phone` (E.164); None means stay silent (a flood)."""
        return await self.answer(phone, parse(text), request_id)

    async def answer(
        self, phone: str, command: Command, request_id: str | None = None
    ) -> str | None:
        """The answer to an already parsed command (the webhook parses to pick its path)."""
        try:
            await self._spam.check(phone)
        except RateLimited as exc:
            if not exc.first:
                return None
            return render("rate_limited", await self._language(phone, await self._home()))
        try:
            return await self._answer(command, phone, request_id)
        except LuckyDrawError as exc:
            return await self._refusal(exc, command, phone)

    async def _answer(self, command: Command, phone: str, request_id: str | None) -> str:
        match command.action:
            case Action.DRAW:
                result = await self._draws.draw(phone, self.channel, command.argument, request_id)
                return _draw_reply(result)
            case Action.REDEEM:
                assert command.argument is not None
                redemption = await self._redemptions.redeem(command.argument, phone, request_id)
                return await self._redeem_reply(redemption, phone)
            case Action.LANG:
                assert command.language is not None
                await self._customers.set_language(phone, command.language)
                return render("lang.set", command.language)
            case Action.STOP:
                await self._customers.opt_out(phone, self._source(command))
                return await self._render("stop.done", phone)
            case Action.START:
                await self._customers.opt_in(phone, self._source(command))
                return await self._render("start.done", phone)
            case Action.COUPONS:
                return await self._coupons(phone)
            case Action.HELP:
                home = await self._home()
                language = await self._language(phone, home)
                name = home.name if home else render("brand", language)
                return render("help", language, campaign=name)
            case Action.UNKNOWN:
                return await self._render("hint", phone)

    async def _coupons(self, phone: str) -> str:
        coupons = await self._customers.coupons(phone)
        language = await self._language(phone, await self._home())
        if not coupons:
            return render("coupons.none", language)
        items = [
            render(
                "coupons.item",
                language,
                code=c.code,
                prize=c.prize_name,
                expires=last_valid_day(c.expires_at, c.timezone, language),
            )
            for c in coupons
        ]
        return render("coupons.list", language, coupons="\n".join(items))

    async def _redeem_reply(self, redemption: Redemption, phone: str) -> str:
        home = await self._home()
        language = await self._language(phone, home)
        timezone = home.timezone if home else "UTC"
        redeemed_at = redemption.redeemed_at
        expires_at = redemption.expires_at
        return render(
            _REDEEM_KEYS[redemption.status],
            language,
            code=redemption.code or "",
            prize=redemption.prize_name or "",
            phone=redemption.masked_phone or "",
            redeemed_at=local_datetime(redeemed_at, timezone, language) if redeemed_at else "",
            expires=last_valid_day(expires_at, timezone, language) if expires_at else "",
        )

    async def _refusal(self, exc: LuckyDrawError, command: Command, phone: str) -> str:
        if isinstance(exc, AlreadyDrewToday) and exc.language is not None:
            # Spam's hot path: everything needed came with the refusal.
            return _already_reply(exc, exc.language)
        language = await self._language(phone, await self._home())
        match exc:
            case AlreadyDrewToday():
                return _already_reply(exc, language)
            case KeywordNeeded():
                return render(
                    "draw.keyword_needed",
                    language,
                    keywords=", ".join(exc.keywords),
                    example=exc.keywords[0],
                )
            case CampaignClosed():
                return render("draw.closed", language, campaign=exc.name)
            case CampaignNotFound():
                return render("draw.unknown_keyword", language, keyword=command.argument)
            case NoActiveCampaign():
                return render("draw.no_campaign", language)
            case NotStaff():
                # Exactly the unknown-command answer: no oracle for guessing codes.
                return render("hint", language)
            case _:
                return render("hint", language)

    async def _render(self, key: str, phone: str) -> str:
        return render(key, await self._language(phone, await self._home()))

    async def _home(self) -> Campaign | None:
        """The campaign a message without a keyword is about: the open one, else the latest."""
        now = self._clock()
        try:
            return await self._draws.choose_campaign(None, now)
        except LuckyDrawError:
            campaigns = await self._campaigns.list()
        open_now = [c for c in campaigns if c.is_open(now)]
        if open_now:
            return min(open_now, key=lambda c: c.id)
        return max(campaigns, key=lambda c: c.starts_at, default=None)

    async def _language(self, phone: str, home: Campaign | None) -> Language:
        """The customer's own choice, else the campaign's default."""
        customer = await self._customers.get(phone)
        if customer is not None and customer.language is not None:
            return customer.language
        return home.language if home else Language.EN

    def _source(self, command: Command) -> str:
        return f"{self.channel.value}:{command.argument}"


def _already_reply(exc: AlreadyDrewToday, language: Language) -> str:
    next_draw = local_datetime(exc.next_draw_at, exc.timezone, language)
    return render("draw.already", language, campaign=exc.campaign_name, next_draw=next_draw)


def _draw_reply(result: DrawResult) -> str:
    language, timezone = result.language, result.timezone
    next_draw = local_datetime(result.next_draw_at, timezone, language)
    if result.won and result.expires_at is not None:
        return render(
            "draw.won",
            language,
            prize=result.prize_name,
            campaign=result.campaign_name,
            code=result.code,
            expires=last_valid_day(result.expires_at, timezone, language),
            next_draw=next_draw,
        )
    return render("draw.lost", language, campaign=result.campaign_name, next_draw=next_draw)
