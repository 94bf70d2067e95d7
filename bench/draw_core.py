"""The draw use case at concurrency 64 against the local services, beside pgbench.

    .venv/bin/python -m bench.draw_core [--concurrency 64] [--seconds 20]

Writes bench/results/draw_core.json. Not a test: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import secrets
import time
from datetime import UTC, datetime

import uvloop

from app.bootstrap import open_core
from app.settings import Settings
from bench.common import REDIS_URL, run_pgbench, save, scratch_database, summarise
from core.errors import LuckyDrawError
from core.model import Channel
from core.validation import campaign_from_mapping

# The same transaction the service runs: one ld_draw call, ~30 % of draws picking a prize.
PGBENCH_SCRIPT = """
\\set n random(1, 999999999)
\\set pick random(1, 100)
SELECT * FROM ld_draw(1, '+1212' || lpad(:n::text, 7, '0') || (:client_id % 10)::text,
    (now() AT TIME ZONE 'Asia/Hong_Kong')::date, 'sms', NULL,
    upper(substr(md5(random()::text), 1, 24)), :pick / 101.0, 'bench',
    CASE WHEN :pick <= 30 THEN 1 END,
    CASE WHEN :pick <= 30 THEN upper(substr(md5(random()::text), 1, 5) || '-' ||
                                     substr(md5(random()::text), 1, 5)) END,
    now() + interval '7 days', now());
"""

CAMPAIGN = {
    "name": "Bench",
    "keyword": "BENCH",
    "timezone": "Asia/Hong_Kong",
    "starts_at": "2026-01-01T00:00:00+08:00",
    "ends_at": "2099-01-01T00:00:00+08:00",
    "prizes": [
        {"name": "Coffee", "probability": 0.30, "total_quota": 100_000_000,
         "daily_quota": 100_000_000, "valid_days": 7},
    ],
}  # fmt: skip


async def main(concurrency: int, seconds: int) -> None:
    async with scratch_database() as url:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=url,
            redis_url=REDIS_URL,
            redis_prefix=f"ldbench:{secrets.token_hex(3)}:",
            pool_max_size=concurrency,
        )
        async with open_core(settings) as services:
            await services.campaigns.create(campaign_from_mapping(CAMPAIGN))
            numbers = itertools.count(1)
            latencies: list[float] = []
            errors = 0
            deadline = time.monotonic() + seconds

            async def worker() -> None:
                nonlocal errors
                while time.monotonic() < deadline:
                    phone = f"+1646{next(numbers):07d}"
                    started = time.perf_counter()
                    try:
                        await services.draws.draw(phone, Channel.SMS)
                    except LuckyDrawError:
                        errors += 1
                    latencies.append(time.perf_counter() - started)

            started = time.monotonic()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            core = summarise(latencies, time.monotonic() - started, errors)
            wins = await services.pool.fetchval("SELECT count(*) FROM coupon")
        pgbench = await asyncio.to_thread(run_pgbench, url, PGBENCH_SCRIPT, concurrency, seconds)
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "what": "DrawService.draw in one Python process vs pgbench on ld_draw",
        "concurrency": concurrency,
        "draw_core": core | {"win_rate": round(wins / max(1, core["requests"]), 3)},
        "pgbench": pgbench,
        "ratio_core_to_pgbench": round(core["per_second"] / pgbench["tps"], 2),
    }
    print(save("draw_core", result))
    print(result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    uvloop.run(main(args.concurrency, args.seconds))
