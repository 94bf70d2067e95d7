"""`GET /r/{KEYWORD}` (HTML) and `GET /r/{KEYWORD}.txt`: a campaign's official rules.

No sign-in and nothing from another host: the page's one style block is allowed by its hash
in the Content-Security-Policy. `?lang=en|zh-Hant` picks the language, else the browser's
Accept-Language, else the campaign's own; `?version=N` shows an earlier version.
"""

from __future__ import annotations

import base64
import hashlib
from importlib import resources

import jinja2
from aiohttp import web

from core.errors import CampaignNotFound
from core.model import Language
from core.ports import Telemetry
from core.rules import RulesDocument, as_text
from core.services.rules import RulesService
from public.refusals import TELEMETRY, refused

KEYWORD = r"{keyword:[A-Za-z0-9]{2,16}}"
RULES = web.AppKey("rules", RulesService)
LANGUAGES = ((Language.EN.value, "English"), (Language.ZH_HANT.value, "繁體中文"))
CSS = (
    "body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}"
    "main{max-width:44rem;margin:0 auto;padding:1rem}"
    "h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.15rem;margin:1.5rem 0 .3rem}"
    ".subtitle{color:#555;margin-top:0}nav{font-size:.9rem}li{margin:.2rem 0}"
)
_CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "public, max-age=60",
    "Vary": "Accept-Language",
}
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FunctionLoader(
        lambda name: resources.files("public").joinpath("templates", name).read_text("utf-8")
    ),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def add_rules_routes(app: web.Application, rules: RulesService, telemetry: Telemetry) -> None:
    app[RULES] = rules
    app[TELEMETRY] = telemetry
    app.router.add_get(f"/r/{KEYWORD}", rules_page)
    app.router.add_get(f"/r/{KEYWORD}.txt", rules_text)


async def rules_page(request: web.Request) -> web.Response:
    doc, versions = await _document(request)
    keyword = request.match_info["keyword"].upper()
    version = request.query.get("version")
    html = _TEMPLATES.get_template("rules.html").render(
        doc=doc,
        css=CSS,
        languages=LANGUAGES,
        versions=versions,
        version_query=f"&version={version}" if version else "",
        text_link=f"/r/{keyword}.txt?lang={doc.language.value}"
        + (f"&version={version}" if version else ""),
    )
    return web.Response(text=html, content_type="text/html", headers=HEADERS)


async def rules_text(request: web.Request) -> web.Response:
    doc, _ = await _document(request)
    return web.Response(text=as_text(doc), content_type="text/plain", headers=HEADERS)


async def _document(request: web.Request) -> tuple[RulesDocument, list[int]]:
    rules = request.app[RULES]
    keyword = request.match_info["keyword"]
    requested = _language(request)
    number = _version(request)
    try:
        published = await rules.published(keyword, number)
    except CampaignNotFound as exc:
        raise _error(request, web.HTTPNotFound, exc.code, str(exc)) from None
    language = requested or _accepted(request) or published.campaign.language
    doc = await rules.document(published, language)
    return doc, [v.number for v in published.versions]


def _language(request: web.Request) -> Language | None:
    raw = request.query.get("lang")
    if raw is None:
        return None
    language = _match(raw)
    if language is None:
        raise _error(request, web.HTTPBadRequest, "invalid_lang", "lang must be en or zh-Hant")
    return language


def _version(request: web.Request) -> int | None:
    raw = request.query.get("version")
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) < 2**31:
        raise _error(
            request, web.HTTPBadRequest, "invalid_version", "version must be a whole number from 1"
        )
    return int(raw)


def _accepted(request: web.Request) -> Language | None:
    """The browser's most preferred language we write (any Chinese reads Traditional)."""
    ranked = []
    for i, part in enumerate(request.headers.get("Accept-Language", "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            ranked.append((-quality, i, tag))
    for _, _, tag in sorted(ranked):
        language = _match(tag)
        if language is not None:
            return language
    return None


def _match(tag: str) -> Language | None:
    tag = tag.strip().lower()
    if tag == "en" or tag.startswith("en-"):
        return Language.EN
    if tag == "zh" or tag.startswith("zh-"):
        return Language.ZH_HANT
    return None


def _error(
    request: web.Request, kind: type[web.HTTPException], reason: str, message: str
) -> web.HTTPException:
    error = kind(text=f"{message}\n", content_type="text/plain", headers=HEADERS)
    refused(request, reason, error.status)
    return error
