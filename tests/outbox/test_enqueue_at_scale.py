"""One reminder tick for a very large campaign: one set-based statement does it all."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.bootstrap import Core
from tests.conftest import FakeClock
from tests.helpers import campaign_data, spec
from tests.outbox.conftest import reminders

PLAYERS = 100_000


async def test_one_tick_enqueues_a_reminder_for_each_of_100_000_players(
    services: Core, clock: FakeClock
) -> None:
    campaign = await services.campaigns.create(spec(campaign_data(reminder_time="10:00")))
    clock.set(datetime(2026, 12, 10, 2, 0, tzinfo=UTC))  # 10:00 in Hong Kong
    await services.pool.execute(
        """INSERT INTO customer (phone, last_channel, created_at, sms_inbound_at)
           SELECT '+8529' || lpad(g::text, 7, '0'), 'sms', $1, $1
             FROM generate_series(1, $2) g""",
        clock.now,
        PLAYERS,
    )
    # Everyone played yesterday; one in ten played today too and gets no reminder.
    await services.pool.execute(
        """INSERT INTO draw (campaign_id, customer_id, local_day, channel, created_at)
           SELECT $1, id, day, 'sms', $2 FROM customer,
                  LATERAL (VALUES ($3::date), ($4::date)) AS d (day)
            WHERE day = $3 OR id % 10 = 0""",
        campaign.id,
        clock.now,
        date(2026, 12, 9),
        date(2026, 12, 10),
    )

    assert (await reminders(services).tick()).reminders == PLAYERS * 9 // 10
    assert (await reminders(services).tick()).reminders == 0
