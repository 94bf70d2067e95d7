"""Campaign rules (core.validation), without a database: each refusal names its field."""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import InvalidCampaign
from core.validation import campaign_from_mapping, validated
from tests.helpers import campaign_data


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
def test_an_invalid_campaign_is_refused_naming_the_field(
    overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidCampaign) as refused:
        validated(campaign_from_mapping(campaign_data(**overrides)))
    assert refused.value.field == field


def test_a_valid_campaign_comes_back_trimmed_with_its_keyword_in_capitals() -> None:
    spec = validated(campaign_from_mapping(campaign_data(keyword="winter", name=" Winter ")))
    assert (spec.keyword, spec.name) == ("WINTER", "Winter")


def test_an_unquoted_yaml_reminder_time_is_read_as_hours_and_minutes() -> None:
    spec = campaign_from_mapping(campaign_data(reminder_time=600))  # YAML 1.1 reads 10:00 so
    assert spec.reminder_time is not None
    assert spec.reminder_time.isoformat() == "10:00:00"
