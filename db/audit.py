"""The audit trail: operator actions and campaign edits, kept in PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import asyncpg
import orjson

from core.model import AuditAction, AuditEntry, FieldChange

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    Conn = PoolConnectionProxy[asyncpg.Record]


class PgAuditStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def record(self, entry: AuditEntry) -> None:
        async with self._pool.acquire() as conn:
            await insert_entry(conn, entry)

    async def trail(self, campaign_id: int | None, limit: int) -> Sequence[AuditEntry]:
        rows = await self._pool.fetch(
            """SELECT id, at, actor, action, campaign_id, subject, changes::text AS changes
                 FROM audit_entry WHERE $1::bigint IS NULL OR campaign_id = $1
                ORDER BY id DESC LIMIT $2""",
            campaign_id,
            limit,
        )
        return [
            AuditEntry(
                id=r["id"],
                at=r["at"],
                actor=r["actor"],
                action=AuditAction(r["action"]),
                campaign_id=r["campaign_id"],
                subject=r["subject"],
                changes=tuple(FieldChange(**c) for c in orjson.loads(r["changes"])),
            )
            for r in rows
        ]


async def insert_entry(conn: Conn, entry: AuditEntry) -> None:
    """Record `entry` on `conn`, inside whatever transaction the caller holds."""
    changes = [{"field": c.field, "before": c.before, "after": c.after} for c in entry.changes]
    await conn.execute(
        """INSERT INTO audit_entry (at, actor, action, campaign_id, subject, changes)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb)""",
        entry.at,
        entry.actor,
        entry.action.value,
        entry.campaign_id,
        entry.subject,
        orjson.dumps(changes).decode(),
    )
