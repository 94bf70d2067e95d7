"""The `luckydraw` command line, run as an operator would, against the test database."""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import asyncpg
import pytest
import yaml

from app.bootstrap import Core
from app.settings import Settings
from core.model import Channel
from db.migrate import functions, migrate, pending
from db.pool import create_pool, on_database
from tests.helpers import campaign_data, spec, sure_win


def cli_env(settings: Settings) -> dict[str, str]:
    return os.environ | {
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "REDIS_PREFIX": settings.redis_prefix,
        "DEFAULT_REGION": "HK",
        "LOG_FORMAT": "console",
    }


def luckydraw(
    settings: Settings, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=cli_env(settings) | (env or {}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_campaign_create_from_yaml_then_list_and_stats(
    services: Core, settings: Settings, tmp_path: Path
) -> None:
    data = sure_win(starts_at="2026-01-01T00:00:00+08:00", ends_at="2099-01-01T00:00:00+08:00")
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(data))
    created = await asyncio.to_thread(luckydraw, settings, "campaign", "create", str(path))
    assert created.returncode == 0, created.stderr
    assert "keyword WINTER" in created.stdout
    listed = await asyncio.to_thread(luckydraw, settings, "campaign", "list")
    assert "WINTER" in listed.stdout
    assert "active" in listed.stdout
    campaign_id = await services.pool.fetchval("SELECT id FROM campaign")
    stats = await asyncio.to_thread(
        luckydraw, settings, "campaign", "stats", str(campaign_id), "--json"
    )
    assert json.loads(stats.stdout)["draws"] == 0


async def test_campaign_stats_is_a_readable_table_of_prizes(
    services: Core, settings: Settings
) -> None:
    campaign = await services.campaigns.create(spec(sure_win()))
    await services.draws.draw("+85291234567", Channel.SMS)

    stats = await asyncio.to_thread(luckydraw, settings, "campaign", "stats", str(campaign.id))

    assert stats.returncode == 0, stats.stderr
    lines = stats.stdout.splitlines()
    # "today" is the CLI's real day; the draw happened on the tests' clock
    assert lines[0] == f"campaign {campaign.id}: 1 draws (0 today), 1 wins"
    assert re.fullmatch(
        r"prize +issued today +released today +daily quota +issued +total quota +redeemed",
        lines[1],
    )
    row = next(line for line in lines if "Free Coffee" in line)
    counts = re.findall(r"[\d,]+", row)
    del counts[1]  # released today: depends on the real day, inside the campaign or not
    assert counts == ["0", "1,000", "1", "1,000", "0"]


def test_shell_completion_is_available() -> None:
    # What `--show-completion` prints for bash, asked as bash's completion asks: the flag itself
    # detects the calling shell (`make`'s sh is refused), so it cannot be pinned here.
    script = subprocess.run(
        [str(Path(sys.executable).parent / "luckydraw")],
        env={**os.environ, "_LUCKYDRAW_COMPLETE": "source_bash"},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    assert "_LUCKYDRAW_COMPLETE=complete_bash" in script


async def test_a_json_campaign_file_works_too(
    services: Core, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "campaign.json"
    path.write_text(json.dumps(campaign_data()))
    created = await asyncio.to_thread(luckydraw, settings, "campaign", "create", str(path))
    assert created.returncode == 0, created.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (json.dumps(campaign_data(timezone="Nowhere/Land")), "field: timezone"),
        (
            yaml.safe_dump(campaign_data(prizes=[{"name": "X", "probability": 2}])),
            "field: prizes.0.probability",
        ),
        ("name: [unclosed", "not valid YAML or JSON"),
        ("- just\n- a list\n", "mapping"),
    ],
)
async def test_a_bad_campaign_file_is_refused_with_a_clear_message_and_nothing_written(
    services: Core, settings: Settings, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    result = await asyncio.to_thread(luckydraw, settings, "campaign", "create", str(path))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert await services.pool.fetchval("SELECT count(*) FROM campaign") == 0


async def test_staff_add_list_and_remove_read_local_numbers_in_the_default_region(
    services: Core, settings: Settings
) -> None:
    added = await asyncio.to_thread(
        luckydraw, settings, "staff", "add", "6123 4567", "--name", "Ann"
    )
    assert "+85261234567" in added.stdout
    listed = await asyncio.to_thread(luckydraw, settings, "staff", "list")
    assert "+85261234567  Ann" in listed.stdout
    removed = await asyncio.to_thread(luckydraw, settings, "staff", "remove", "+852 6123 4567")
    assert removed.returncode == 0
    again = await asyncio.to_thread(luckydraw, settings, "staff", "remove", "+852 6123 4567")
    assert again.returncode == 2
    assert "not staff" in again.stderr


async def test_migrations_started_three_times_at_once_apply_each_file_once(
    server_urls: tuple[str, str],
) -> None:
    name = f"ld_migrate_race_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(server_urls[0])
    await admin.execute(f'CREATE DATABASE "{name}"')
    pools = [await create_pool(on_database(server_urls[0], name), min_size=1) for _ in range(3)]
    try:
        applied = await asyncio.gather(*(migrate(p) for p in pools))
        assert sorted(len(a) for a in applied)[-1] > 0
        assert sum(len(a) for a in applied) == max(len(a) for a in applied)
        rows = await pools[0].fetchval(
            "SELECT (SELECT count(*) FROM schema_migration)"
            " + (SELECT count(*) FROM schema_function)"
        )
        assert rows == max(len(a) for a in applied)
        assert await migrate(pools[0]) == []
    finally:
        for pool in pools:
            await pool.close()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def test_a_changed_function_file_is_applied_again_and_only_then(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = await create_pool(database_url, min_size=1)
    try:
        assert await migrate(pool) == []
        draw = next(f for f in functions() if f.name == "draw.sql")
        changed = replace(draw, sql=draw.sql.replace("SELECT 512", "SELECT 511"))
        monkeypatch.setattr(
            "db.migrate.functions",
            lambda: [changed if f.name == draw.name else f for f in functions()],
        )
        assert await pending(pool) == ["functions/draw.sql"]
        assert await migrate(pool) == ["functions/draw.sql"]
        assert await pool.fetchval("SELECT ld_slot_batch()") == 511
        assert await migrate(pool) == []
    finally:
        monkeypatch.undo()
        await migrate(pool)
        await pool.close()


async def test_read_only_commands_never_migrate_and_say_how_to(
    settings: Settings, server_urls: tuple[str, str]
) -> None:
    name = f"ld_unmigrated_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(server_urls[0])
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        fresh = settings.model_copy(update={"database_url": on_database(server_urls[0], name)})
        for command in (("campaign", "list"), ("staff", "list"), ("outbox", "stats")):
            result = await asyncio.to_thread(luckydraw, fresh, *command)
            assert result.returncode == 2, command
            assert "run `luckydraw migrate` first" in result.stderr
            assert "Traceback" not in result.stderr
        pool = await create_pool(on_database(server_urls[0], name), min_size=1)
        try:
            assert await pool.fetchval("SELECT to_regclass('schema_migration')") is None
        finally:
            await pool.close()
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def test_serve_refuses_a_webhook_without_a_secret_in_one_sentence(
    settings: Settings,
) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": "123456789:AAE-test-token",
        "TELEGRAM_WEBHOOK_SECRET": "",
        "PORT": "0",
    }
    served = await asyncio.to_thread(luckydraw, settings, "serve", env=env)
    assert served.returncode == 2
    assert served.stderr.strip() == (
        "error: TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET: 1-256 characters of "
        "A-Z a-z 0-9 _ - (for example the output of `openssl rand -hex 32`)."
    )


@pytest.mark.parametrize("token", ["change-me", "short-but-not-a-placeholder", "x" * 31])
async def test_serve_refuses_a_weak_admin_token_outside_local_use(
    settings: Settings, token: str
) -> None:
    env = {"ADMIN_TOKEN": token, "PORT": "0"}
    served = await asyncio.to_thread(luckydraw, settings, "serve", env=env)
    assert served.returncode == 2
    assert served.stderr.strip() == (
        "error: ADMIN_TOKEN must be at least 32 random characters and not a placeholder "
        "(for example the output of `openssl rand -hex 32`)."
    )


@pytest.mark.parametrize(
    ("env", "shortest"),
    [
        ({"OUTBOX_LEASE_SECONDS": "14", "TWILIO_TIMEOUT_SECONDS": "5"}, "15"),
        ({"OUTBOX_LEASE_SECONDS": "30", "TELEGRAM_BOT_TOKEN": "123456789:AAE-test-token",
          "TELEGRAM_WEBHOOK_SECRET": "s3cret"}, "35"),
    ],
)  # fmt: skip
async def test_serve_refuses_a_lease_shorter_than_the_slowest_send(
    settings: Settings, env: dict[str, str], shortest: str
) -> None:
    served = await asyncio.to_thread(luckydraw, settings, "serve", env=env | {"PORT": "0"})
    assert served.returncode == 2
    assert served.stderr.strip() == (
        f"error: OUTBOX_LEASE_SECONDS must be at least {shortest}: a claim must outlive the "
        "send-slot horizon (10 s) plus the slowest send's timeout."
    )
