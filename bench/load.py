"""Launch-day load: signed Twilio webhooks (or Telegram updates) at a running `luckydraw serve`.

    .venv/bin/python -m bench.load --mode fresh --concurrency 64 --seconds 10 [--workers 2]

Starts the service itself on a scratch database (local PostgreSQL and Redis), creates its
campaign through the admin API, prepares and signs every request beforehand (so signing
costs the generator nothing while it measures), fires them for a bounded time, then checks
the invariants and fails loudly if one breaks. Reports throughput, latency percentiles,
errors, CPU seconds per process and the server's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import asyncpg
import redis.asyncio as aioredis
import uvloop
from twilio.request_validator import RequestValidator

from bench.common import (
    REDIS_URL,
    bounced,
    cpu_seconds,
    private_redis,
    run_pgbench,
    save,
    scratch_database,
    summarise,
)
from bench.draw_core import PGBENCH_SCRIPT
from core.draw import next_local_midnight
from core.pacing import release_window
from db.campaigns import PgCampaignStore
from tests.fakes.bot_api import FakeBotAPI

TOKEN = "bench-twilio-token"
ADMIN = "bench-admin-token-0123456789abcdef"
ACCOUNT = "AC" + "b" * 32
CAMPAIGN_NUMBER = "+12025550100"
MODES = ("fresh", "hot", "repeat", "mixed")


def prizes_for(mode: str, pacing: str = "none", day_left_s: float = 0) -> list[dict[str, Any]]:
    """With pacing `even` the campaign starts now, so the day's units are released over what
    is left of it: the hot prize at 500 a second (about half the draws find one released),
    Coffee at 300 a second (a little above its share of the draws)."""
    big = 100_000_000
    if mode == "hot":  # everyone wins the same prize, and the quota outlasts the run
        daily = big if pacing == "none" else int(500 * day_left_s)
        return [{"name": "Hot Prize", "probability": 1.0, "total_quota": big,
                 "daily_quota": daily, "valid_days": 7, "pacing": pacing}]  # fmt: skip
    coffee = big if pacing == "none" else int(300 * day_left_s)
    return [
        {"name": "Coffee", "probability": 0.25, "total_quota": big, "daily_quota": coffee,
         "valid_days": 7, "pacing": pacing},
        {"name": "$5 Off", "probability": 0.05, "total_quota": 2000, "daily_quota": 500,
         "valid_days": 30, "pacing": pacing},
    ]  # fmt: skip


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    database_url: str

    def pids(self) -> list[int]:
        """The serving processes: the parent and any worker children."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        kids = [int(p) for p in children.read_text().split()] if children.exists() else []
        return [self.process.pid, *kids]


