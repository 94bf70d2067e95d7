"""Group commit of draws: while a process's draw calls are all busy, the draws that arrive
wait and then go to PostgreSQL together, as one `ld_draw_batch` call and one commit.

Idle, a draw is sent at once, alone: no latency is added at low load. Each draw in a batch
stays atomic on its own (a subtransaction each); one that fails is sent again alone by its
own caller. The batch commits before any of its callers answers, and never after the
earliest `commit_by` among them, so no draw commits after its own deadline. Batches run in
tasks of their own: a caller that stops waiting leaves the others' batch running.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import structlog

from core.deadline import Deadline, current

log = structlog.get_logger(__name__)

# ld_before runs after the function has returned (the function scan completes first) and
# aborts the statement, so its implicit transaction, once the deadline has passed.
SINGLE = """SELECT d.*, ld_before($13)
              FROM ld_draw($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) d"""
BATCH = """SELECT d.*, ld_before($13)
             FROM ld_draw_batch($1::bigint[], $2::text[], $3::date[], $4::text[], $5::text[],
                                $6::text[], $7::float8[], $8::text[], $9::bigint[], $10::text[],
                                $11::timestamptz[], $12::timestamptz[]) d"""


_PRIZE = 8  # ld_draw's p_prize among its arguments: the prize the draw's band picked


class SendAlone(Exception):
    """This draw was not recorded by its batch: its caller sends it again on its own."""


@dataclass(eq=False)
class _Waiting:
    args: tuple[Any, ...]  # ld_draw's twelve arguments
    commit_by: datetime
    gives_up: float  # time.monotonic() when its caller's timeout ends
    scope: Deadline | None
    answer: asyncio.Future[asyncpg.Record] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class DrawBatcher:
    """`max_calls` draw calls at once per process; `max_batch` draws per call at most (kept
    under 64: more subtransactions than that in one transaction overflow PostgreSQL's
    per-backend cache of them, and every other backend's snapshots get slower)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        max_batch: int,
        max_calls: int,
        margin: float,
        on_resent: Callable[[str], None] = lambda sqlstate: None,  # counts them (a metric)
    ) -> None:
        self._pool = pool
        self._on_resent = on_resent
        self._margin = margin
        self._max_batch = max_batch
        self._max_calls = max_calls
        self._calls = 0
        self._queue: list[_Waiting] = []
        self._tasks: set[asyncio.Task[None]] = set()
        # Database calls by the number of draws they carried (tests and benchmarks read it).
        self.calls_by_size: Counter[int] = Counter()

    def busy(self) -> bool:
        """Whether a draw arriving now waits for a batch instead of going alone."""
        return self._max_batch > 1 and (self._calls >= self._max_calls or bool(self._queue))

    async def alone(self, args: tuple[Any, ...], commit_by: datetime, seconds: float) -> Any:
        """One draw, sent now by its own caller (a cancel cancels its statement)."""
        self._calls += 1
        try:
            async with self._pool.acquire() as connection:
                self.calls_by_size[1] += 1
                scope = current()
                if scope is not None:
                    scope.sent = True
                return await connection.fetchrow(SINGLE, *args, commit_by, timeout=seconds)
        finally:
            self._calls -= 1
            self._flush()

    async def queued(self, args: tuple[Any, ...], commit_by: datetime, seconds: float) -> Any:
        """Wait for the next batch; raises SendAlone when it did not record this draw."""
        waiting = _Waiting(args, commit_by, time.monotonic() + seconds, current())
        self._queue.append(waiting)
        return await waiting.answer  # a cancelled wait cancels the future: never sent

    def _flush(self) -> None:
        while self._calls < self._max_calls:
            batch = [w for w in self._queue[: self._max_batch] if not w.answer.done()]
            del self._queue[: self._max_batch]
            if not batch:
                if not self._queue:
                    return
                continue
            self._calls += 1
            task = asyncio.create_task(self._send(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _send(self, batch: list[_Waiting]) -> None:
        try:
            async with self._pool.acquire() as connection:
                batch = self._still_wanted(batch)
                # A day's first wins make its units under their prize's row lock: every batch
                # takes those locks in one order, so two processes' batches never wait on each
                # other in a cycle (a deadlock, found only after PostgreSQL's 1 s check).
                batch.sort(key=_lock_order)
                rows = await self._call(connection, batch) if batch else []
        except asyncpg.PostgresError as exc:
            # The statement failed, so its transaction: nothing committed. Each caller sends
            # its draw again alone (with what is left of its own deadline).
            for waiting in batch:
                if waiting.scope is not None:
                    waiting.scope.sent = False
                self._resent(str(exc.sqlstate))
                _settle(waiting, exception=SendAlone())
        except Exception as exc:  # the call's fate is unknown (timeout, connection lost)
            for waiting in batch:
                _settle(waiting, exception=exc)
        else:
            for waiting, row in zip(batch, rows, strict=True):
                failed = row.get("error")
                if failed:
                    self._resent(failed)
                    if waiting.scope is not None:
                        waiting.scope.sent = False  # its subtransaction was rolled back
                _settle(waiting, row=row, exception=SendAlone(failed) if failed else None)
        finally:
            self._calls -= 1
            self._flush()

    def _resent(self, sqlstate: str) -> None:
        """A draw its batch did not record, sent again alone: logged and counted, so a
        deadlock or a code clash (SQLSTATE 40P01, 23505) is seen, not only survived."""
        log.warning("draw_resent", reason="its batch did not record it", sqlstate=sqlstate)
        self._on_resent(sqlstate)

    def _still_wanted(self, batch: list[_Waiting]) -> list[_Waiting]:
        """Without the draws whose callers gave up, or have no time left to commit."""
        now = time.monotonic()
        kept = []
        for waiting in batch:
            if waiting.gives_up - now <= self._margin:
                _settle(waiting, exception=TimeoutError("no time left to record the draw"))
            elif not waiting.answer.done():
                kept.append(waiting)
        return kept

    async def _call(self, connection: Any, batch: list[_Waiting]) -> list[Any]:
        timeout = min(w.gives_up for w in batch) - time.monotonic()
        for waiting in batch:
            if waiting.scope is not None:
                waiting.scope.sent = True
        commit_by = min(w.commit_by for w in batch)
        self.calls_by_size[len(batch)] += 1
        if len(batch) == 1:
            return [await connection.fetchrow(SINGLE, *batch[0].args, commit_by, timeout=timeout)]
        columns = [list(column) for column in zip(*(w.args for w in batch), strict=True)]
        return list(await connection.fetch(BATCH, *columns, commit_by, timeout=timeout))


def _lock_order(waiting: _Waiting) -> tuple[bool, int]:
    prize: int | None = waiting.args[_PRIZE]
    return prize is None, prize or 0


def _settle(waiting: _Waiting, *, row: Any = None, exception: Exception | None = None) -> None:
    if waiting.answer.done():  # its caller stopped waiting
        return
    if exception is not None:
        waiting.answer.set_exception(exception)
    else:
        waiting.answer.set_result(row)
