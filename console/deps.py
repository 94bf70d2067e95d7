"""What the console needs, built by app/ (the composition root)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from core.ports import Clock, RateLimiter, Telemetry
from core.services.audit import AuditService
from core.services.campaigns import CampaignService
from core.services.people import CustomerService, StaffService

# Try it: (E.164 phone, text) -> the reply an SMS customer would get (None: no reply).
Chat = Callable[[str, str], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class ConsoleDeps:
    campaigns: CampaignService
    customers: CustomerService
    staff: StaffService
    audit: AuditService
    limiter: RateLimiter  # slows down wrong sign-in tokens, per client address
    chat: Chat
    admin_token: str | None  # None: the console (like the API) is disabled
    secure_cookies: bool  # PUBLIC_BASE_URL is https
    default_region: str
    clock: Clock
    telemetry: Telemetry  # every refusal: a `refused` log line and luckydraw_refusals_total


DEPS = web.AppKey("console_deps", ConsoleDeps)


def deps(request: web.Request) -> ConsoleDeps:
    return request.app[DEPS]


def refused(request: web.Request, reason: str, status: int, **context: object) -> None:
    """Report a console action not done (its page says why): logged and counted."""
    deps(request).telemetry.refused(
        "console", reason, method=request.method, path=request.path, status=status, **context
    )
