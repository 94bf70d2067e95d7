"""Draws: the original `POST /draw`, on behalf of a customer's phone."""

from __future__ import annotations

from aiohttp import web

from app.api.delivery import COUPON_DELIVERY
from app.api.models import DrawIn, DrawOut
from app.api.request import DRAWS, OUTBOX, SMALL_MAX_BYTES, phone
from app.openapi import ApiError, ApiSpec, ErrorOut, json_response, parse_body
from core.model import Channel


async def draw(request: web.Request) -> web.Response:
    """Draw once for a customer today; 201 with the result (won or not).

    A second draw the same campaign-local day is 409 `already_drew`; a retry with the same
    `request_id` is 200 with the first answer (`replayed: true`); the same `request_id` for
    another phone or campaign is 409 `request_conflict`. A won code is also sent
    to the customer (SMS or Telegram, through the outbox, outside quiet hours); `delivery`
    says on which channel, or why it cannot be sent (e.g. the number never texted the
    campaign number, so SMS pumping protection holds it back).
    """
    body = await parse_body(request, DrawIn, SMALL_MAX_BYTES)
    if body.campaign_id is not None and body.keyword is not None:
        raise ApiError(400, "give campaign_id or keyword, not both", field="keyword")
    customer = phone(request, body.phone)
    result = await request.app[DRAWS].draw(
        customer,
        Channel.API,
        body.keyword,
        f"api:{body.request_id}" if body.request_id else None,
        campaign_id=body.campaign_id,
    )
    # Also on a replay: the outbox queues each coupon once, and a retry after a crash
    # between the draw and this line still gets the code delivered.
    await request.app[OUTBOX].enqueue_coupon(result)
    delivery = await request.app[COUPON_DELIVERY].explain(customer, result)
    out = DrawOut.of(result).model_copy(update={"delivery": delivery})
    return json_response(out, status=200 if result.replayed else 201)


def declare(spec: ApiSpec) -> None:
    spec.route(
        "POST",
        "/api/draws",
        draw,
        body=DrawIn,
        responses={200: DrawOut, 201: DrawOut, 404: ErrorOut, 409: ErrorOut},
        summary="Draw for a customer",
        tags=["draws"],
    )
