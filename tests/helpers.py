"""Campaign builders and markers shared by tests."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from core.model import CampaignSpec
from core.validation import campaign_from_mapping


def campaign_data(**overrides: Any) -> dict[str, Any]:
    """A valid campaign in PRODUCT.md's format, open around the tests' default clock."""
    data: dict[str, Any] = {
        "name": "Winter Lucky Draw",
        "keyword": "WINTER",
        "timezone": "Asia/Hong_Kong",
        "starts_at": "2026-12-01T00:00:00+08:00",
        "ends_at": "2026-12-31T23:59:59+08:00",
        "reminder_time": "10:00",
        "language": "en",
        "prizes": [
            {"name": "$5 Cash Coupon", "probability": 0.05, "total_quota": 1000,
             "daily_quota": 50, "valid_days": 30},
            {"name": "Buy 1 Get 1 Free", "probability": 0.20, "total_quota": 5000,
             "daily_quota": 200, "valid_days": 14},
        ],
    }  # fmt: skip
    data.update(overrides)
    return data


def sure_win(
    total: int = 1000, daily: int = 1000, valid_days: int = 7, **overrides: Any
) -> dict[str, Any]:
    """A campaign whose one prize always wins while its quotas last."""
    prize = {"name": "Free Coffee", "probability": 1.0, "total_quota": total,
             "daily_quota": daily, "valid_days": valid_days}  # fmt: skip
    return campaign_data(prizes=[prize], **overrides)


def sure_loss(**overrides: Any) -> dict[str, Any]:
    prize = {"name": "Nothing Really", "probability": 0.0, "total_quota": 1,
             "daily_quota": 1, "valid_days": 1}  # fmt: skip
    return campaign_data(prizes=[prize], **overrides)


def spec(data: dict[str, Any]) -> CampaignSpec:
    """The typed spec the use case takes, read from a campaign in file format."""
    return campaign_from_mapping(data)


def counted(registry: Any, surface: str, reason: str) -> float:
    """luckydraw_refusals_total{surface,reason} in a metrics registry (0 before the first)."""
    labels = {"surface": surface, "reason": reason}
    value = registry.get_sample_value("luckydraw_refusals_total", labels)
    return float(value or 0.0)


def refusals(metrics: str, surface: str, reason: str) -> float:
    """luckydraw_refusals_total{surface,reason} in a /metrics page (0 before the first)."""
    line = f'luckydraw_refusals_total{{reason="{reason}",surface="{surface}"}} '
    found = [row for row in metrics.splitlines() if row.startswith(line)]
    return float(found[0].removeprefix(line)) if found else 0.0


def paced_first_prize(data: dict[str, Any]) -> dict[str, Any]:
    """`data` with its first prize released evenly over the open hours (`pacing: even`)."""
    data["prizes"][0]["pacing"] = "even"
    return data


# The embedded PostgreSQL is the `local` extra, which cannot be installed on every supported
# Python (pgserver has no wheel for 3.13): only the tests of the embedded servers need it.
needs_pgserver = pytest.mark.skipif(
    importlib.util.find_spec("pgserver") is None,
    reason="the local extra is not installed (pgserver has no wheel for this Python)",
)
