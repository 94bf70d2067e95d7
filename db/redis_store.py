"""Redis: a fast, fallible helper. It never grants anything PostgreSQL would refuse.

Every call has short timeouts and at most one retry, and a failure opens a short circuit
so a dead or hung Redis costs one timeout per second, not one per request.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, TypeVar

import orjson
import redis.asyncio as aioredis
import structlog
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from core.model import DrawOutcome, DrawResult, Language

log = structlog.get_logger(__name__)
T = TypeVar("T")


def create_redis(url: str, *, timeout: float = 0.25, max_connections: int = 64) -> aioredis.Redis:
    # A blocking pool: a burst waits briefly for a connection instead of failing outright.
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=timeout,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), retries=1),
        health_check_interval=10,
    )
    return aioredis.Redis.from_pool(pool)


class SafeRedis:
    """Runs Redis calls, answering a fallback instead of raising when Redis is away."""

    def __init__(
        self,
        client: aioredis.Redis,
        prefix: str = "ld:",
        pause_seconds: float = 1.0,
        on_fallback: Callable[[], None] = lambda: None,  # counts them (a metric)
    ):
        self.client = client
        self.prefix = prefix
        self._pause = pause_seconds
        self._down_until = 0.0
        self._on_fallback = on_fallback
        self.fallbacks = 0

    def key(self, *parts: object) -> str:
        return self.prefix + ":".join(map(str, parts))

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    async def run(self, call: Callable[[aioredis.Redis], Awaitable[T]], fallback: T) -> T:
        if not self.available:
            self._fell_back()
            return fallback
        try:
            return await call(self.client)
        except (RedisError, OSError, TimeoutError) as exc:
            self._down_until = time.monotonic() + self._pause
            self._fell_back()
            log.warning("redis_unavailable", error=repr(exc))
            return fallback

    def _fell_back(self) -> None:
        self.fallbacks += 1
        self._on_fallback()

    def reset(self) -> None:
        """Close the circuit: try Redis again on the next call."""
        self._down_until = 0.0

    async def ping(self) -> bool:
        try:
            return bool(await self.client.ping())
        except (RedisError, OSError, TimeoutError):
            return False


class RedisDrawGate:
    """ "Already drew today": each day's draw result per phone, kept until local midnight.

    One hash per phone (field: campaign and local day), so changing what a customer's
    replies look like (their language) forgets it all with one DEL.
    """

    def __init__(self, redis: SafeRedis) -> None:
        self._redis = redis

    def _key(self, phone: str) -> str:
        return self._redis.key("drew", phone)

    async def recall(
        self, campaign_id: int, phone: str, day: date
    ) -> tuple[str | None, DrawResult] | None:
        field = f"{campaign_id}:{day.isoformat()}"
        raw = await self._redis.run(lambda r: r.hget(self._key(phone), field), None)
        if raw is None:
            return None
        data = orjson.loads(raw)
        return data["request_id"], _result_from_json(data["result"])

    async def remember(
        self, phone: str, day: date, request_id: str | None, result: DrawResult, until: datetime
    ) -> None:
        payload = orjson.dumps({"request_id": request_id, "result": _result_to_json(result)})
        key, field = self._key(phone), f"{result.campaign_id}:{day.isoformat()}"

        async def store(r: aioredis.Redis) -> None:
            async with r.pipeline(transaction=False) as pipe:
                pipe.hset(key, field, payload)
                # EXPIREAT: gone at local midnight whatever the server's zone. Another
                # campaign's midnight may cut an entry short: the gate forgets, never grants.
                pipe.expireat(key, int(until.timestamp()))
                await pipe.execute()

        await self._redis.run(store, None)

    async def forget(self, phone: str) -> None:
        await self._redis.run(lambda r: r.delete(self._key(phone)), 0)


# One round trip, atomic, and Redis 6.2 (embedded) has no EXPIRE ... NX.
_COUNT = """
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {hits, redis.call('TTL', KEYS[1])}
"""


class RedisRateLimiter:
    """Fixed-window counters; allow everything when Redis is away."""

    def __init__(self, redis: SafeRedis) -> None:
        self._redis = redis
        # EVALSHA, reloading itself after a SCRIPT FLUSH or a Redis restart.
        self._count = redis.client.register_script(_COUNT)

    async def hit(self, key: str, limit: int, window_seconds: int) -> int | None:
        full = self._redis.key("rate", key)

        async def count(r: aioredis.Redis) -> list[int]:
            return list(await self._count(keys=[full], args=[window_seconds], client=r))

        hits, ttl = await self._redis.run(count, [0, 0])
        return max(ttl, 1) if hits > limit else None

    async def count(self, key: str) -> int | None:
        unreachable = "unreachable"
        raw: bytes | str | None = await self._redis.run(
            lambda r: r.get(self._redis.key("rate", key)), unreachable
        )
        if raw is unreachable:
            return None
        return int(raw) if raw is not None else 0

    async def reset(self, key: str) -> None:
        await self._redis.run(lambda r: r.delete(self._redis.key("rate", key)), 0)


def _result_to_json(result: DrawResult) -> dict[str, object]:
    return {
        "campaign_id": result.campaign_id,
        "campaign_name": result.campaign_name,
        "keyword": result.keyword,
        "outcome": result.outcome.value,
        "next_draw_at": result.next_draw_at.isoformat(),
        "language": result.language.value,
        "prize_name": result.prize_name,
        "code": result.code,
        "expires_at": result.expires_at.isoformat() if result.expires_at else None,
        "timezone": result.timezone,
    }


def _result_from_json(data: dict[str, Any]) -> DrawResult:
    expires = data["expires_at"]
    return DrawResult(
        campaign_id=int(data["campaign_id"]),
        campaign_name=str(data["campaign_name"]),
        keyword=str(data["keyword"]),
        outcome=DrawOutcome(data["outcome"]),
        next_draw_at=datetime.fromisoformat(str(data["next_draw_at"])),
        language=Language(data["language"]),
        prize_name=data["prize_name"],
        code=data["code"],
        expires_at=datetime.fromisoformat(expires) if isinstance(expires, str) else None,
        replayed=True,
        timezone=str(data.get("timezone", "UTC")),
    )
