"""Creating campaigns and moving them through their states, against the database."""

from __future__ import annotations

import pytest

from app.bootstrap import Core
from core.errors import InvalidCampaign, KeywordTaken
from core.model import CampaignStatus
from tests.helpers import campaign_data, spec


async def test_an_invalid_campaign_is_refused_and_nothing_is_written(services: Core) -> None:
    """Which rules there are, and the field each names: tests/core/test_campaign_rules.py."""
    bad = campaign_data(prizes=[*campaign_data()["prizes"], {**campaign_data()["prizes"][0]}])
    with pytest.raises(InvalidCampaign) as refused:
        await services.campaigns.create(spec(bad))  # two prizes of one name
    assert refused.value.field == "prizes"
    assert await services.pool.fetchval("SELECT count(*) FROM campaign") == 0
    assert await services.pool.fetchval("SELECT count(*) FROM prize") == 0


async def test_a_keyword_is_unique_among_overlapping_campaigns(services: Core) -> None:
    await services.campaigns.create(spec(campaign_data()))
    with pytest.raises(KeywordTaken):
        await services.campaigns.create(spec(campaign_data(keyword="winter", name="Another")))
    later = await services.campaigns.create(
        spec(
            campaign_data(
                starts_at="2027-01-01T00:00:00+08:00", ends_at="2027-02-01T00:00:00+08:00"
            )
        )
    )
    assert later.keyword == "WINTER"
    assert await services.pool.fetchval("SELECT count(*) FROM campaign") == 2


async def test_pause_resume_and_end_move_a_campaign_through_its_states(services: Core) -> None:
    campaign = await services.campaigns.create(spec(campaign_data()))
    assert (await services.campaigns.pause(campaign.id)).status is CampaignStatus.PAUSED
    with pytest.raises(InvalidCampaign):
        await services.campaigns.pause(campaign.id)
    assert (await services.campaigns.resume(campaign.id)).status is CampaignStatus.ACTIVE
    assert (await services.campaigns.end(campaign.id)).status is CampaignStatus.ENDED
    with pytest.raises(InvalidCampaign):
        await services.campaigns.resume(campaign.id)
