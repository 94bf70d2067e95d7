"""The one aiohttp application: operations routes, the channels' webhooks and the admin API."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from app.api import add_admin_api
from app.bootstrap import Core
from app.console_wiring import add_operator_console
from app.health import readiness, state_metrics
from app.metrics import add_metrics
from app.openapi import Handler
from app.settings import Settings
from app.sms_wiring import add_sms
from public.proofs import add_proof_routes
from public.rules import add_rules_routes

if TYPE_CHECKING:
    from aiogram import Bot

# Set when the process begins to stop (SIGTERM): /readyz answers 503 so load balancers move
# away, and every response closes its connection, so no keep-alive connection is left idle
# for the shutdown to cut while a request is on its way (app/serve.py).
DRAINING = web.AppKey("draining", asyncio.Event)


def create_app(
    settings: Settings, core: Core, *, telegram_bot: Bot | None = None
) -> web.Application:
    """Telegram's webhook (or polling) is added when the process opened a bot."""
    app = web.Application(client_max_size=64 * 1024)
    app[DRAINING] = asyncio.Event()
    # First: its middleware times everything after it.
    add_metrics(
        app, core.metrics, outbox_depth=core.outbox.depth, state=lambda: state_metrics(core)
    )
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz(core))
    add_sms(app, settings, core)
    if telegram_bot is not None:
        from app.telegram_wiring import add_telegram  # aiogram is heavy: only when configured

        add_telegram(app, settings, core, telegram_bot)
    add_admin_api(app, settings, core)
    add_rules_routes(app, core.rules, core.telemetry)
    add_proof_routes(app, core.proofs, core.telemetry)
    add_operator_console(app, settings, core)
    app.middlewares.append(_close_while_draining)
    return app


@web.middleware
async def _close_while_draining(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if request.app[DRAINING].is_set():
        response.force_close()  # "Connection: close": the client opens a new one elsewhere
    return response


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def readyz(core: Core) -> Handler:
    async def ready(request: web.Request) -> web.Response:
        """Ready when PostgreSQL answers with a current schema and Redis answers."""
        if request.app[DRAINING].is_set():
            return web.json_response({"status": "draining", "checks": {}}, status=503)
        checks = await readiness(core)
        ok = all(v == "ok" for v in checks.values())
        return web.json_response(
            {"status": "ready" if ok else "not ready", "checks": checks},
            status=200 if ok else 503,
        )

    return ready
