"""One deadline per inbound message, covering every wait inside it.

Twilio gives a webhook 15 s; an answer after that is lost, and a draw committed after the
customer was told "sorry, try again" is a win nobody sees. The channel opens a deadline; the
draw store reads what is left of it, so PostgreSQL refuses to commit once it has passed, and
marks when its write has left, after which a timeout cannot say the write did not happen.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Deadline:
    expires: float  # time.monotonic()
    sent: bool = False  # a write left for the database: its fate is unknown if time runs out

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """`work` within this deadline; TimeoutError once it passes, without waiting for the
        work to unwind: a query cancelled on a silent network waits for its cancel request
        (up to the pool's acquire timeout), and the answer must not wait with it."""
        token = _CURRENT.set(self)
        try:
            task = asyncio.ensure_future(work)  # the task copies the context, deadline and all
        finally:
            _CURRENT.reset(token)
        try:
            done, _ = await asyncio.wait({task}, timeout=max(self.expires - time.monotonic(), 0))
        except asyncio.CancelledError:
            task.cancel()
            raise
        if done:
            return task.result()
        task.cancel()  # unwinds in the background
        _UNWINDING.add(task)
        task.add_done_callback(_unwound)
        raise TimeoutError


_CURRENT: ContextVar[Deadline | None] = ContextVar("deadline", default=None)
_UNWINDING: set[asyncio.Task[Any]] = set()  # cancelled work, kept until it has unwound


def _unwound(task: asyncio.Task[Any]) -> None:
    _UNWINDING.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: it was answered with the apology already


def remaining() -> float | None:
    """Seconds left of the current deadline (negative once passed); None outside one."""
    scope = _CURRENT.get()
    return None if scope is None else scope.expires - time.monotonic()


def current() -> Deadline | None:
    """The deadline this task runs under, for work done on its behalf by another task."""
    return _CURRENT.get()


def sending() -> None:
    """Called just before a write leaves: from here a timeout leaves its outcome unknown."""
    scope = _CURRENT.get()
    if scope is not None:
        scope.sent = True
