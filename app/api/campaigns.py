"""Campaigns: create, list, get, pause, resume, end, stats, winners CSV."""

from __future__ import annotations

from aiohttp import web

from app.api.models import (
    AuditEntryOut,
    CampaignIn,
    CampaignOut,
    CampaignPatchIn,
    CampaignPath,
    StatsOut,
    WinnersQuery,
)
from app.api.request import CAMPAIGN_MAX_BYTES, CAMPAIGNS
from app.openapi import (
    ApiSpec,
    ErrorOut,
    RawBody,
    json_response,
    parse_body,
    parse_path,
    parse_query,
)
from core.spreadsheet import winners_csv

ITEM = r"/api/campaigns/{campaign_id:\d+}"


async def create_campaign(request: web.Request) -> web.Response:
    """Create a campaign in PRODUCT.md's format; answers it with its `id`.

    Rules across fields are checked too (probabilities sum to at most 1, daily quota within
    total, known time zone, start before end, keyword free in those dates) and name the field.
    """
    body = await parse_body(request, CampaignIn, CAMPAIGN_MAX_BYTES)
    campaign = await request.app[CAMPAIGNS].create(body.to_spec())
    return json_response(CampaignOut.of(campaign), status=201)


async def list_campaigns(request: web.Request) -> web.Response:
    """Every campaign, oldest first."""
    return json_response(CampaignOut.of(c) for c in await request.app[CAMPAIGNS].list())


async def get_campaign(request: web.Request) -> web.Response:
    campaign_id = parse_path(request, CampaignPath).campaign_id
    return json_response(CampaignOut.of(await request.app[CAMPAIGNS].get(campaign_id)))


async def edit_campaign(request: web.Request) -> web.Response:
    """Change a campaign, by the rules of PRODUCT.md's "Editing a campaign".

    Always editable: names, reminder time, language, `ends_at` (not before now), odds (from
    the next draw on) and validity (new coupons only). Quotas are raised any time and lowered
    down to what was issued (today's, for a daily quota): below that is 409. `keyword`,
    `timezone` and `starts_at` are fixed once the campaign has started (409). Each change is
    kept in the audit trail.
    """
    campaign_id = parse_path(request, CampaignPath).campaign_id
    body = await parse_body(request, CampaignPatchIn, CAMPAIGN_MAX_BYTES)
    # exclude_unset: a field left out (a prize's too) stays as it is; an explicit null clears.
    patch = body.model_dump(mode="json", exclude_unset=True)
    campaign = await request.app[CAMPAIGNS].edit(campaign_id, patch, actor="api")
    return json_response(CampaignOut.of(campaign))


async def campaign_audit(request: web.Request) -> web.Response:
    """Operator actions and edits of the campaign (when, who, fields before and after),
    newest first."""
    campaign_id = parse_path(request, CampaignPath).campaign_id
    entries = await request.app[CAMPAIGNS].audit_trail(campaign_id)
    return json_response(AuditEntryOut.of(e) for e in entries)


async def pause_campaign(request: web.Request) -> web.Response:
    """Stop draws for now (active -> paused)."""
    campaign_id = parse_path(request, CampaignPath).campaign_id
    return json_response(CampaignOut.of(await request.app[CAMPAIGNS].pause(campaign_id)))


async def resume_campaign(request: web.Request) -> web.Response:
    """Allow draws again (paused -> active)."""
    campaign_id = parse_path(request, CampaignPath).campaign_id
    return json_response(CampaignOut.of(await request.app[CAMPAIGNS].resume(campaign_id)))


async def end_campaign(request: web.Request) -> web.Response:
    """End for good (active or paused -> ended); its coupons stay valid until they expire."""
    campaign_id = parse_path(request, CampaignPath).campaign_id
    return json_response(CampaignOut.of(await request.app[CAMPAIGNS].end(campaign_id)))


async def campaign_stats(request: web.Request) -> web.Response:
    """Draws (won or not), wins, and per prize: quotas, issued (today) and redeemed."""
    campaign_id = parse_path(request, CampaignPath).campaign_id
    return json_response(StatsOut.of(await request.app[CAMPAIGNS].stats(campaign_id)))


async def campaign_winners(request: web.Request) -> web.StreamResponse:
    """Every coupon issued, as CSV streamed from a database cursor (any size, bounded memory).

    Phone numbers are masked unless `full=true`.
    """
    campaign_id = parse_path(request, CampaignPath).campaign_id
    full = parse_query(request, WinnersQuery).full
    rows = await request.app[CAMPAIGNS].winners(campaign_id, full=full)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="campaign-{campaign_id}-winners.csv"',
            "Cache-Control": "no-store",  # personal data
        }
    )
    await response.prepare(request)
    async for chunk in winners_csv(rows):
        await response.write(chunk)
    await response.write_eof()
    return response


def declare(spec: ApiSpec) -> None:
    tags = ["campaigns"]
    one = {200: CampaignOut, 404: ErrorOut}
    transition = {**one, 409: ErrorOut}
    spec.route(
        "POST",
        "/api/campaigns",
        create_campaign,
        body=CampaignIn,
        responses={201: CampaignOut, 409: ErrorOut},
        summary="Create a campaign",
        tags=tags,
    )
    spec.route(
        "GET",
        "/api/campaigns",
        list_campaigns,
        responses={200: list[CampaignOut]},
        summary="List campaigns",
        tags=tags,
    )
    spec.route(
        "GET",
        ITEM,
        get_campaign,
        path_params=CampaignPath,
        responses=one,
        summary="Get a campaign",
        tags=tags,
    )
    spec.route(
        "PATCH",
        ITEM,
        edit_campaign,
        path_params=CampaignPath,
        body=CampaignPatchIn,
        responses={200: CampaignOut, 404: ErrorOut, 409: ErrorOut},
        summary="Edit a campaign",
        tags=tags,
    )
    spec.route(
        "GET",
        f"{ITEM}/audit",
        campaign_audit,
        path_params=CampaignPath,
        responses={200: list[AuditEntryOut], 404: ErrorOut},
        summary="Audit trail of a campaign",
        tags=tags,
    )
    for action, handler in (
        ("pause", pause_campaign),
        ("resume", resume_campaign),
        ("end", end_campaign),
    ):
        spec.route(
            "POST",
            f"{ITEM}/{action}",
            handler,
            path_params=CampaignPath,
            responses=transition,
            summary=f"{action.capitalize()} a campaign",
            tags=tags,
        )
    spec.route(
        "GET",
        f"{ITEM}/stats",
        campaign_stats,
        path_params=CampaignPath,
        responses={200: StatsOut, 404: ErrorOut},
        summary="Campaign statistics",
        tags=tags,
    )
    spec.route(
        "GET",
        f"{ITEM}/winners",
        campaign_winners,
        path_params=CampaignPath,
        query=WinnersQuery,
        responses={200: RawBody("text/csv"), 404: ErrorOut},
        summary="Winners as CSV",
        tags=tags,
    )
