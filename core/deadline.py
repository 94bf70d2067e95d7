"""One deadline per inbound message, covering every wait inside it.

Twilio gives a webhook 15 s; an answer after that is lost, and a draw committed after the
customer was told "sorry, try again" is a win nobody sees. The channel opens a deadline; the
draw store reads what is left of it, so PostgreSQL refuses to commit once it has passed, and
marks when its write has left, after which a timeout cannot say the write did not happen.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class Deadline:
    expires: float  # time.monotonic()
    sent: bool = False  # a write left for the database: its fate is unknown if time runs out


_CURRENT: ContextVar[Deadline | None] = ContextVar("deadline", default=None)


@asynccontextmanager
async def deadline(seconds: float) -> AsyncIterator[Deadline]:
    """Raise TimeoutError in the block once `seconds` have passed."""
    scope = Deadline(time.monotonic() + seconds)
    token = _CURRENT.set(scope)
    try:
        async with asyncio.timeout(seconds):
            yield scope
    finally:
        _CURRENT.reset(token)


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
