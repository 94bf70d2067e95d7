"""A campaign's draw commitment (verifiable draws): public from creation, never a seed."""

from __future__ import annotations

from datetime import date, datetime

from aiohttp import web
from pydantic import Field

from app.api.models import CampaignPath, Output
from app.api.request import PROOFS
from app.openapi import ApiSpec, ErrorOut, json_response, parse_path


class CommitmentOut(Output):
    campaign_id: int
    first_day: date = Field(description="The chain's first campaign-local day")
    commitment: str = Field(description="SHA-256 of the first day's seed, hex")
    committed_at: datetime


async def campaign_commitment(request: web.Request) -> web.Response:
    """The commitment published before any entry: each day's seed, revealed after the day,
    hashes back to it. The seeds themselves are never served before their day has ended."""
    campaign_id = parse_path(request, CampaignPath).campaign_id
    commitment = await request.app[PROOFS].commitment(campaign_id)
    return json_response(CommitmentOut.of(commitment))


def declare(spec: ApiSpec) -> None:
    spec.route(
        "GET",
        r"/api/campaigns/{campaign_id:\d+}/commitment",
        campaign_commitment,
        path_params=CampaignPath,
        responses={200: CommitmentOut, 404: ErrorOut},
        summary="Draw commitment (verifiable draws)",
        tags=["campaigns"],
    )
