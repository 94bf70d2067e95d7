"""`make run` seeds examples/campaign.yaml: whatever the date, the demo is open for 90 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.bootstrap import Core
from app.cli import load_campaign_file
from app.serve import DEMO_DAYS, dated_from_today
from core.errors import CampaignClosed
from core.model import Channel
from tests.conftest import FakeClock
from tests.helpers import campaign_data, spec

DEMO = Path(__file__).resolve().parents[2] / "examples" / "campaign.yaml"


@pytest.mark.parametrize(
    "today",
    [datetime(2026, 12, 10, 4, 0, tzinfo=UTC), datetime(2031, 6, 15, 23, 30, tzinfo=UTC)],
)
async def test_the_demo_campaign_is_playable_from_today_for_ninety_days(
    services: Core, clock: FakeClock, today: datetime
) -> None:
    clock.set(today)
    campaign = await services.campaigns.create(
        spec(dated_from_today(load_campaign_file(DEMO), clock()))
    )
    # 23:30 UTC is already the next day in Hong Kong: the demo starts at that day's midnight.
    assert campaign.starts_at <= today < campaign.starts_at + timedelta(days=1)
    assert campaign.ends_at - campaign.starts_at == timedelta(days=DEMO_DAYS)

    result = await services.draws.draw("+85291234567", Channel.SMS, keyword="WINTER")
    assert result.keyword == "WINTER"
    clock.set(campaign.ends_at - timedelta(minutes=1))
    await services.draws.draw("+85291234568", Channel.SMS, keyword="WINTER")
    clock.set(campaign.ends_at + timedelta(minutes=1))
    with pytest.raises(CampaignClosed):
        await services.draws.draw("+85291234569", Channel.SMS, keyword="WINTER")


def test_a_seed_that_states_its_dates_keeps_them() -> None:
    seed = campaign_data()
    assert dated_from_today(seed, datetime(2031, 1, 1, tzinfo=UTC)) == seed
