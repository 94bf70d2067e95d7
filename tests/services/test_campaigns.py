"""Creating campaigns: every invalid field is named, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest

from app.bootstrap import Core
from core.errors import InvalidCampaign, KeywordTaken
from core.model import CampaignStatus
from tests.helpers import campaign_data, spec


def prize(**overrides: Any) -> dict[str, Any]:
    base = {"name": "P", "probability": 0.1, "total_quota": 10, "daily_quota": 5, "valid_days": 3}
    return base | overrides


BAD_CAMPAIGNS: list[tuple[dict[str, Any], str]] = [
    ({"name": ""}, "name"),
    ({"keyword": "X"}, "keyword"),
    ({"keyword": "TOO-LONG-KEYWORD-1"}, "keyword"),
    ({"keyword": "DRAW"}, "keyword"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"starts_at": "yesterday"}, "starts_at"),
    ({"starts_at": "2026-12-01T00:00:00"}, "starts_at"),  # no offset
    ({"ends_at": "2026-11-01T00:00:00+08:00"}, "ends_at"),  # before start
    ({"reminder_time": "25:00"}, "reminder_time"),
    ({"language": "fr"}, "language"),
    ({"prizes": []}, "prizes"),
    ({"prizes": [prize(probability=0.7), prize(name="Q", probability=0.4)]}, "prizes"),
    ({"prizes": [prize(probability=1.5)]}, "prizes.0.probability"),
    ({"prizes": [prize(probability=-0.1)]}, "prizes.0.probability"),
    ({"prizes": [prize(probability="half")]}, "prizes.0.probability"),
    ({"prizes": [prize(total_quota=0)]}, "prizes.0.total_quota"),
    ({"prizes": [prize(daily_quota=20)]}, "prizes.0.daily_quota"),
    ({"prizes": [prize(valid_days=0)]}, "prizes.0.valid_days"),
    ({"prizes": [prize(), prize(name="")]}, "prizes.1.name"),
    ({"prizes": [prize(colour="red")]}, "prizes.0.colour"),
    ({"owner": "me"}, "owner"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_CAMPAIGNS)
async def test_an_invalid_campaign_is_refused_naming_the_field_and_nothing_is_written(
    services: Core, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidCampaign) as refused:
        await services.campaigns.create(spec(campaign_data(**overrides)))
    assert refused.value.field == field
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


async def test_an_unquoted_yaml_reminder_time_is_read_as_hours_and_minutes(
    services: Core,
) -> None:
    campaign = await services.campaigns.create(
        spec(campaign_data(reminder_time=600))
    )  # YAML 1.1 10:00
    assert campaign.reminder_time is not None
    assert campaign.reminder_time.isoformat() == "10:00:00"
