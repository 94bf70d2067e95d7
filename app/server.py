"""The one aiohttp application: operations routes, the channels' webhooks and the admin API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from app.api import add_admin_api
from app.bootstrap import Core
from app.health import readiness, state_metrics
from app.metrics import add_metrics
from app.openapi import Handler
from app.settings import Settings
from app.sms_wiring import add_sms

if TYPE_CHECKING:
    from aiogram import Bot


def create_app(
    settings: Settings, core: Core, *, telegram_bot: Bot | None = None
) -> web.Application:
    """Telegram's webhook (or polling) is added when the process opened a bot."""
    app = web.Application(client_max_size=64 * 1024)
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
    return app


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def readyz(core: Core) -> Handler:
    async def ready(request: web.Request) -> web.Response:
        """Ready when PostgreSQL answers with a current schema and Redis answers."""
        checks = await readiness(core)
        ok = all(v == "ok" for v in checks.values())
        return web.json_response(
            {"status": "ready" if ok else "not ready", "checks": checks},
            status=200 if ok else 503,
        )

    return ready
