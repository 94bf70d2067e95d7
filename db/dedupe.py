"""Webhook redeliveries, remembered in Redis so each delivery id is handled once."""

from __future__ import annotations

from db.redis_store import SafeRedis


class RedisDeduplicator:
    """SET NX per key; when Redis is away every delivery is handled (callers stay idempotent)."""

    def __init__(self, redis: SafeRedis) -> None:
        self._redis = redis

    async def claim(self, key: str, ttl_seconds: int) -> bool:
        full = self._redis.key("seen", key)
        fallback: bool | str | bytes | None = True
        claimed = await self._redis.run(lambda r: r.set(full, 1, nx=True, ex=ttl_seconds), fallback)
        return claimed is not None

    async def release(self, key: str) -> None:
        await self._redis.run(lambda r: r.delete(self._redis.key("seen", key)), 0)
