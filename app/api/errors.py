"""The one place where refusals become HTTP: LuckyDrawError -> 4xx with ErrorOut.

Also the bearer-token guard, which covers every /api path (unknown ones too) except the
public document and Swagger UI.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

import structlog
from aiohttp import web
from aiohttp.typedefs import Middleware
from pydantic import SecretStr

from app.metrics import route_template
from app.openapi import ApiError, Handler, error_middleware
from core.errors import (
    AlreadyDrewToday,
    CampaignClosed,
    EditRefused,
    InvalidInput,
    InvalidTransition,
    KeywordNeeded,
    KeywordTaken,
    LuckyDrawError,
    NotFound,
    NotStaff,
    RateLimited,
    RedemptionRefused,
    RequestConflict,
)
from core.model import RedeemStatus
from core.ports import Telemetry

log = structlog.get_logger(__name__)

# First match wins, so subclasses come before their bases.
_STATUS: tuple[tuple[type[LuckyDrawError], int], ...] = (
    (KeywordTaken, 409),
    (InvalidTransition, 409),
    (EditRefused, 409),
    (InvalidInput, 400),
    (NotFound, 404),
    (KeywordNeeded, 400),
    (CampaignClosed, 409),
    (AlreadyDrewToday, 409),
    (RateLimited, 429),
    (NotStaff, 403),
    (RequestConflict, 409),
)
# A refused redemption: (status, field, message) by reason.
_REFUSALS: dict[str, tuple[int, str | None, str]] = {
    RedeemStatus.MALFORMED: (400, "code", "not a coupon code (XXXXX-XXXXX)"),
    RedeemStatus.UNKNOWN: (404, "code", "no coupon has this code"),
    RedeemStatus.ALREADY_REDEEMED: (409, "code", "coupon already redeemed"),
    RedeemStatus.EXPIRED: (409, "code", "coupon expired"),
    RedeemStatus.LOCKED_OUT: (429, "staff_phone", "too many failed attempts; try again later"),
}
_FIELDS: dict[type[LuckyDrawError], str] = {
    KeywordNeeded: "keyword",
    NotStaff: "staff_phone",
    RequestConflict: "request_id",
}


def api_error(exc: LuckyDrawError) -> ApiError:
    if isinstance(exc, RedemptionRefused):
        status, field, message = _REFUSALS.get(exc.reason, (409, "code", exc.reason))
        if exc.redeemed_at is not None:
            message += f" at {exc.redeemed_at.isoformat()}"
        return ApiError(status, message, code=exc.reason, field=field)
    status = next((s for kind, s in _STATUS if isinstance(exc, kind)), 400)
    field = exc.field if isinstance(exc, InvalidInput) else _FIELDS.get(type(exc))
    headers = None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after_seconds)}
    return ApiError(status, str(exc), code=exc.code, field=field, headers=headers)


def admin_api_middleware(
    token: SecretStr | None, public: Callable[[web.Request], bool], telemetry: Telemetry
) -> Middleware:
    """Guard and error mapping for /api; other paths (webhooks, health) pass untouched.
    Every error it answers is also logged (`refused`, with its code) and counted.

    Without ADMIN_TOKEN the API answers 503: no token can be right, and the operator
    should see a configuration problem rather than a rejected credential.
    """
    expected = token.get_secret_value().encode() if token is not None else b""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path != "/api" and not path.startswith("/api/"):
            return await handler(request)
        try:
            return await _guarded(request, handler)
        except ApiError as exc:
            telemetry.refused(
                "api",
                exc.code,
                method=request.method,
                route=route_template(request),
                status=exc.status,
                field=exc.field,
            )
            raise

    async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if not public(request):
            if not expected:
                raise ApiError(503, "admin API disabled: ADMIN_TOKEN is not set", code="disabled")
            if not _bearer_matches(request.headers.get("Authorization", ""), expected):
                raise ApiError(
                    401,
                    "missing or wrong bearer token",
                    code="unauthorized",
                    headers={"WWW-Authenticate": 'Bearer realm="admin"'},
                )
        try:
            return await error_middleware(request, handler)
        except LuckyDrawError as exc:
            raise api_error(exc) from None
        except TimeoutError:
            # No free database connection in time (or a query past its timeout).
            log.warning("api_busy", path=path)
            raise ApiError(
                503,
                "the service is busy; try again in a moment",
                code="busy",
                headers={"Retry-After": "1"},
            ) from None

    return guard


def _bearer_matches(header: str, expected: bytes) -> bool:
    scheme, _, given = header.strip().partition(" ")
    # compare_digest: the time taken does not tell how much of a guess was right.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "replace"), expected
    )
