"""Building and tampering with a published day, shared by the proof tests."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from typing import Any

from app.bootstrap import Core
from core.model import Channel
from tests.conftest import FakeClock
from tests.helpers import campaign_data

DAY = date(2026, 12, 10)
AFTER_DAY = datetime(2026, 12, 10, 16, 3, tzinfo=UTC)  # 00:03 on 11 Dec in Hong Kong


def scarce_campaign(**overrides: Any) -> dict[str, Any]:
    """Two prizes that run out within a few hundred draws: one daily, one in total."""
    prizes = [
        {"name": "Mug", "probability": 0.3, "total_quota": 1000, "daily_quota": 20,
         "valid_days": 7},
        {"name": "Tote Bag", "probability": 0.2, "total_quota": 12, "daily_quota": 12,
         "valid_days": 7},
    ]  # fmt: skip
    return campaign_data(prizes=prizes, **overrides)


def phone(i: int) -> str:
    return f"+85291{i:06d}"


async def draw_many(services: Core, count: int, day: str = "") -> None:
    """`count` customers draw at once over SMS and Telegram (through the draw use case);
    `day` keeps one day's request ids apart from another's."""
    channels = (Channel.SMS, Channel.TELEGRAM)
    await asyncio.gather(
        *(
            services.draws.draw(phone(i), channels[i % 2], request_id=f"req{day}-{i}")
            for i in range(count)
        )
    )


async def published_day(
    services: Core, clock: FakeClock, day: date = DAY, keyword: str = "WINTER"
) -> dict[str, Any]:
    clock.set(AFTER_DAY)
    await services.proofs.publish_due()
    log = await services.proofs.day(keyword, day)
    parsed: dict[str, Any] = json.loads(log)
    return parsed
