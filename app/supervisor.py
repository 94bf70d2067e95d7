"""Keeps `serve --workers N` at N workers: a worker that dies is started again.

Restarts back off (doubling from `first_delay` up to `max_delay`), each one is logged
(`worker_died`, `worker_restarted`) and counted (the workers' `luckydraw_worker_restarts`
gauge), and when workers keep dying (`give_up_after` restarts within `window` seconds) the
supervisor stops the rest and answers a non-zero exit code, so the process supervisor above
(systemd, compose, Kubernetes) notices instead of a half-dead group running on.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import structlog

log = structlog.get_logger(__name__)


class Worker(Protocol):
    """A started worker process (multiprocessing.Process has this shape)."""

    @property
    def exitcode(self) -> int | None: ...

    def is_alive(self) -> bool: ...

    def terminate(self) -> None: ...

    def join(self, timeout: float | None = None) -> None: ...


# start(slot, restarts so far) -> a started worker
StartWorker = Callable[[int, int], Worker]


@dataclass
class Supervisor:
    start: StartWorker
    workers: int
    first_delay: float = 0.5
    max_delay: float = 10.0
    give_up_after: int = 5
    window: float = 60.0
    stop: threading.Event = field(default_factory=threading.Event)
    restarts: int = 0

    def run(self) -> int:
        """Supervise until `stop` is set (0) or the workers keep dying (1)."""
        running: dict[int, Worker] = {slot: self.start(slot, 0) for slot in range(self.workers)}
        due: dict[int, float] = {}  # slot -> when to start it again
        recent: deque[float] = deque()  # when each restart within `window` happened
        try:
            while not self.stop.wait(0.1):
                now = time.monotonic()
                for slot, process in list(running.items()):
                    if process.is_alive():
                        continue
                    del running[slot]
                    while recent and now - recent[0] > self.window:
                        recent.popleft()
                    if len(recent) >= self.give_up_after:
                        log.error(
                            "workers_give_up",
                            worker=slot,
                            exitcode=process.exitcode,
                            restarts=len(recent),
                            window_seconds=self.window,
                        )
                        return 1
                    delay = min(self.max_delay, self.first_delay * 2 ** len(recent))
                    due[slot] = now + delay
                    recent.append(now)
                    log.warning(
                        "worker_died", worker=slot, exitcode=process.exitcode, restart_in=delay
                    )
                for slot, at in list(due.items()):
                    if now >= at:
                        del due[slot]
                        self.restarts += 1
                        running[slot] = self.start(slot, self.restarts)
                        log.info("worker_restarted", worker=slot, restarts=self.restarts)
            return 0
        finally:
            for process in running.values():
                process.terminate()  # SIGTERM: each worker drains (app/serve.py)
            for process in running.values():
                process.join(timeout=30)
