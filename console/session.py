"""Sign-in state: a signed session cookie, CSRF tokens, and the console's security headers.

The cookie is signed with a key derived from ADMIN_TOKEN (every worker derives the same one;
changing the token signs everyone out) and re-issued on each request, so it expires after
SESSION_SECONDS of inactivity. Each session carries a random CSRF token that every POST must
echo, as a form field or an `X-CSRF-Token` header (htmx sends the header).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web
from itsdangerous import BadSignature, URLSafeTimedSerializer

from console.deps import deps
from console.refusals import AN_ACTION, CSRF, NO_PAGE, NOT_FOUND_WHY, refusal
from console.render import CSRF_KEY
from core.errors import NotFound

COOKIE = "ld_console"
SESSION_SECONDS = 12 * 3600
PUBLIC = ("/console/signin", "/console/static/")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _serializer(token: str) -> URLSafeTimedSerializer:
    key = hmac.new(token.encode(), b"luckydraw console session", hashlib.sha256).digest()
    return URLSafeTimedSerializer(key, salt="console-session")


def token_matches(given: str, token: str) -> bool:
    return hmac.compare_digest(given.strip().encode("utf-8", "replace"), token.encode())


def start_session(response: web.StreamResponse, request: web.Request) -> None:
    """Sign in: a fresh session (and CSRF token) in the cookie."""
    _set_cookie(response, request, {"csrf": secrets.token_urlsafe(24)})


def end_session(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/console")


def _set_cookie(
    response: web.StreamResponse, request: web.Request, payload: dict[str, str]
) -> None:
    token = deps(request).admin_token
    assert token is not None
    response.set_cookie(
        COOKIE,
        _serializer(token).dumps(payload),
        max_age=SESSION_SECONDS,
        path="/console",
        httponly=True,
        samesite="Strict",
        secure=deps(request).secure_cookies,
    )


def _session(request: web.Request) -> dict[str, str] | None:
    token = deps(request).admin_token
    raw = request.cookies.get(COOKIE)
    if token is None or raw is None:
        return None
    try:
        payload = _serializer(token).loads(raw, max_age=SESSION_SECONDS)
    except BadSignature:  # also SignatureExpired: inactive for too long
        return None
    return payload if isinstance(payload, dict) and "csrf" in payload else None


def _to_signin(request: web.Request) -> web.StreamResponse:
    if request.headers.get("HX-Request"):  # htmx follows this with a full page load
        return web.Response(status=401, headers={"HX-Redirect": "/console/signin"})
    return web.Response(status=303, headers={"Location": "/console/signin"})


@web.middleware
async def console_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """For /console paths: security headers; a session everywhere but sign-in and static
    files; the CSRF token on every POST. Other paths pass untouched."""
    path = request.path
    if path != "/console" and not path.startswith("/console/"):
        return await handler(request)
    session = _session(request)
    if session is not None:
        request[CSRF_KEY] = session["csrf"]
    if not path.startswith(PUBLIC):
        if session is None:
            response = _to_signin(request)
            _secure(response)
            return response
        if request.method == "POST" and not await _csrf_ok(request, session["csrf"]):
            response = refusal(request, "csrf", 403, CSRF)
            _secure(response)
            return response
    try:
        response = await handler(request)
    except NotFound as exc:
        response = refusal(request, exc.code, 404, str(exc), NOT_FOUND_WHY)
    except web.HTTPNotFound:  # no route; a missing static file keeps aiohttp's plain 404
        if path.startswith("/console/static/"):
            raise
        response = refusal(request, "no_page", 404, NO_PAGE, fields={"path": path[:100]})
    except web.HTTPMethodNotAllowed as exc:  # e.g. a bookmarked /console/campaigns/1/pause
        response = refusal(request, "wrong_method", 405, AN_ACTION, fields={"path": path[:100]})
        response.headers["Allow"] = ",".join(sorted(exc.allowed_methods))
    if (
        session is not None
        and not path.startswith("/console/static/")
        and COOKIE not in (response.cookies)
    ):
        _set_cookie(response, request, session)  # sliding expiry
    _secure(response)
    return response


async def _csrf_ok(request: web.Request, expected: str) -> bool:
    given = request.headers.get("X-CSRF-Token")
    if given is None:
        form = await request.post()
        value = form.get("csrf")
        given = value if isinstance(value, str) else ""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())


def _secure(response: web.StreamResponse) -> None:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Cache-Control", "no-store")
