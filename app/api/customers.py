"""Customers: register by phone; look one up with their draws and coupons."""

from __future__ import annotations

from aiohttp import web

from app.api.models import CustomerDetailOut, CustomerIn, CustomerOut, PhonePath
from app.api.request import CUSTOMERS, SMALL_MAX_BYTES, phone
from app.openapi import ApiSpec, ErrorOut, json_response, parse_body, parse_path
from core.model import Channel

HISTORY_LIMIT = 100


async def register_customer(request: web.Request) -> web.Response:
    """Register a customer by phone (the original `POST /user`); registering again is harmless."""
    body = await parse_body(request, CustomerIn, SMALL_MAX_BYTES)
    customer = await request.app[CUSTOMERS].register(phone(request, body.phone), Channel.API)
    return json_response(CustomerOut.of(customer), status=201)


async def get_customer(request: web.Request) -> web.Response:
    """The customer with their latest draws and coupons (any state), newest first."""
    raw = parse_path(request, PhonePath).phone
    history = await request.app[CUSTOMERS].history(phone(request, raw), HISTORY_LIMIT)
    return json_response(CustomerDetailOut.of_history(history))


def declare(spec: ApiSpec) -> None:
    tags = ["customers"]
    spec.route(
        "POST",
        "/api/customers",
        register_customer,
        body=CustomerIn,
        responses={201: CustomerOut},
        summary="Register a customer",
        tags=tags,
    )
    spec.route(
        "GET",
        "/api/customers/{phone}",
        get_customer,
        path_params=PhonePath,
        responses={200: CustomerDetailOut, 404: ErrorOut},
        summary="Get a customer with their draws and coupons",
        description=f"At most the latest {HISTORY_LIMIT} draws and {HISTORY_LIMIT} coupons.",
        tags=tags,
    )
