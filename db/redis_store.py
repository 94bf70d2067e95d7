"""Redis: a fast, fallible helper. It never grants anything PostgreSQL would refuse.

Every call has short timeouts and at most one retry, and a failure opens a short circuit
so a dead or hung Redis costs one timeout per second, not one per request: when the pause
ends, one call probes Redis (half-open) while the others keep taking their fallback.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from functools import partial
from typing import Any, TypeVar

import orjson
import redis.asyncio as aioredis
import structlog
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from core.model import DrawOutcome, DrawResult, Language
from core.ports import Admission, FloodRule, TelegramLink
from db.redis_pipeline import MAX_PIPELINE, ScriptPipeline, evalsha_all

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
    """Runs Redis calls, answering a fallback instead of raising when Redis is away.

    A circuit breaker: closed, every call goes to Redis; a failure opens it for `pause_seconds`,
    every call taking its fallback at once; then half-open, one call (the probe) goes to
    Redis while the others still fall back. Without the probe, every request in flight when
    the pause ends would wait for a hung Redis's timeout. Its success closes the circuit,
    its failure opens it for another pause.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        prefix: str = "ld:",
        pause_seconds: float = 1.0,
        on_fallback: Callable[[], None] = lambda: None,  # counts them (a metric)
        on_probe: Callable[[bool], None] = lambda ok: None,  # counts probes by outcome
    ):
        self.client = client
        self.prefix = prefix
        self._pause = pause_seconds
        self._down_until: float | None = None  # None: closed
        self._probing = False
        self._on_fallback = on_fallback
        self._on_probe = on_probe
        self.fallbacks = 0

    def key(self, *parts: object) -> str:
        return self.prefix + ":".join(map(str, parts))

    @property
    def available(self) -> bool:
        """Closed, or half-open with no probe out: the next call goes to Redis."""
        down = self._down_until
        return down is None or (time.monotonic() >= down and not self._probing)

    async def run(self, call: Callable[[aioredis.Redis], Awaitable[T]], fallback: T) -> T:
        if not self.available:
            self.fell_back()
            return fallback
        probe = self._down_until is not None
        self._probing = probe
        try:
            result = await call(self.client)
        except (RedisError, OSError, TimeoutError) as exc:
            self._down_until = time.monotonic() + self._pause
            self.fell_back()
            reason = "probe failed" if probe else "call failed"
            log.warning("redis_unavailable", reason=reason, error=repr(exc))
            if probe:
                self._on_probe(False)
            return fallback
        finally:
            if probe:
                self._probing = False
        if probe:
            self._down_until = None
            log.info("redis_recovered", reason="probe succeeded")
            self._on_probe(True)
        return result

    def fell_back(self) -> None:
        """Count a call that did without Redis (also a write dropped before it was sent)."""
        self.fallbacks += 1
        self._on_fallback()

    def reset(self) -> None:
        """Close the circuit: try Redis again on the next call."""
        self._down_until = None
        self._probing = False

    async def ping(self) -> bool:
        try:
            return bool(await self.client.ping())
        except (RedisError, OSError, TimeoutError):
            return False


