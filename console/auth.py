"""Sign-in with the admin token (also by the link `serve` prints), sign-out, language."""

from __future__ import annotations

import secrets

from aiohttp import web

from console.deps import deps, refused
from console.i18n import LANG_COOKIE, LANGUAGES
from console.refusals import NO_LANGUAGE, refusal
from console.render import render
from console.session import end_session, start_session, token_matches

# Wrong tokens per client address and window before sign-in is refused for the window.
MAX_WRONG = 5
WINDOW_SECONDS = 300


async def signin_page(request: web.Request) -> web.StreamResponse:
    given = request.query.get("token")
    if given is not None:  # the link `luckydraw serve` prints for local use
        return await _attempt(request, given)
    return render(request, "signin.html", {})


async def signin(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    given = form.get("token")
    return await _attempt(request, given if isinstance(given, str) else "")


async def _attempt(request: web.Request, given: str) -> web.StreamResponse:
    d = deps(request)
    if d.admin_token is None:
        refused(request, "disabled", 503)
        return render(request, "signin.html", {"disabled": True}, status=503)
    # Every attempt takes a place in the address's window first (atomically, so parallel
    # guesses cannot slip past); a right token gives its place back.
    key, place = f"console-signin:{request.remote}", secrets.token_hex(8)
    if (
        await d.limiter.reserve(key, MAX_WRONG, WINDOW_SECONDS, d.clock().timestamp(), place)
        is False
    ):
        refused(request, "locked_out", 429, address=request.remote)
        return render(request, "signin.html", {"wait": WINDOW_SECONDS}, status=429)
    if not token_matches(given, d.admin_token):
        refused(request, "wrong_token", 401, address=request.remote)
        return render(request, "signin.html", {"wrong": True}, status=401)
    await d.limiter.forget(key, place)
    response = web.Response(status=303, headers={"Location": "/console"})
    start_session(response, request)
    return response


async def signout(request: web.Request) -> web.StreamResponse:
    response = web.Response(status=303, headers={"Location": "/console/signin"})
    end_session(response)
    return response


async def choose_language(request: web.Request) -> web.StreamResponse:
    lang = request.match_info["lang"]
    if lang not in LANGUAGES:
        return refusal(request, "invalid_lang", 404, NO_LANGUAGE, fields={"lang": lang[:20]})
    back = request.query.get("next", "/console")
    response = web.Response(
        status=303, headers={"Location": back if back.startswith("/console") else "/console"}
    )
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path="/console", samesite="Strict")
    return response
