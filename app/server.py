"""The one aiohttp application: operations routes now, channels and admin API plug in."""

from __future__ import annotations

from aiohttp import web

from app.api import add_admin_api
from app.bootstrap import Services
from app.console_wiring import add_operator_console
from app.health import readiness, state_metrics
from app.metrics import add_metrics
from app.sms_wiring import add_sms

SERVICES = web.AppKey("services", Services)


def create_app(services: Services) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    app[SERVICES] = services
    # First: its middleware times everything after it.
    add_metrics(
        app,
        services.metrics,
        outbox_depth=services.outbox.service.depth,
        state=lambda: state_metrics(services),
    )
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
    checks = await readiness(request.app[SERVICES])
    ready = all(v == "ok" for v in checks.values())
    return web.json_response(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )
