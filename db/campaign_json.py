"""A campaign as JSON: the shared Redis copy of open campaigns and each rules version."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from core.model import Campaign, CampaignStatus, Language, OpenHours, Pacing, Prize


def prize_from_json(p: dict[str, Any]) -> Prize:
    return Prize(**{**p, "pacing": Pacing(p["pacing"])})


def campaign_to_json(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "keyword": c.keyword,
        "timezone": c.timezone,
        "starts_at": c.starts_at.isoformat(),
        "ends_at": c.ends_at.isoformat(),
        "status": c.status.value,
        "language": c.language.value,
        "reminder_time": c.reminder_time.isoformat() if c.reminder_time else None,
        "organizer": c.organizer,
        "organizer_contact": c.organizer_contact,
        "open_from": c.open_hours.start,
        "open_until": c.open_hours.end,
        "max_wins_per_customer": c.max_wins_per_customer,
        "stopped_at": c.stopped_at.isoformat() if c.stopped_at else None,
        "prizes": [
            {"id": p.id, "name": p.name, "probability": p.probability,
             "total_quota": p.total_quota, "daily_quota": p.daily_quota,
             "valid_days": p.valid_days, "pacing": p.pacing.value}
            for p in c.prizes
        ],
    }  # fmt: skip


def campaign_from_json(d: dict[str, Any]) -> Campaign:
    return Campaign(
        id=d["id"],
        name=d["name"],
        keyword=d["keyword"],
        timezone=d["timezone"],
        starts_at=datetime.fromisoformat(d["starts_at"]),
        ends_at=datetime.fromisoformat(d["ends_at"]),
        status=CampaignStatus(d["status"]),
        language=Language(d["language"]),
        reminder_time=time.fromisoformat(d["reminder_time"]) if d["reminder_time"] else None,
        organizer=d["organizer"],
        organizer_contact=d["organizer_contact"],
        open_hours=OpenHours(d["open_from"], d["open_until"]),
        max_wins_per_customer=d["max_wins_per_customer"],
        # Absent from copies made before it existed (older rules versions).
        stopped_at=datetime.fromisoformat(d["stopped_at"]) if d.get("stopped_at") else None,
        prizes=tuple(prize_from_json(p) for p in d["prizes"]),
    )
