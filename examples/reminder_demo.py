"""Make `make run` print a reminder within a couple of minutes (console SMS backend).

A reminder goes to someone who played a campaign on an earlier day and texted us, so this
records such a customer (who "texted DRAW yesterday") in the first open campaign and moves
that campaign's reminder_time to a minute or two from now, in the campaign's zone. Run it
while `make run` is up; it uses DATABASE_URL, or the embedded server `make run` started
(which it leaves running).

    .venv/bin/python -m examples.reminder_demo [--phone +12125551234] [--minutes 1]
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from app import devservers
from app.settings import Settings
from core.draw import local_day
from core.phone import parse_phone
from core.quiet_hours import send_window


async def prepare(settings: Settings, phone: str, minutes: int) -> str:
    url = settings.database_url or devservers.start_postgres(settings.data_dir.resolve()).url
    conn = await asyncpg.connect(url)
    try:
        campaign = await conn.fetchrow(
            """SELECT id, keyword, timezone FROM campaign
                WHERE status = 'active' AND starts_at <= now() AND ends_at > now()
                ORDER BY id LIMIT 1"""
        )
        if campaign is None:
            raise SystemExit("no open campaign: start `make run` first (it seeds one)")
        now = datetime.now(UTC)
        zone = campaign["timezone"]
        due = (now + timedelta(minutes=minutes)).astimezone(ZoneInfo(zone))
        due = due.replace(second=0, microsecond=0)
        async with conn.transaction():
            customer_id = await conn.fetchval(
                """INSERT INTO customer (phone, last_channel, sms_inbound_at, created_at)
                   VALUES ($1, 'sms', $2, $2)
                   ON CONFLICT (phone) DO UPDATE SET last_channel = 'sms', opted_out = false,
                          sms_inbound_at = EXCLUDED.sms_inbound_at
                   RETURNING id""",
                phone,
                now - timedelta(days=1),
            )
            await conn.execute(
                """INSERT INTO draw (campaign_id, customer_id, local_day, channel, created_at)
                   VALUES ($1, $2, $3, 'sms', $4) ON CONFLICT DO NOTHING""",
                campaign["id"],
                customer_id,
                local_day(now, zone) - timedelta(days=1),
                now - timedelta(days=1),
            )
            await conn.execute(
                "UPDATE campaign SET reminder_time = $2 WHERE id = $1",
                campaign["id"],
                due.time().replace(tzinfo=None),
            )
    finally:
        await conn.close()
    window = send_window(due.date(), zone, due.time().replace(tzinfo=None), settings.quiet_hours)
    note = ""
    if window is None or window.opens.astimezone(UTC) > due.astimezone(UTC):
        note = (
            f"\nnote: {due:%H:%M} is inside quiet hours in {zone}: restart with"
            " QUIET_HOURS=00:00-00:00 make run to see it now"
        )
    return (
        f"{phone} played {campaign['keyword']} yesterday; its reminder is due at"
        f" {due:%H:%M} {zone} ({due.astimezone(UTC):%H:%M} UTC): watch `make run`'s output" + note
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--phone", default="+12125551234")
    parser.add_argument("--minutes", type=int, default=1)
    args = parser.parse_args()
    settings = Settings()
    phone = parse_phone(args.phone, settings.default_region)
    print(asyncio.run(prepare(settings, phone, args.minutes)))


if __name__ == "__main__":
    main()
