"""Redemptions: the original `POST /redeem`, on behalf of a staff phone."""

from __future__ import annotations

from aiohttp import web

from app.api.models import RedemptionIn, RedemptionOut
from app.api.request import REDEMPTIONS, SMALL_MAX_BYTES, phone
from app.openapi import ApiSpec, ErrorOut, json_response, parse_body


async def redeem(request: web.Request) -> web.Response:
    """Redeem a coupon for `staff_phone`: at most once, before expiry, every attempt recorded.

    Refusals say why: 400 malformed code, 403 not staff, 404 unknown code, 409 already
    redeemed (and when) or expired, 429 locked out after repeated guesses; 409
    `request_conflict` when the `request_id` was used for another staff phone or code.
    """
    body = await parse_body(request, RedemptionIn, SMALL_MAX_BYTES)
    staff_phone = phone(request, body.staff_phone, field="staff_phone")
    request_id = f"api:{body.request_id}" if body.request_id else None
    result = await request.app[REDEMPTIONS].redeem(body.code, staff_phone, request_id)
    return json_response(RedemptionOut.of(result))


def declare(spec: ApiSpec) -> None:
    spec.route(
        "POST",
        "/api/redemptions",
        redeem,
        body=RedemptionIn,
        responses={200: RedemptionOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 429: ErrorOut},
        summary="Redeem a coupon",
        tags=["redemptions"],
    )
