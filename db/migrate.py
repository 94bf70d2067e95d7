"""Numbered SQL migrations, each in its own transaction, under an advisory lock.

Applied versions are kept with a checksum: a migration edited after it ran is refused.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

import asyncpg

# Any constant will do; it only has to be the same in every instance.
_LOCK_KEY = 0x4C75636B79  # "Lucky"


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available() -> list[Migration]:
    found = []
    for entry in resources.files("db.migrations").iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append(Migration(version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.version)


async def migrate(pool: asyncpg.Pool) -> list[str]:
    """Apply what is missing; answer the names applied. Safe to run from many processes."""
    async with pool.acquire() as conn:
        return await _migrate(conn)


async def _migrate(conn: asyncpg.pool.PoolConnectionProxy) -> list[str]:
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migration (
                   version int PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        applied = {r["version"]: r for r in await conn.fetch("SELECT * FROM schema_migration")}
        done = []
        for migration in available():
            row = applied.get(migration.version)
            if row is not None:
                if row["checksum"] != migration.checksum:
                    raise MigrationError(f"{migration.name} changed after it was applied")
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migration (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            done.append(migration.name)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)


async def pending(pool: asyncpg.Pool) -> list[str]:
    """Migrations not applied yet (readiness: the schema is current when this is empty)."""
    exists = await pool.fetchval("SELECT to_regclass('schema_migration') IS NOT NULL")
    applied = set()
    if exists:
        applied = {r["version"] for r in await pool.fetch("SELECT version FROM schema_migration")}
    return [m.name for m in available() if m.version not in applied]
