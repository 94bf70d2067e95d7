"""One deadline per inbound message, covering every wait inside it.

Twilio gives a webhook 15 s; an answer after that is lost, and a draw committed after the
customer was told "sorry, try again" is a win nobody sees. The channel opens a deadline; the
draw store reads what is left of it so PostgreSQL refuses to commit once it has passed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

_EXPIRES: ContextVar[float | None] = ContextVar("deadline_expires", default=None)


@asynccontextmanager
async def deadline(seconds: float) -> AsyncIterator[None]:
    """Raise TimeoutError in the block once `seconds` have passed."""
    token = _EXPIRES.set(time.monotonic() + seconds)
    try:
        async with asyncio.timeout(seconds):
            yield
    finally:
        _EXPIRES.reset(token)


def remaining() -> float | None:
    """Seconds left of the current deadline (negative once passed); None outside one."""
    expires = _EXPIRES.get()
    return None if expires is None else expires - time.monotonic()
