"""What admin API handlers take from their application: one AppKey per use case, and phones.

`add_admin_api` stores each use case under its own typed key; a handler reads only the ones
it calls (`request.app[CAMPAIGNS]`), so the API never reaches the pool, Redis or settings.
"""

from __future__ import annotations

from aiohttp import web

from core.errors import InvalidPhone
from core.phone import parse_phone
from core.services.campaigns import CampaignService
from core.services.draws import DrawService
from core.services.outbox import OutboxService
from core.services.people import CustomerService, StaffService
from core.services.proofs import ProofService
from core.services.redemptions import RedemptionService

CAMPAIGNS = web.AppKey("campaigns", CampaignService)
CUSTOMERS = web.AppKey("customers", CustomerService)
DRAWS = web.AppKey("draws", DrawService)
OUTBOX = web.AppKey("outbox", OutboxService)
PROOFS = web.AppKey("proofs", ProofService)
REDEMPTIONS = web.AppKey("redemptions", RedemptionService)
STAFF = web.AppKey("staff", StaffService)
DEFAULT_REGION = web.AppKey("default_region", str)  # DEFAULT_REGION: reads national numbers

# Above the largest schema-valid body (a campaign of 50 prizes with every character
# escaped), so only bodies no valid request could produce get 413.
CAMPAIGN_MAX_BYTES = 128 * 1024
SMALL_MAX_BYTES = 8 * 1024


def phone(request: web.Request, raw: str, field: str = "phone") -> str:
    """E.164 from what an operator typed (national numbers read in DEFAULT_REGION)."""
    try:
        return parse_phone(raw, request.app[DEFAULT_REGION])
    except InvalidPhone as exc:
        raise InvalidPhone(exc.message, field=field) from None
