"""Text in, reply out: one message from a phone becomes core calls and one reply.

The webhook and `luckydraw chat` both talk through this, so the terminal behaves exactly like
texting in. Refusals from the core become replies here, in one place.
"""

from __future__ import annotations

from core.errors import (
    AlreadyDrewToday,
    LuckyDrawError,
    RateLimited,
)
from core.languages import own_language
from core.model import Campaign, Channel, Language
from core.ports import NoTelemetry, Telemetry
from core.replies import Wording, render
from core.services.campaigns import CampaignService
from core.services.draws import DrawService, SpamGuard
from core.services.people import CustomerService
from core.services.proofs import ProofService
from core.services.redemptions import RedemptionService
from core.services.rules import RulesService
from sms.commands import Action, Command, parse

SMS = Wording()


class Conversation:
    def __init__(
        self,
        *,
        draws: DrawService,
        spam: SpamGuard,
        customers: CustomerService,
        redemptions: RedemptionService,
        campaigns: CampaignService,
        rules: RulesService,
        proofs: ProofService,
        channel: Channel = Channel.SMS,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._draws = draws
        self._spam = spam
        self._customers = customers
        self._redemptions = redemptions
        self._campaigns = campaigns
        self._rules = rules
        self._proofs = proofs
        self.channel = channel
        self._telemetry = telemetry or NoTelemetry()

    async def reply(self, phone: str, text: str, request_id: str | None = None) -> str | None:
        """The answer to `text` from `phone` (E.164); None means stay silent (a flood)."""
        return await self.answer(phone, parse(text), request_id)

    async def answer(
        self,
        phone: str,
        command: Command,
        request_id: str | None = None,
        *,
        flood_checked: bool = False,
    ) -> str | None:
        """The answer to an already parsed command (the webhook parses to pick its path).

        `flood_checked`: the caller ran `flood` already, before any work of its own."""
        try:
            # A draw counts the message in its one look at Redis.
            if command.action is not Action.DRAW and not flood_checked:
                await self._spam.check(phone)
            return await self._answer(command, phone, request_id)
        except RateLimited as exc:
            self._report(exc, command)
            return await self._rate_limited(exc, phone)
        except LuckyDrawError as exc:
            self._report(exc, command)
            return await self._refusal(exc, command, phone)

    async def flood(self, phone: str) -> tuple[bool, str | None]:
        """The flood guard alone: (False, None) to go on, or (True, the answer to a flood:
        one "slow down", then None for silence)."""
        try:
            await self._spam.check(phone)
        except RateLimited as exc:
            return True, await self._rate_limited(exc, phone)
        return False, None

    async def _rate_limited(self, exc: RateLimited, phone: str) -> str | None:
        if not exc.first:
            return None
        language = exc.language or await self._language(phone, await self._home())
        return render("rate_limited", language)

    async def _answer(self, command: Command, phone: str, request_id: str | None) -> str:
        match command.action:
            case Action.DRAW:
                result = await self._draws.draw(
                    phone, self.channel, command.argument, request_id, spam=self._spam
                )
                return SMS.draw(result)
            case Action.REDEEM:
                assert command.argument is not None
                redemption = await self._redemptions.redeem(command.argument, phone, request_id)
                home = await self._home()
                language = await self._language(phone, home)
                return SMS.redemption(redemption, home, language)
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
                return SMS.help(home, await self._language(phone, home))
            case Action.RULES:
                campaign = await self._rules.campaign(command.argument, await self._home())
                language = await self._language(phone, campaign)
                return SMS.rules_link(campaign, self._rules.link(campaign.keyword), language)
            case Action.PROOF:
                entry = await self._proofs.entry_reference(phone, command.argument)
                return SMS.proof(entry, await self._language(phone, entry.campaign))
            case Action.UNKNOWN:
                return await self._render("hint", phone)

    async def _coupons(self, phone: str) -> str:
        coupons = await self._customers.coupons(phone)
        return SMS.coupons(coupons, await self._language(phone, await self._home()))

    def _report(self, exc: LuckyDrawError, command: Command) -> None:
        # A draw's and a redemption's refusals are logged and counted by their use case (one
        # log line per DRAW keeps repeat spam cheap).
        if command.action not in (Action.DRAW, Action.REDEEM):
            self._telemetry.refused(self.channel.value, exc.code, command=command.action.value)

    async def _refusal(self, exc: LuckyDrawError, command: Command, phone: str) -> str:
        if isinstance(exc, AlreadyDrewToday) and exc.language is not None:
            # Spam's hot path: everything needed came with the refusal.
            return SMS.refusal(exc, exc.language)
        home = await self._home()
        language = await self._language(phone, home)
        return SMS.refusal(exc, language, command.argument, home)

    async def _render(self, key: str, phone: str) -> str:
        return render(key, await self._language(phone, await self._home()))

    async def _home(self) -> Campaign | None:
        return await self._campaigns.home()

    async def _language(self, phone: str, home: Campaign | None) -> Language:
        """The customer's own choice, else the campaign's default."""
        customer = await self._customers.get(phone)
        return own_language(customer, home.language if home else Language.EN)

    def _source(self, command: Command) -> str:
        return f"{self.channel.value}:{command.argument}"
