"""Webhook redeliveries, remembered in Redis so each delivery id is handled once."""

from __future__ import annotations

from db.redis_store import SafeRedis


class RedisDeduplicator:
    """One key per handled delivery; when Redis is away every delivery is handled (callers
    stay idempotent)."""

    def __init__(self, redis: SafeRedis) -> None:
        self._redis = redis

    async def seen(self, key: str) -> bool:
        full = self._redis.key("seen", key)
        return bool(await self._redis.run(lambda r: r.exists(full), 0))

    async def remember(self, key: str, ttl_seconds: int) -> None:
        full = self._redis.key("seen", key)
        await self._redis.run(lambda r: r.set(full, 1, ex=ttl_seconds), None)
