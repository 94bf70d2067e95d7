"""The admin REST API under /api, with its OpenAPI document and Swagger UI.

One module per resource declares its routes and models on a shared ApiSpec, so the routes
and the document cannot drift. `errors` guards every /api path with the bearer token and
turns core refusals into 4xx answers in one place.
"""

from __future__ import annotations

from aiohttp import web

from app.api import campaigns, customers, draws, proofs, redemptions, staff
from app.api.delivery import COUPON_DELIVERY, CouponDelivery
from app.api.errors import admin_api_middleware
from app.api.request import (
    CAMPAIGNS,
    CUSTOMERS,
    DEFAULT_REGION,
    DRAWS,
    OUTBOX,
    PROOFS,
    REDEMPTIONS,
    STAFF,
)
from app.bootstrap import Core
from app.openapi import ApiSpec
from app.settings import Settings

VERSION = "1.0.0"


def build_spec() -> ApiSpec:
    spec = ApiSpec(
        "Lucky Draw admin API",
        VERSION,
        description="Campaigns, customers, draws, redemptions and staff. "
        "Every route needs `Authorization: Bearer $ADMIN_TOKEN`.",
    )
    for resource in (campaigns, customers, draws, redemptions, staff, proofs):
        resource.declare(spec)
    return spec


def add_admin_api(app: web.Application, settings: Settings, core: Core) -> None:
    spec = build_spec()
    app[CAMPAIGNS] = core.campaigns
    app[CUSTOMERS] = core.customers
    app[DRAWS] = core.draws
    app[OUTBOX] = core.outbox
    app[PROOFS] = core.proofs
    app[REDEMPTIONS] = core.redemptions
    app[STAFF] = core.staff
    app[DEFAULT_REGION] = settings.default_region
    app[COUPON_DELIVERY] = CouponDelivery(
        core.customers, core.sms_store, settings.allowed_countries, core.metrics
    )
    app.middlewares.append(
        admin_api_middleware(settings.admin_token, spec.is_public, core.telemetry)
    )
    spec.register(app)
