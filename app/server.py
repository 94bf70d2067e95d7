"""The one aiohttp application: operations routes now, channels and admin API plug in."""

from __future__ import annotations

import asyncio

from aiohttp import web

from app.api import add_admin_api
from app.bootstrap import Services
from app.console_wiring import add_operator_console
from app.metrics import add_metrics
from app.sms_wiring import add_sms
from db.migrate import pending

SERVICES = web.AppKey("services", Services)


def create_app(services: Services) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    app[SERVICES] = services
    # First: its middleware times everything after it.
    add_metrics(app, services.metrics, outbox_depth=services.outbox.service.depth)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    add_sms(app, services)
    if services.telegram_bot is not None:
        from app.telegram_wiring import add_telegram  # aiogram is heavy: only when configured

        add_telegram(app, services)
    add_admin_api(app, services)
    add_operator_console(app, services)
    return app


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready when PostgreSQL answers with a current schema and Redis answers."""
    services = request.app[SERVICES]
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(2):
            missing = await pending(services.pool)
        checks["postgres"] = "ok"
        checks["migrations"] = "ok" if not missing else f"pending: {', '.join(missing)}"
    except Exception as exc:  # whatever the failure, the answer is "not ready"
        checks["postgres"] = f"unavailable: {type(exc).__name__}"
    checks["redis"] = "ok" if await services.redis.ping() else "unavailable"
    ready = all(v == "ok" for v in checks.values())
    return web.json_response(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )
