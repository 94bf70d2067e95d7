"""How long one reminder tick takes to enqueue 100,000 reminders (one INSERT … SELECT).

Seeds a scratch database with N customers who played a Hong Kong campaign yesterday, then
times `ReminderService.enqueue_reminders()` at the campaign's reminder time, a few runs
(the outbox is emptied between runs). Writes bench/results/reminder_enqueue.json.

    python -m bench.reminder_enqueue --players 100000 --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.common import save, scratch_database
from core.services.reminders import ReminderService
from core.validation import campaign_from_mapping
from db.campaigns import PgCampaignStore
from db.outbox import PgOutboxStore
from db.pool import create_pool

NOW = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)  # 10:00 in Hong Kong
CAMPAIGN = {
    "name": "Bench",
    "keyword": "BENCH",
    "timezone": "Asia/Hong_Kong",
    "starts_at": "2026-12-01T00:00:00+08:00",
    "ends_at": "2026-12-31T00:00:00+08:00",
    "reminder_time": "10:00",
    "prizes": [
        {"name": "P", "probability": 0.1, "total_quota": 10, "daily_quota": 10, "valid_days": 1}
    ],
}


async def run(players: int, runs: int) -> dict[str, Any]:
    async with scratch_database() as url:
        pool = await create_pool(url, min_size=1, max_size=4, command_timeout=600)
        try:
            campaigns = PgCampaignStore(pool)
            campaign = await campaigns.create(campaign_from_mapping(CAMPAIGN), NOW)
            await pool.execute(
                """INSERT INTO customer (phone, last_channel, created_at, sms_inbound_at)
                   SELECT '+8529' || lpad(g::text, 7, '0'), 'sms', $1, $1
                     FROM generate_series(1, $2) g""",
                NOW,
                players,
            )
            await pool.execute(
                """INSERT INTO draw (campaign_id, customer_id, local_day, channel, created_at)
                   SELECT $1, id, $2, 'sms', $3 FROM customer""",
                campaign.id,
                date(2026, 12, 9),
                NOW - timedelta(days=1),
            )
            await pool.execute("VACUUM ANALYZE")
            service = ReminderService(
                campaigns,
                PgOutboxStore(pool),
                lambda: NOW,
                (NOW.time(), NOW.time()),  # no quiet
            )
            seconds = []
            for _ in range(runs):
                await pool.execute("TRUNCATE outbox")
                started = time.perf_counter()
                added = await service.enqueue_reminders()
                seconds.append(time.perf_counter() - started)
                assert added == players, added
            again = time.perf_counter()
            assert await service.enqueue_reminders() == 0
            repeat = time.perf_counter() - again
        finally:
            await pool.close()
    return {
        "players": players,
        "runs": runs,
        "statements_per_tick": 1,
        "enqueue_seconds": [round(s, 3) for s in seconds],
        "median_seconds": round(statistics.median(seconds), 3),
        "reminders_per_second": round(players / statistics.median(seconds)),
        "repeat_tick_seconds": round(repeat, 3),  # everything already queued: nothing added
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--players", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    result = asyncio.run(run(args.players, args.runs))
    print(save("reminder_enqueue", result))
    print(result)


if __name__ == "__main__":
    main()
