"""Create and edit forms: the form becomes the campaign format, validated by core (the same
rules as the API and the CLI); errors come back next to the field they name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from multidict import MultiDictProxy

from console.deps import deps, refused
from console.render import render
from core.editing import campaign_mapping
from core.errors import InvalidInput
from core.validation import campaign_from_mapping, validated

PRIZE_FIELDS = ("id", "name", "probability", "total_quota", "daily_quota", "valid_days", "pacing")
OPTIONAL = ("reminder_time", "organizer", "organizer_contact", "open_hours",
            "max_wins_per_customer")  # fmt: skip
BLANK_PRIZE = {"name": "", "probability": "", "total_quota": "", "daily_quota": "",
               "valid_days": "", "pacing": "none"}  # fmt: skip
# The preview is about the prizes: whatever the rest of the form says, a valid frame for them.
PREVIEW_FRAME = {"name": "preview", "keyword": "PREVIEW", "timezone": "UTC",
                 "starts_at": "2026-01-01T00:00:00+00:00",
                 "ends_at": "2027-01-01T00:00:00+00:00"}  # fmt: skip
NEW_CAMPAIGN = {
    "name": "", "keyword": "", "timezone": "Asia/Hong_Kong", "starts_at": "", "ends_at": "",
    "reminder_time": "10:00", "language": "en", "organizer": "", "organizer_contact": "",
    "open_hours": "", "max_wins_per_customer": "", "prizes": [BLANK_PRIZE],
}  # fmt: skip


def from_form(form: MultiDictProxy[Any]) -> dict[str, Any]:
    """The campaign format from the form's text: numbers where they parse (validation names
    what does not), empty optional fields left out, prizes from the repeated prize_* fields."""
    data: dict[str, Any] = {}
    for key in ("name", "keyword", "timezone", "starts_at", "ends_at", "language", *OPTIONAL):
        value = str(form.get(key, "")).strip()
        if value or key not in OPTIONAL:
            data[key] = _number(value) if key == "max_wins_per_customer" else value
    if "reminder_time" not in data:
        data["reminder_time"] = None
    columns = {f: [str(v) for v in form.getall(f"prize_{f}", [])] for f in PRIZE_FIELDS}
    prizes = []
    for i in range(len(columns["name"])):
        prize: dict[str, Any] = {f: columns[f][i] for f in PRIZE_FIELDS if i < len(columns[f])}
        if not prize.get("id"):
            prize.pop("id", None)
        for f in ("id", "probability", "total_quota", "daily_quota", "valid_days"):
            if f in prize:
                prize[f] = _number(prize[f])
        prizes.append(prize)
    data["prizes"] = prizes
    return data


def _number(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _shown(data: Mapping[str, Any]) -> dict[str, Any]:
    """Form values as text, for re-display."""
    text = {k: ("" if v is None else v) for k, v in data.items() if k != "prizes"}
    shown = dict.fromkeys(NEW_CAMPAIGN, "") | text
    shown["prizes"] = [
        BLANK_PRIZE | {k: ("" if v is None else v) for k, v in p.items()}
        for p in data.get("prizes") or [BLANK_PRIZE]
    ]
    return shown


async def new_form(request: web.Request) -> web.StreamResponse:
    context = {"data": NEW_CAMPAIGN, "errors": {}, "edit": None, "now": deps(request).clock()}
    return render(request, "form.html", context)


async def create(request: web.Request) -> web.StreamResponse:
    data = from_form(await request.post())
    try:
        campaign = await deps(request).campaigns.create(campaign_from_mapping(data))
    except InvalidInput as exc:
        return _invalid(request, data, exc, None)
    return web.Response(status=303, headers={"Location": f"/console/campaigns/{campaign.id}"})


async def edit_form(request: web.Request) -> web.StreamResponse:
    campaign = await deps(request).campaigns.get(int(request.match_info["campaign_id"]))
    data = campaign_mapping(campaign)
    zone = ZoneInfo(campaign.timezone)  # shown in the campaign's own time, not UTC
    for key in ("starts_at", "ends_at"):
        data[key] = getattr(campaign, key).astimezone(zone).isoformat()
    context = {"data": _shown(data), "errors": {}, "edit": campaign, "now": deps(request).clock()}
    return render(request, "form.html", context)


async def edit(request: web.Request) -> web.StreamResponse:
    campaigns = deps(request).campaigns
    campaign = await campaigns.get(int(request.match_info["campaign_id"]))
    data = from_form(await request.post())
    try:
        await campaigns.edit(campaign.id, data, actor="console")
    except InvalidInput as exc:
        return _invalid(request, data, exc, campaign)
    return web.Response(status=303, headers={"Location": f"/console/campaigns/{campaign.id}"})


def _invalid(
    request: web.Request, data: Mapping[str, Any], exc: InvalidInput, campaign: Any
) -> web.Response:
    errors = {exc.field or "form": exc.message}
    refused(request, exc.code, 400, field=exc.field, campaign_id=campaign.id if campaign else None)
    context = {"data": _shown(data), "errors": errors, "edit": campaign,
               "now": deps(request).clock()}  # fmt: skip
    return render(request, "form.html", context, status=400)


async def preview(request: web.Request) -> web.StreamResponse:
    """What the odds mean at a number of entries a day (htmx, as the form is typed)."""
    form = await request.post()
    entries_text = str(form.get("entries", "2000"))
    entries = int(entries_text) if entries_text.isdigit() and int(entries_text) > 0 else 2000
    try:
        spec = validated(
            campaign_from_mapping(PREVIEW_FRAME | {"prizes": from_form(form)["prizes"]})
        )
    except InvalidInput as exc:
        return render(request, "preview_part.html", {"error": exc.message, "field": exc.field})
    lines = []
    for p in spec.prizes:
        wins = entries * p.probability
        lines.append({
            "name": p.name,
            "one_in": round(1 / p.probability) if p.probability else None,
            "wins": round(wins),
            "daily": p.daily_quota,
            "reached_after": round(p.daily_quota / p.probability) if p.probability else None,
            "capped": wins > p.daily_quota,
        })  # fmt: skip
    return render(request, "preview_part.html", {"lines": lines, "entries": entries})
