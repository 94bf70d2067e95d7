"""Rendering a page: every template gets the translator, the language and the CSRF token."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web

from console.i18n import language, translator

CSRF_KEY = web.RequestKey("console_csrf", str)  # the session's, set by console.session


def csrf_token(request: web.Request) -> str:
    token: str = request.get(CSRF_KEY, "")
    return token


def render(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    lang = language(request)
    base = {"t": translator(lang), "lang": lang, "csrf": csrf_token(request), "path": request.path}
    return aiohttp_jinja2.render_template(template, request, base | context, status=status)


def local_time(value: datetime | None, timezone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A jinja filter: an instant as the campaign's local wall time."""
    return value.astimezone(ZoneInfo(timezone)).strftime(fmt) if value else ""
