"""Numbered SQL migrations, then the database's functions, under an advisory lock.

Applied versions are kept with a checksum: a migration edited after it ran is refused.
Functions (`db/functions/*.sql`, `CREATE OR REPLACE`) are edited in place instead, so the one
definition of `ld_draw` is read and changed in one file; each file is re-applied, in its own
transaction, whenever its text changes. They run after every migration, so they may use any
column the migrations made.
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


def functions() -> list[Migration]:
    """The function files, in name order (version 0: they are keyed by name)."""
    found = [
        Migration(0, entry.name, entry.read_text(encoding="utf-8"))
        for entry in resources.files("db.functions").iterdir()
        if entry.name.endswith(".sql")
    ]
    return sorted(found, key=lambda m: m.name)


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
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_function (
                   name text PRIMARY KEY, checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        current = {
            r["name"]: r["checksum"] for r in await conn.fetch("SELECT * FROM schema_function")
        }
        for function in functions():
            if current.get(function.name) == function.checksum:
                continue
            async with conn.transaction():
                await conn.execute(function.sql)
                await conn.execute(
                    """INSERT INTO schema_function (name, checksum) VALUES ($1, $2)
                       ON CONFLICT (name) DO UPDATE SET checksum = $2, applied_at = now()""",
                    function.name,
                    function.checksum,
                )
            done.append(f"functions/{function.name}")
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)


async def pending(pool: asyncpg.Pool) -> list[str]:
    """Migrations not applied yet (readiness: the schema is current when this is empty)."""
    exists = await pool.fetchval("SELECT to_regclass('schema_migration') IS NOT NULL")
    applied = set()
    if exists:
        applied = {r["version"] for r in await pool.fetch("SELECT version FROM schema_migration")}
    current: dict[str, str] = {}
    if await pool.fetchval("SELECT to_regclass('schema_function') IS NOT NULL"):
        current = {
            r["name"]: r["checksum"] for r in await pool.fetch("SELECT * FROM schema_function")
        }
    return [m.name for m in available() if m.version not in applied] + [
        f"functions/{f.name}" for f in functions() if current.get(f.name) != f.checksum
    ]
