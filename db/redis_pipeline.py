"""Concurrent calls of one Lua script sent to Redis together (autopipelining).

Each call through redis-py costs a connection checkout, a retry wrapper, a socket write and
a wake-up of its own; under load those, not Redis, were most of a request's Redis time.
Idle, a call goes at once, alone. While one is out, the calls that arrive wait and go next
as one pipeline (one checkout, one write, one read), so a process keeps at most one round
trip of the script in flight and no call waits for more than the one before it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

if TYPE_CHECKING:
    from db.redis_store import SafeRedis

MAX_PIPELINE = 512  # calls per pipeline: a round trip stays far under the socket timeout


async def evalsha_all(
    r: aioredis.Redis, source: str, sha: str, calls: Sequence[tuple[Sequence[Any], Sequence[Any]]]
) -> list[Any]:
    """EVALSHA of each (keys, args) in one pipeline. The calls Redis did not run because it
    had lost the script (restarted, or SCRIPT FLUSH) are sent again, once, after loading it;
    only those, so no call runs twice. Raises the first call's error."""
    results = await _pipeline(r, sha, calls)
    missing = [i for i, result in enumerate(results) if isinstance(result, NoScriptError)]
    if missing:
        await r.script_load(source)
        again = await _pipeline(r, sha, [calls[i] for i in missing])
        for i, result in zip(missing, again, strict=True):
            results[i] = result
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results


async def _pipeline(
    r: aioredis.Redis, sha: str, calls: Sequence[tuple[Sequence[Any], Sequence[Any]]]
) -> list[Any]:
    # EVALSHA by hand: redis-py's Script in a pipeline asks SCRIPT EXISTS first, every time.
    async with r.pipeline(transaction=False) as pipe:
        for keys, args in calls:
            pipe.evalsha(sha, len(keys), *keys, *args)
        return list(await pipe.execute(raise_on_error=False))


@dataclass(eq=False)
class _Call:
    keys: Sequence[Any]
    args: Sequence[Any]
    fallback: Any
    answer: asyncio.Future[Any] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class ScriptPipeline:
    """One script's calls, grouped. Redis away (SafeRedis): every call of the round trip
    answers its own `fallback`."""

    def __init__(self, redis: SafeRedis, source: str) -> None:
        self._redis = redis
        self._source = source
        self._sha = redis.client.register_script(source).sha
        self._queue: list[_Call] = []
        self._out = False  # a round trip of this script is in flight
        self._sender: asyncio.Task[None] | None = None  # held: the loop keeps tasks weakly

    async def __call__(self, keys: Sequence[Any], args: Sequence[Any], fallback: Any) -> Any:
        if self._out:
            call = _Call(keys, args, fallback)
            self._queue.append(call)
            return await call.answer  # a cancelled wait cancels the future: skipped
        self._out = True
        try:
            results = await self._redis.run(self._sending([(keys, args)]), None)
        finally:
            self._out = False
            self._send_queued()
        return fallback if results is None else results[0]

    def _sending(self, calls: Sequence[tuple[Sequence[Any], Sequence[Any]]]) -> partial[Any]:
        return partial(evalsha_all, source=self._source, sha=self._sha, calls=calls)

    def _send_queued(self) -> None:
        if self._queue and not self._out:
            self._out = True
            self._sender = asyncio.create_task(self._send())

    async def _send(self) -> None:
        try:
            while self._queue:
                batch = [c for c in self._queue[:MAX_PIPELINE] if not c.answer.done()]
                del self._queue[:MAX_PIPELINE]
                if not batch:
                    continue
                try:
                    results = await self._redis.run(
                        self._sending([(c.keys, c.args) for c in batch]), None
                    )
                except BaseException as exc:  # not Redis's (SafeRedis answers those): a bug,
                    for call in batch:  # or the loop closing; no caller is left waiting
                        if not call.answer.done():
                            if isinstance(exc, Exception):
                                call.answer.set_exception(exc)
                            else:
                                call.answer.cancel()
                    raise
                for i, call in enumerate(batch):
                    if not call.answer.done():
                        call.answer.set_result(call.fallback if results is None else results[i])
        finally:
            self._out = False
            self._sender = None
            self._send_queued()