# A customer's message before a draw, in one round trip: count it against the flood limit
# (and, the first time over it, on the warned counter) and read today's remembered draw
# (also the first time over: the one "slow down" is answered in its language).
# KEYS: flood counter, warned counter, the phone's draw hash (one Cluster slot: {phone}).
# ARGV: window seconds, limit, the hash field (campaign:day).
_ADMIT = """
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if hits > tonumber(ARGV[2]) then
  local ttl = math.max(redis.call('TTL', KEYS[1]), 1)
  local warned = redis.call('INCR', KEYS[2])
  if warned == 1 then
    redis.call('EXPIRE', KEYS[2], ttl)
    return {ttl, warned, redis.call('HGET', KEYS[3], ARGV[3])}  -- its language, for the answer
  end
  return {ttl, warned, false}
end
return {0, 0, redis.call('HGET', KEYS[3], ARGV[3])}
"""
# EXPIREAT: gone at local midnight whatever the server's zone. Another campaign's midnight
# may cut an entry short: the gate forgets, never grants.
_REMEMBER = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return redis.call('EXPIREAT', KEYS[1], ARGV[3])
"""


# One queued remember: the phone's hash, its field (campaign:day), the payload, expiry.
_Remembered = tuple[str, str, bytes, int]


class RedisDrawGate:
    """ "Already drew today": each day's draw result per phone, kept until local midnight.

    One hash per phone (field: campaign and local day), so changing what a customer's
    replies look like (their language) forgets it all with one DEL.

    Remembering is written behind: `remember` queues and returns, and one flusher per
    process sends what is queued as one pipeline, at once when idle, and what accumulated
    during a flush right after it (the group commit of draw_batch). A repeat that comes
    before its entry lands goes to PostgreSQL, which answers "already": the gate forgets,
    never grants. Beyond `max_pending` queued entries (Redis hung), the oldest is dropped
    and counted as a Redis fallback.
    """

    def __init__(self, redis: SafeRedis, max_pending: int = 10_000) -> None:
        self._redis = redis
        self._admit = ScriptPipeline(redis, _ADMIT)
        self._remember_sha = redis.client.register_script(_REMEMBER).sha
        self._max_pending = max_pending
        self._pending: deque[_Remembered] = deque()
        self._flusher: asyncio.Task[None] | None = None

    def _key(self, phone: str) -> str:
        return self._redis.key("drew", f"{{{phone}}}")  # the hash tag SpamGuard.rule uses

    async def admit(self, campaign_id: int, phone: str, day: date, flood: FloodRule) -> Admission:
        keys = [
            self._redis.key("rate", flood.key),
            self._redis.key("rate", flood.warned_key),
            self._key(phone),
        ]
        args: list[str | int] = [flood.window_seconds, flood.limit, f"{campaign_id}:{day}"]

        allowed = (0, 0, None)  # Redis away: go on, recall none
        ttl, warned, raw = await self._admit(keys, args, allowed)
        if ttl:
            return Admission(int(ttl), first_over=warned == 1, remembered=_recalled(raw))
        return Admission(retry_after=None, first_over=False, remembered=_recalled(raw))

    async def recall(
        self, campaign_id: int, phone: str, day: date
    ) -> tuple[str | None, DrawResult] | None:
        field = f"{campaign_id}:{day.isoformat()}"
        raw: bytes | str | None = await self._redis.run(
            lambda r: r.hget(self._key(phone), field), None
        )
        return _recalled(raw)

    async def remember(
        self, phone: str, day: date, request_id: str | None, result: DrawResult, until: datetime
    ) -> None:
        payload = orjson.dumps({"request_id": request_id, "result": _result_to_json(result)})
        field = f"{result.campaign_id}:{day.isoformat()}"
        if len(self._pending) >= self._max_pending:
            self._pending.popleft()
            self._redis.fell_back()
        self._pending.append((self._key(phone), field, payload, int(until.timestamp())))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())

    async def flushed(self) -> None:
        """Wait until every remember queued so far was sent (or dropped: Redis away)."""
        while self._flusher is not None:
            await asyncio.shield(self._flusher)

    async def _flush(self) -> None:
        try:
            while self._pending:
                count = min(len(self._pending), MAX_PIPELINE)
                batch = [self._pending.popleft() for _ in range(count)]
                await self._redis.run(partial(self._store, batch), None)
        finally:
            self._flusher = None

    async def _store(self, batch: list[_Remembered], r: aioredis.Redis) -> None:
        calls = [((key,), (field, payload, expire_at)) for key, field, payload, expire_at in batch]
        await evalsha_all(r, _REMEMBER, self._remember_sha, calls)

    async def forget(self, phone: str) -> None:
        # A queued or in-flight remember of the old replies must not land after the DEL.
        key = self._key(phone)
        if any(entry[0] == key for entry in self._pending):
            self._pending = deque(entry for entry in self._pending if entry[0] != key)
        await self.flushed()
        await self._redis.run(lambda r: r.delete(key), 0)


class RedisTelegramLinks:
    """Telegram account -> (phone, language), so a linked /draw needs no PostgreSQL lookup.

    Kept for days, not minutes: a customer's first draw of the day is the one that costs,
    and it comes a day after the last. Written through by every change of what it holds; a
    change made while Redis is unreachable is missed until the entry expires.
    """

    TTL_SECONDS = 3 * 86400

    def __init__(self, redis: SafeRedis) -> None:
        self._redis = redis

    def _key(self, user_id: int) -> str:
        return self._redis.key("telegram", f"{{{user_id}}}")

    async def get(self, user_id: int) -> TelegramLink | None:
        raw: bytes | str | None = await self._redis.run(lambda r: r.get(self._key(user_id)), None)
        if raw is None:
            return None
        text = raw.decode() if isinstance(raw, bytes) else raw
        phone, _, language = text.partition(" ")
        return TelegramLink(phone, Language(language) if language else None)

    async def put(self, user_id: int, link: TelegramLink, *, replace: bool) -> None:
        value = f"{link.phone} {link.language.value if link.language else ''}"
        await self._redis.run(
            lambda r: r.set(self._key(user_id), value, ex=self.TTL_SECONDS, nx=not replace),
            None,
        )

    async def forget(self, user_id: int) -> None:
        await self._redis.run(lambda r: r.delete(self._key(user_id)), 0)


# One round trip, atomic, and Redis 6.2 (embedded) has no EXPIRE ... NX.
_COUNT = """
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {hits, redis.call('TTL', KEYS[1])}
"""


# A sliding window as a sorted set of (time, token): drop what left it, then take a place.
_RESERVE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


class RedisRateLimiter:
    """Fixed-window counters and sliding-window places; allow everything when Redis is away."""

    def __init__(self, redis: SafeRedis) -> None:
        self._redis = redis
        # EVALSHA, reloading themselves after a SCRIPT FLUSH or a Redis restart.
        self._count = redis.client.register_script(_COUNT)
        self._reserve = redis.client.register_script(_RESERVE)

    async def hit(self, key: str, limit: int, window_seconds: int) -> int | None:
        full = self._redis.key("rate", key)

        async def count(r: aioredis.Redis) -> list[int]:
            return list(await self._count(keys=[full], args=[window_seconds], client=r))

        hits, ttl = await self._redis.run(count, [0, 0])
        return max(ttl, 1) if hits > limit else None

    async def reserve(
        self, key: str, limit: int, window_seconds: int, now: float, token: str
    ) -> bool | None:
        full = self._redis.key("places", key)

        async def reserve(r: aioredis.Redis) -> int:
            args: list[str | float] = [now, window_seconds, limit, token]
            return int(await self._reserve(keys=[full], args=args, client=r))

        taken = await self._redis.run(reserve, -1)
        return None if taken < 0 else bool(taken)

    async def forget(self, key: str, token: str) -> None:
        full = self._redis.key("places", key)
        await self._redis.run(lambda r: r.zrem(full, token), 0)


def _recalled(raw: bytes | str | None) -> tuple[str | None, DrawResult] | None:
    if raw is None:
        return None
    data = orjson.loads(raw)
    return data["request_id"], _result_from_json(data["result"])


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
        "reference": result.reference,
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
        reference=data.get("reference"),
    )
