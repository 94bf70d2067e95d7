"""Campaign pages: the list with today's quota bars, the live page, status actions, winners."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web

from console.deps import deps, refused
from console.refusals import BAD_PAGE_NUMBER, NOTHING_CHANGED, refusal
from console.render import render
from core import draw as rules
from core import spreadsheet
from core.errors import InvalidInput, LuckyDrawError, NotFound
from core.phone import parse_phone

PER_PAGE = 50
ACTIONS = ("pause", "resume", "end")


def _campaign_id(request: web.Request) -> int:
    return int(request.match_info["campaign_id"])


async def campaign_list(request: web.Request) -> web.StreamResponse:
    d = deps(request)
    rows = []
    for campaign in reversed(await d.campaigns.list()):
        stats = await d.campaigns.stats(campaign.id)
        rows.append((campaign, stats))
    return render(request, "list.html", {"rows": rows})


async def campaign_action(request: web.Request) -> web.StreamResponse:
    action = request.match_info["action"]
    campaign_id = _campaign_id(request)
    service = deps(request).campaigns
    move = {"pause": service.pause, "resume": service.resume, "end": service.end}[action]
    try:
        await move(campaign_id, actor="console")
    except NotFound:
        raise  # the middleware's 404
    except LuckyDrawError as exc:
        return refusal(
            request, exc.code, 409, str(exc), NOTHING_CHANGED,
            campaign_id=campaign_id, action=action,
        )  # fmt: skip
    back = request.headers.get("Referer", "")
    target = (
        f"/console/campaigns/{campaign_id}" if f"/campaigns/{campaign_id}" in back else "/console"
    )
    return web.Response(status=303, headers={"Location": target})


async def live_page(request: web.Request) -> web.StreamResponse:
    return render(request, "live.html", await _live(request))


async def live_part(request: web.Request) -> web.StreamResponse:
    """The part of the live page that htmx refreshes every few seconds."""
    return render(request, "live_part.html", await _live(request))


async def _live(request: web.Request) -> dict[str, object]:
    campaigns = deps(request).campaigns
    view = await campaigns.live(_campaign_id(request))
    tz = view.campaign.timezone
    day_start = rules.start_of_day(rules.local_day(view.now, tz), tz)
    return {
        "c": view.campaign,
        "view": view,
        "chart": _chart(view.activity.draws_per_minute, day_start),
        "audit": await campaigns.audit_trail(view.campaign.id, limit=50),
    }


def _chart(per_minute: tuple[tuple[datetime, int], ...], day_start: datetime) -> dict[str, object]:
    """Bars of draws per minute over the local day, as SVG coordinates (1440 x 100)."""
    peak = max((n for _, n in per_minute), default=0)
    bars = []
    for minute, n in per_minute:
        x = int((minute - day_start) / timedelta(minutes=1))
        if 0 <= x < 1440:
            h = max(1, round(100 * n / peak))
            bars.append({"x": x, "y": 100 - h, "h": h, "n": n, "label": minute})
    return {"bars": bars, "peak": peak}


async def winners_page(request: web.Request) -> web.StreamResponse:
    d = deps(request)
    campaign_id = _campaign_id(request)
    campaign = await d.campaigns.get(campaign_id)
    search = request.query.get("q", "")[:40]
    page_text = request.query.get("page", "0")
    if not (page_text.isascii() and page_text.isdigit() and len(page_text) < 7):
        return refusal(request, "invalid_page", 400, BAD_PAGE_NUMBER)
    page = int(page_text)
    rows = await d.campaigns.coupons(campaign_id, search, page, PER_PAGE)
    log = await d.campaigns.redemption_log(campaign_id)
    return render(
        request,
        "winners.html",
        {"c": campaign, "rows": rows, "q": search, "page": page, "more": len(rows) == PER_PAGE,
         "log": log},
    )  # fmt: skip


async def winners_csv(request: web.Request) -> web.StreamResponse:
    """The same CSV as the admin API's (one writer: core.spreadsheet), phones masked."""
    campaign_id = _campaign_id(request)
    rows = await deps(request).campaigns.winners(campaign_id)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="campaign-{campaign_id}-winners.csv"',
            "Cache-Control": "no-store",  # personal data
        }
    )
    await response.prepare(request)
    async for chunk in spreadsheet.winners_csv(rows):
        await response.write(chunk)
    await response.write_eof()
    return response


async def try_it(request: web.Request) -> web.StreamResponse:
    """One text from the operator's test phone through the SMS conversation: a real draw."""
    d = deps(request)
    form = await request.post()
    raw_phone, text = str(form.get("phone", "")), str(form.get("text", "")).strip()
    try:
        phone = parse_phone(raw_phone, d.default_region)
    except InvalidInput as exc:
        # 200: htmx swaps only successful answers into the chat, and the error belongs there.
        refused(request, exc.code, 200, field="phone")
        return render(request, "chat_part.html", {"text": text, "error": exc.message})
    if not text:
        refused(request, "empty", 200, field="text")
        return render(request, "chat_part.html", {"text": text, "error": "empty message"})
    reply = await d.chat(phone, text[:1600])
    return render(request, "chat_part.html", {"text": text, "reply": reply})
