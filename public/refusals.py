"""Every page refused (unknown campaign or version, a day not yet published, bad input) is
logged as `refused` with its reason and counted in luckydraw_refusals_total{surface="public"}."""

from __future__ import annotations

from aiohttp import web

from core.ports import Telemetry

TELEMETRY = web.AppKey("public_telemetry", Telemetry)


def refused(request: web.Request, reason: str, status: int) -> None:
    request.app[TELEMETRY].refused("public", reason, path=request.path, status=status)
