"""The Dispatcher: core services as workflow data, who-is-writing middleware, routers."""

from __future__ import annotations

from aiogram import Dispatcher

from bot.identity import CustomerMiddleware
from bot.routers import errors, fallback, onboarding, play, preferences, staff
from core.ports import NoTelemetry, Telemetry
from core.services.campaigns import CampaignService
from core.services.draws import DrawService, SpamGuard
from core.services.people import CustomerService
from core.services.proofs import ProofService
from core.services.redemptions import RedemptionService
from core.services.rules import RulesService

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


def create_dispatcher(
    *,
    draws: DrawService,
    customers: CustomerService,
    redemptions: RedemptionService,
    campaigns: CampaignService,
    rules: RulesService,
    proofs: ProofService,
    spam: SpamGuard,
    telemetry: Telemetry | None = None,
) -> Dispatcher:
    """A new dispatcher with new routers each call (a router joins one dispatcher only)."""
    dispatcher = Dispatcher(
        disable_fsm=True,  # every command is one message: no conversation state to keep
        draws=draws,
        customers=customers,
        redemptions=redemptions,
        campaigns=campaigns,
        rules=rules,
        proofs=proofs,
        telemetry=telemetry or NoTelemetry(),
    )
    dispatcher.update.outer_middleware(CustomerMiddleware(customers, spam))
    dispatcher.include_routers(
        errors.create_router(),
        onboarding.create_router(),  # before the features: it gates unlinked users
        play.create_router(),
        preferences.create_router(),
        staff.create_router(),
        fallback.create_router(),  # last: whatever nothing else took
    )
    return dispatcher
