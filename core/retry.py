"""How long a temporarily failed message waits before its next attempt."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 6
    base_seconds: float = 30.0
    cap_seconds: float = 3600.0

    def delay(self, attempts: int, u: float, retry_after: float | None = None) -> float:
        """Exponential backoff with jitter after `attempts` tries, `u` uniform in [0, 1).

        The jitter keeps half the backoff and randomises the rest, so instances that failed
        together do not retry together; a provider's own Retry-After is a floor.
        """
        backoff = min(self.cap_seconds, self.base_seconds * 2.0 ** max(0, attempts - 1))
        return max(backoff * (0.5 + u / 2), retry_after or 0.0)

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts
