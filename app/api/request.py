"""What every admin API handler needs from its request: the services and phone parsing."""

from __future__ import annotations

from aiohttp import web

from app.bootstrap import Services
from core.errors import InvalidPhone
from core.phone import parse_phone

SERVICES = web.AppKey("admin_api_services", Services)
# Above the largest schema-valid body (a campaign of 50 prizes with every character
# escaped), so only bodies no valid request could produce get 413.
CAMPAIGN_MAX_BYTES = 128 * 1024
SMALL_MAX_BYTES = 8 * 1024


def services(request: web.Request) -> Services:
    return request.app[SERVICES]


def phone(request: web.Request, raw: str, field: str = "phone") -> str:
    """E.164 from what an operator typed (national numbers read in DEFAULT_REGION)."""
    try:
        return parse_phone(raw, services(request).settings.default_region)
    except InvalidPhone as exc:
        raise InvalidPhone(exc.message, field=field) from None
