"""`luckydraw chat PHONE` driven through a pipe: the same conversation as texting in."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.bootstrap import Core
from app.settings import Settings
from tests.helpers import spec, sure_win

ROOT = Path(__file__).resolve().parents[2]
PHONE = "+85291234567"


async def chat(settings: Settings, phone: str, lines: str) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "REDIS_PREFIX": settings.redis_prefix,
        "DEFAULT_REGION": settings.default_region,
        "SMS_BACKEND": "console",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "chat",
        phone,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    out, err = await asyncio.wait_for(process.communicate(lines.encode()), timeout=60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_a_chat_session_through_a_pipe_answers_like_sms(
    services: Core, settings: Settings
) -> None:
    now = datetime.now(UTC)  # the subprocess runs on the real clock
    await services.campaigns.create(
        spec(
            sure_win(
                valid_days=7,
                starts_at=(now - timedelta(days=1)).isoformat(),
                ends_at=(now + timedelta(days=30)).isoformat(),
            )
        )
    )
    code, out, err = await chat(settings, "9123 4567", "help\nDRAW\n\ndraw\nLANG 中文\nwhat?\n")
    assert code == 0, err
    replies = out.strip().split("\n")
    assert replies[0].startswith("Winter Lucky Draw: text DRAW once a day")
    assert replies[1].startswith("You won Free Coffee in Winter Lucky Draw! Your code: ")
    assert replies[2].startswith(
        "You already drew today in Winter Lucky Draw and won Free Coffee: code "
    )
    assert replies[3] == "好的，之後會以繁體中文回覆。"
    assert replies[4].startswith("不明白你的訊息。")
    assert len(replies) == 5
    drew = await services.pool.fetchrow("SELECT channel FROM draw")
    assert drew is not None
    assert drew["channel"] == "chat"
    customer = await services.customers.get(PHONE)
    assert customer is not None
