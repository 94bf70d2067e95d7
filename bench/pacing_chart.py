"""The README's pacing chart: one launch day through the real draw function, paced and not.

A crowd of 2,000 entries between 09:00 and 10:00, then 150 an hour until 21:00, plays two
otherwise equal campaigns (prize: 1 in 4, 50 a day, open hours 09:00-21:00): one with
`pacing: none`, one with `pacing: even`. Each entry is one `ld_draw` call at its own instant
on a scratch database. Writes bench/results/pacing.png and pacing.json.

    .venv/bin/python -m bench.pacing_chart
"""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import UTC, date, datetime, timedelta

import matplotlib

matplotlib.use("Agg")  # no screen here
import matplotlib.pyplot as plt

from bench.common import RESULTS, scratch_database
from core.model import Channel, DrawOutcome, DrawRequest
from core.pacing import release_window
from core.validation import campaign_from_mapping
from db.campaigns import PgCampaignStore
from db.draws import PgDrawStore
from db.pool import create_pool

DAY = date(2026, 12, 10)
ZONE_OFFSET = timedelta(hours=8)  # Hong Kong
DAILY = 50


def campaign(keyword: str, pacing: str) -> dict[str, object]:
    return {
        "name": f"Launch {pacing}", "keyword": keyword, "timezone": "Asia/Hong_Kong",
        "starts_at": "2026-12-01T00:00:00+08:00", "ends_at": "2026-12-31T00:00:00+08:00",
        "open_hours": "09:00-21:00",
        "prizes": [{"name": "$5 Cash Coupon", "probability": 0.25, "total_quota": 1000,
                    "daily_quota": DAILY, "valid_days": 30, "pacing": pacing}],
    }  # fmt: skip


def entries() -> list[datetime]:
    """Local instants (as UTC) of the day's entries: the crowd, then a steady trickle."""
    nine = datetime.combine(DAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    crowd = [nine + timedelta(seconds=3600 * i / 2000) for i in range(2000)]
    trickle = [nine + timedelta(hours=1, seconds=3600 * i / 150) for i in range(150 * 11)]
    return [t - ZONE_OFFSET for t in crowd + trickle]


async def main() -> None:
    results: dict[str, list[float]] = {}
    async with scratch_database() as url:
        pool = await create_pool(url, min_size=1, max_size=4)
        campaigns, draws = PgCampaignStore(pool), PgDrawStore(pool, command_timeout=10)
        created = datetime(2026, 12, 1, tzinfo=UTC)
        for keyword, pacing in (("NONE", "none"), ("EVEN", "even")):
            c = await campaigns.create(campaign_from_mapping(campaign(keyword, pacing)), created)
            prize = c.prizes[0]
            won_at = []
            for n, moment in enumerate(entries()):
                picked = secrets.randbelow(4) == 0  # the prize's band: 1 in 4
                record = await draws.record_draw(
                    DrawRequest(
                        campaign_id=c.id, phone=f"+8529{n:07d}", local_day=DAY,
                        channel=Channel.SMS, request_id=None,
                        picked_prize_id=prize.id if picked else None,
                        code=secrets.token_hex(6).upper() if picked else None,
                        expires_at=moment + timedelta(days=30) if picked else None, now=moment,
                    )
                )  # fmt: skip
                if record.outcome is DrawOutcome.WON:
                    won_at.append(_local_hours(moment))
            results[pacing] = won_at
            if pacing == "even":
                window = release_window(c, DAY)
        await pool.close()
    assert window is not None
    grid = [h / 12 for h in range(24 * 12 + 1)]
    released = [
        window.released_at_least(DAILY, datetime.combine(DAY, datetime.min.time(), tzinfo=UTC)
                                 - ZONE_OFFSET + timedelta(hours=h))
        for h in grid
    ]  # fmt: skip
    _chart(results, grid, released)
    summary = {
        "entries": len(entries()),
        "daily_quota": DAILY,
        "last_win_local_hour": {k: round(max(v), 2) for k, v in results.items()},
        "wins": {k: len(v) for k, v in results.items()},
    }
    (RESULTS / "pacing.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


def _local_hours(moment: datetime) -> float:
    local = moment + ZONE_OFFSET
    return local.hour + local.minute / 60 + local.second / 3600


def _chart(results: dict[str, list[float]], grid: list[float], released: list[int]) -> None:
    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=110)
    for pacing, label in (("none", "pacing: none"), ("even", "pacing: even")):
        wins = sorted(results[pacing])
        ax.step([0.0, *wins, 24.0], [0, *range(1, len(wins) + 1), len(wins)],
                where="post", label=f"{label}: units won")  # fmt: skip
    ax.plot(grid, released, ":", color="grey", label="even: units released (at least)")
    ax.axvspan(9, 10, color="orange", alpha=0.12, label="2,000 entries, 09:00-10:00")
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 3), [f"{h:02d}:00" for h in range(0, 25, 3)])
    ax.set_xlabel("local time (Hong Kong), one launch day")
    ax.set_ylabel("units of the daily quota (50)")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(RESULTS / "pacing.png")


if __name__ == "__main__":
    asyncio.run(main())