@contextmanager
def serve(
    database_url: str,
    port: int,
    workers: int,
    telegram: dict[str, str] | None,
    redis_url: str = REDIS_URL,
    extra_env: dict[str, str] | None = None,
    redis_prefix: str | None = None,
) -> Iterator[Server]:
    # Logs at warning unless LOG_LEVEL is set (`bench.ab --base-env LOG_LEVEL=info` prices the
    # production default's one line per request).
    env = (
        {"LOG_LEVEL": "warning"}
        | dict(os.environ)
        | (extra_env or {})
        | {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "REDIS_PREFIX": redis_prefix or f"ldload:{secrets.token_hex(3)}:",
            "PORT": str(port),
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "ADMIN_TOKEN": ADMIN,
            "SMS_BACKEND": "console",
            "LOG_FORMAT": "json",
            "DEFAULT_REGION": "US",
        }
    )
    if telegram is not None:
        env |= {
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": BOT_SECRET,
            "TELEGRAM_API_BASE": telegram["api_base"],
            "TELEGRAM_MODE": "webhook",
        }
    command = [sys.executable, "-m", "app.cli", "serve", "--workers", str(workers)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        yield Server(process, f"http://127.0.0.1:{port}", database_url)
    finally:
        process.terminate()
        process.wait(timeout=30)


async def wait_ready(session: aiohttp.ClientSession, base: str) -> None:
    for _ in range(900):  # a loaded machine took ~40 s to start two workers with aiogram
        try:
            async with session.get(base + "/readyz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the service did not become ready")


Prepared = tuple[str, bytes, dict[str, str]]  # path, body, headers
BOT_TOKEN = "123456:bench-bot-token"
BOT_SECRET = "bench-webhook-secret"
_update_ids = itertools.count(1)


def telegram_update(user_id: int, text: str | None = None, phone: str | None = None) -> Prepared:
    """A Telegram Update as the Bot API posts it: a command, or the user's own contact."""
    n = next(_update_ids)
    sender = {"id": user_id, "is_bot": False, "first_name": "Bench", "language_code": "en"}
    message: dict[str, Any] = {
        "message_id": n, "date": int(time.time()), "chat": {"id": user_id, "type": "private"},
        "from": sender,
    }  # fmt: skip
    if phone is not None:
        message["contact"] = {"phone_number": phone.lstrip("+"), "first_name": "Bench",
                              "user_id": user_id}  # fmt: skip
    else:
        assert text is not None
        message["text"] = text
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    headers = {"X-Telegram-Bot-Api-Secret-Token": BOT_SECRET, "Content-Type": "application/json"}
    return "/telegram/webhook", json.dumps({"update_id": n, "message": message}).encode(), headers


def signed_sms(base: str, phone: str, body: str) -> Prepared:
    params = {
        "From": phone,
        "To": CAMPAIGN_NUMBER,
        "Body": body,
        "MessageSid": "SM" + secrets.token_hex(16),
        "AccountSid": ACCOUNT,
        "NumMedia": "0",
    }
    signature = RequestValidator(TOKEN).compute_signature(base + "/sms/inbound", params)
    headers = {
        "X-Twilio-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return "/sms/inbound", urlencode(params).encode(), headers


@dataclass
class Requests:
    """Prepared, signed requests; a run takes them in order and never re-uses one."""

    items: list[Prepared]
    taken: int = 0

    def next(self) -> Prepared | None:
        if self.taken >= len(self.items):
            return None
        self.taken += 1
        return self.items[self.taken - 1]


AREAS = (212, 646, 718, 917, 347, 415, 312, 213, 617, 305)


def phone(i: int) -> str:
    """The i-th of 70 million distinct, valid US mobile-style numbers."""
    area = AREAS[i % len(AREAS)]
    exchange = 201 + (i // len(AREAS) // 10_000) % 700
    return f"+1{area}{exchange}{i // len(AREAS) % 10_000:04d}"


def prepare(mode: str, channel: str, base: str, count: int, regulars: int) -> Requests:
    """`count` requests: regulars are customers 0..regulars-1, who drew before the run."""
    rng = random.Random(7)
    items = []
    for i in range(count):
        if mode == "repeat" or (mode == "mixed" and rng.random() < 0.3):
            who, text = rng.randrange(regulars), "DRAW"
        elif mode == "mixed" and rng.random() < 0.1:
            who, text = rng.randrange(regulars), "COUPONS"
        else:
            who, text = regulars + i, "DRAW"
        if channel == "telegram":
            items.append(telegram_update(USER_BASE + who, "/" + text.lower()))
        else:
            items.append(signed_sms(base, phone(who), text))
    return Requests(items)


USER_BASE = 700_000_000  # Telegram user ids of bench customers


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)


async def fire(session: aiohttp.ClientSession, base: str, requests: Requests,
               concurrency: int, seconds: float) -> tuple[Tally, float]:  # fmt: skip
    tally = Tally()
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        while time.monotonic() < deadline and (request := requests.next()) is not None:
            path, body, headers = request
            started = time.perf_counter()
            try:
                async with session.post(base + path, data=body, headers=headers) as r:
                    text = await r.text()
                    ok = r.status == 200
            except (aiohttp.ClientError, TimeoutError) as exc:
                ok, text = False, repr(exc)
            tally.latencies.append(time.perf_counter() - started)
            if not ok:
                tally.errors += 1
                if len(tally.error_samples) < 5:
                    tally.error_samples.append(text[:200])

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return tally, time.monotonic() - started


class CpuMeter:
    """CPU seconds of the server, PostgreSQL, Redis and this generator over a run.

    Other work shares this machine's PostgreSQL, so PostgreSQL here is the backends serving
    the bench's own database (the server's pool, or PgBouncer's server connections), read
    from /proc; the shared WAL writer and checkpointer are left out. Redis is a private
    server started for the run when `redis-server` is installed (else the shared one).
    """

    def __init__(
        self, server: Server, redis_pid: int, database_url: str, pooler_pid: int | None
    ) -> None:
        self.server = server
        self.redis_pid = redis_pid
        self.database_url = database_url
        self.pooler_pid = pooler_pid

    async def sample(self) -> dict[str, float]:
        backends = await database_backends(self.database_url)
        sample = {
            "server": sum(cpu_seconds(p) for p in self.server.pids()),
            "postgres": sum(_cpu_or_zero(p) for p in backends),
            "redis": cpu_seconds(self.redis_pid),
            "load_generator": cpu_seconds(os.getpid()),
        }
        if self.pooler_pid is not None:
            sample["pgbouncer"] = cpu_seconds(self.pooler_pid)
        return sample


def _cpu_or_zero(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except OSError:  # the backend ended between the query and the read
        return 0.0


async def database_backends(database_url: str) -> list[int]:
    """PostgreSQL backends connected to this database, other than the one asking."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            """SELECT pid FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()"""
        )
    finally:
        await conn.close()
    return [int(r["pid"]) for r in rows]


@contextmanager
def profiled(server: Server, output: Path | None, seconds: float) -> Iterator[None]:
    """py-spy samples one serving process (the first worker) over the timed run, as
    collapsed stacks (`--format raw`), for `python -m bench.profile`."""
    if output is None:
        yield
        return
    pid = server.pids()[-1]
    command = [str(Path(sys.executable).parent / "py-spy"), "record", "--nonblocking",
               "--rate", "200", "--format", "raw", "--duration", str(int(seconds)),
               "--pid", str(pid), "--output", str(output)]  # fmt: skip
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        spy.wait(timeout=60)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def watch_rss(server: Server, stop: asyncio.Event) -> dict[int, float]:
    peak: dict[int, float] = {}
    while not stop.is_set():
        for pid in server.pids():
            try:
                peak[pid] = max(peak.get(pid, 0.0), rss_mb(pid))
            except OSError:
                continue
        await asyncio.sleep(0.2)
    return peak


async def check_invariants(database_url: str) -> dict[str, int]:
    """Raise when any rule of the draw broke; answer the counts checked."""
    conn = await asyncpg.connect(database_url)
    try:
        over_total = await conn.fetchval(
            """SELECT count(*) FROM prize p
                WHERE (SELECT count(*) FROM coupon c WHERE c.prize_id = p.id) > p.total_quota"""
        )
        over_daily = await conn.fetchval(
            """SELECT count(*) FROM (SELECT c.prize_id, c.issued_day, count(*) AS n
                                       FROM coupon c GROUP BY 1, 2) d
                 JOIN prize p ON p.id = d.prize_id WHERE d.n > p.daily_quota"""
        )
        double_draws = await conn.fetchval(
            """SELECT count(*) FROM (SELECT 1 FROM draw GROUP BY campaign_id, customer_id,
                                     local_day HAVING count(*) > 1) x"""
        )
        draws = await conn.fetchval("SELECT count(*) FROM draw")
        coupons = await conn.fetchval("SELECT count(*) FROM coupon")
    finally:
        await conn.close()
    broken = {"over_total": over_total, "over_daily": over_daily, "double_draws": double_draws}
    if any(broken.values()):
        raise SystemExit(f"INVARIANT BROKEN: {broken}")
    return {"draws": draws, "coupons": coupons} | broken


async def check_pacing(database_url: str, after: datetime) -> dict[str, int]:
    """Raise when a paced prize issued more today than the rule had released by `after`."""
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        rows = await pool.fetch(
            """SELECT p.campaign_id, pd.day, pd.quota,
                      (SELECT count(*) FROM coupon c
                        WHERE c.prize_id = p.id AND c.issued_day = pd.day) AS issued
                 FROM prize p JOIN prize_day pd ON pd.prize_id = p.id WHERE p.pacing = 'even'"""
        )
        over = 0
        for r in rows:
            campaign = await PgCampaignStore(pool).get(r["campaign_id"])
            assert campaign is not None
            window = release_window(campaign, r["day"])
            allowed = window.released_at_most(r["quota"], after) if window else 0
            over += r["issued"] > allowed
    finally:
        await pool.close()
    if over:
        raise SystemExit(f"INVARIANT BROKEN: {over} paced prize(s) issued before release")
    return {"paced_prize_days": len(rows), "paced_over_released": over}


async def draws_recorded(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM draw"))
    finally:
        await conn.close()


ZONE = "America/New_York"


async def create_campaign(
    session: aiohttp.ClientSession, base: str, mode: str, pacing: str = "none"
) -> None:
    starts_at = "2026-01-01T00:00:00-05:00"
    day_left_s = 0.0
    if pacing != "none":  # from now: the day's release window is the rest of the local day
        now = datetime.now(UTC)
        starts_at = now.isoformat()
        day_left_s = (next_local_midnight(now, ZONE) - now).total_seconds()
    campaign = {
        "name": f"Bench {mode}", "keyword": "BENCH", "timezone": ZONE,
        "starts_at": starts_at, "ends_at": "2099-01-01T00:00:00-05:00",
        "prizes": prizes_for(mode, pacing, day_left_s),
    }  # fmt: skip
    auth = {"Authorization": f"Bearer {ADMIN}"}
    async with session.post(base + "/api/campaigns", json=campaign, headers=auth) as r:
        if r.status != 201:
            raise SystemExit(f"campaign create failed: {r.status} {await r.text()}")


async def link_telegram_users(
    database_url: str, redis_url: str, redis_prefix: str, customers: int
) -> None:
    """Untimed set-up: what sharing their contact leaves behind, for every bench user, in one
    statement, and its copy in Redis (RedisTelegramLinks) as a linked customer's draw finds
    it; the contact path itself is tested in tests/bot, not measured here."""
    client = aioredis.Redis.from_url(redis_url)
    try:
        for start in range(0, customers, 5000):
            async with client.pipeline(transaction=False) as pipe:
                for i in range(start, min(start + 5000, customers)):
                    pipe.set(f"{redis_prefix}telegram:{{{USER_BASE + i}}}", f"{phone(i)} ")
                await pipe.execute()
    finally:
        await client.aclose()
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            """INSERT INTO customer (phone, telegram_user_id, last_channel, created_at)
               SELECT p, u, 'telegram', now() FROM unnest($1::text[], $2::bigint[]) AS t(p, u)""",
            [phone(i) for i in range(customers)],
            [USER_BASE + i for i in range(customers)],
        )
    finally:
        await conn.close()


async def warm_up(
    session: aiohttp.ClientSession,
    base: str,
    mode: str,
    channel: str,
    regulars: int,
) -> None:
    """Untimed: the regulars draw once."""
    steps: list[list[Prepared]] = []
    if mode in ("repeat", "mixed"):
        steps.append([
            telegram_update(USER_BASE + i, "/draw") if channel == "telegram"
            else signed_sms(base, phone(i), "DRAW")
            for i in range(regulars)
        ])  # fmt: skip
    for step in steps:
        tally, _ = await fire(session, base, Requests(step), 32, 120)
        if tally.errors:
            raise SystemExit(f"warm-up failed: {tally.error_samples}")


async def run(
    mode: str,
    channel: str,
    concurrency: int,
    seconds: float,
    workers: int,
    port: int,
    profile: Path | None = None,
    pgbouncer: bool = False,
    pgbench: bool = True,
    pacing: str = "none",
) -> dict[str, Any]:
    """One bounded run. `pgbouncer`: the service reaches PostgreSQL through PgBouncer 1.18
    in transaction pooling mode (DB_STATEMENT_CACHE_SIZE=0); pgbench still goes direct."""
    regulars = 2000 if mode in ("repeat", "mixed") else 0
    count = int(min(6000, 600 * concurrency) * seconds)
    async with AsyncExitStack() as stack:
        database_url = await stack.enter_async_context(scratch_database())
        bot_api = await stack.enter_async_context(FakeBotAPI(BOT_TOKEN))
        redis_url, redis_pid = stack.enter_context(private_redis())
        service_url, pooler_pid, extra_env = database_url, None, {}
        if pgbouncer:
            service_url, pooler_pid = stack.enter_context(bounced(database_url))
            extra_env = {"DB_STATEMENT_CACHE_SIZE": "0"}
        redis_prefix = f"ldload:{secrets.token_hex(3)}:"
        if channel == "telegram":
            await link_telegram_users(database_url, redis_url, redis_prefix, regulars + count)
        telegram = {"api_base": bot_api.base} if channel == "telegram" else None
        with serve(
            service_url, port, workers, telegram, redis_url, extra_env, redis_prefix
        ) as server:
            connector = aiohttp.TCPConnector(limit=concurrency)
            timeout = aiohttp.ClientTimeout(total=15)  # Twilio gives up after 15 s
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
                await wait_ready(session, server.base)
                await create_campaign(session, server.base, mode, pacing)
                await warm_up(session, server.base, mode, channel, regulars)
                requests = prepare(mode, channel, server.base, count, regulars)
                meter = CpuMeter(server, redis_pid, database_url, pooler_pid)
                before_cpu = await meter.sample()
                before_draws = await draws_recorded(database_url)
                stop = asyncio.Event()
                rss = asyncio.create_task(watch_rss(server, stop))
                with profiled(server, profile, seconds):
                    tally, elapsed = await fire(
                        session, server.base, requests, concurrency, seconds
                    )
                stop.set()
                peak_rss = await rss
                after_cpu = await meter.sample()
                after_draws = await draws_recorded(database_url)
        invariants = await check_invariants(database_url)
        invariants |= await check_pacing(database_url, datetime.now(UTC))
        win_percent = {"fresh": 30, "hot": 100, "mixed": 30}.get(mode)
        database_limit = None
        if pgbench and win_percent is not None:  # repeat does no database work to compare
            script = PGBENCH_SCRIPT.replace("<= 30", f"<= {win_percent}")
            database_limit = await asyncio.to_thread(
                run_pgbench, database_url, script, concurrency, max(5, int(seconds))
            )
    summary = summarise(tally.latencies, elapsed, tally.errors)
    if requests.taken >= len(requests.items):
        summary["note"] = "ran out of prepared requests before the time was up"
    return {
        "mode": mode,
        "pacing": pacing,
        "channel": channel,
        "concurrency": concurrency,
        "workers": workers,
        "pgbouncer": pgbouncer,
        **summary,
        "error_samples": tally.error_samples,
        "cpu_seconds": {k: round(after_cpu[k] - before_cpu[k], 2) for k in after_cpu},
        "server_peak_rss_mb": {str(k): round(v, 1) for k, v in peak_rss.items()},
        # Repeat mode's evidence of zero database work: no draw rows, ~0 PostgreSQL CPU.
        # (pg_stat_database lags up to 10 s and pg_stat_statements is not loaded here.)
        "draws_recorded_per_request": round(
            (after_draws - before_draws) / max(1, summary["requests"]), 3
        ),
        "invariants": invariants,
        "pgbench": database_limit,
        "ratio_to_pgbench": (
            round(summary["per_second"] / database_limit["tps"], 2) if database_limit else None
        ),
    }


def _service_cpu_ms(runs: list[dict[str, Any]]) -> float:
    """The service's CPU milliseconds per request over runs (not the load generator's)."""
    cpu = sum(v for r in runs for part, v in r["cpu_seconds"].items() if part != "load_generator")
    return 1000 * cpu / max(1, sum(r["requests"] for r in runs))


async def compare_pacing(
    concurrency: int, seconds: float, workers: int, port: int
) -> dict[str, Any]:
    """Hot and fresh, each with pacing off and on, back to back in one run: pacing's cost.

    Each mode runs off, on, on, off (ABBA), so a machine that gets busier or quieter during
    the run weighs on both sides alike; a ratio compares the summed throughput of each side.
    """
    runs = []
    for mode in ("hot", "fresh"):
        for pacing in ("none", "even", "even", "none"):
            runs.append(await run(mode, "sms", concurrency, seconds, workers, port, pacing=pacing))
    ratios, by_cpu = {}, {}
    for mode in ("hot", "fresh"):
        side = {
            p: sum(r["per_second"] for r in runs if (r["mode"], r["pacing"]) == (mode, p))
            for p in ("none", "even")
        }
        ratios[mode] = round(side["even"] / side["none"], 3)
        cpu = {p: _service_cpu_ms([r for r in runs if (r["mode"], r["pacing"]) == (mode, p)])
               for p in ("none", "even")}  # fmt: skip
        by_cpu[mode] = round(cpu["none"] / cpu["even"], 3)
    return {
        "what": "webhooks/s with pacing even over pacing none, same mode, same run (ABBA)",
        "ratio_even_to_none": ratios,
        # The same read from the service's CPU per request (server, PostgreSQL, Redis): far
        # less swayed by what else the machine runs than throughput is.
        "ratio_even_to_none_by_cpu": by_cpu,
        "within_10_percent": all(r >= 0.9 for r in ratios.values()),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=MODES, default="fresh")
    parser.add_argument("--channel", choices=("sms", "telegram"), default="sms")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--save", help="results file name under bench/results/")
    parser.add_argument("--profile", type=Path, help="py-spy collapsed stacks of a worker")
    parser.add_argument("--pgbouncer", action="store_true", help="through PgBouncer (transaction)")
    parser.add_argument("--no-pgbench", action="store_true", help="skip pgbench after the run")
    parser.add_argument(
        "--pacing",
        choices=("none", "even", "compare"),
        default="none",
        help="prizes paced over the rest of the day; compare: hot and fresh, off and on",
    )
    args = parser.parse_args()
    if not 1 <= args.concurrency <= 1024 or not 0 < args.seconds <= 120:
        parser.error("concurrency must be 1..1024 and seconds 0..120 (load tests are bounded)")
    if args.pacing == "compare":
        compared = uvloop.run(
            compare_pacing(args.concurrency, args.seconds, args.workers, args.port)
        )
        print(json.dumps(compared, indent=2))
        if args.save:
            save(args.save, compared)
        return
    result = uvloop.run(
        run(
            args.mode,
            args.channel,
            args.concurrency,
            args.seconds,
            args.workers,
            args.port,
            args.profile,
            pgbouncer=args.pgbouncer,
            pgbench=not args.no_pgbench,
            pacing=args.pacing,
        )
    )
    print(json.dumps(result, indent=2))
    if args.save:
        save(args.save, result)


if __name__ == "__main__":
    main()
