"""Staff: the phones allowed to redeem coupons."""

from __future__ import annotations

from aiohttp import web

from app.api.models import PhonePath, StaffIn, StaffOut
from app.api.request import SMALL_MAX_BYTES, STAFF, phone
from app.openapi import ApiSpec, ErrorOut, json_response, parse_body, parse_path


async def add_staff(request: web.Request) -> web.Response:
    """Let a phone redeem coupons; adding again updates the name."""
    body = await parse_body(request, StaffIn, SMALL_MAX_BYTES)
    staff = await request.app[STAFF].add(phone(request, body.phone), body.name)
    return json_response(StaffOut.of(staff), status=201)


async def list_staff(request: web.Request) -> web.Response:
    return json_response(StaffOut.of(s) for s in await request.app[STAFF].list())


async def remove_staff(request: web.Request) -> web.Response:
    """Stop a phone redeeming coupons (its past redemptions stay recorded)."""
    raw = parse_path(request, PhonePath).phone
    await request.app[STAFF].remove(phone(request, raw))
    return web.Response(status=204)


def declare(spec: ApiSpec) -> None:
    tags = ["staff"]
    spec.route(
        "POST",
        "/api/staff",
        add_staff,
        body=StaffIn,
        responses={201: StaffOut},
        summary="Add staff",
        tags=tags,
    )
    spec.route(
        "GET",
        "/api/staff",
        list_staff,
        responses={200: list[StaffOut]},
        summary="List staff",
        tags=tags,
    )
    spec.route(
        "DELETE",
        "/api/staff/{phone}",
        remove_staff,
        path_params=PhonePath,
        responses={204: None, 404: ErrorOut},
        summary="Remove staff",
        tags=tags,
    )
