"""Whether a code won through the admin API reaches its owner, and if not, why.

The outbox sends it on the customer's channel (Telegram when linked, else SMS), and SMS only
to a number that texted the campaign number first, from an allowed country, not opted out
(SMS pumping protection). The API answer, the log and /metrics say when it cannot go out.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from aiohttp import web

from app.metrics import Metrics
from core.delivery import NOT_SENT
from core.model import DrawResult
from core.phone import mask, region_of
from core.ports import SmsStore
from core.services.people import CustomerService

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class CouponDelivery:
    customers: CustomerService
    sms: SmsStore
    allowed_countries: frozenset[str]
    metrics: Metrics

    async def explain(self, phone: str, result: DrawResult) -> dict[str, str] | None:
        """{channel: "queued" or why not}; None when there is no code to send."""
        if not result.won:
            return None
        channel, reason = await self._refusal(phone)
        if reason is None:
            return {channel: "queued"}
        self.metrics.coupons_undelivered.labels(channel, reason).inc()
        log.info("coupon_not_delivered", phone=mask(phone), channel=channel, reason=reason)
        return {channel: NOT_SENT[reason]}

    async def _refusal(self, phone: str) -> tuple[str, str | None]:
        customer = await self.customers.get(phone)
        if customer is not None and customer.telegram_user_id is not None:
            return "telegram", "blocked" if customer.telegram_blocked else None
        if customer is not None and customer.opted_out:
            return "sms", "opted_out"
        if region_of(phone) not in self.allowed_countries:
            return "sms", "country"
        if not await self.sms.may_text(phone):
            return "sms", "never_texted"
        return "sms", None


COUPON_DELIVERY = web.AppKey("coupon_delivery", CouponDelivery)
