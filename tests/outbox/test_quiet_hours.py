"""Quiet hours (21:00-09:00 local by default) in the campaign's own zone, DST included."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from hypothesis import given
from hypothesis import strategies as st

from app.bootstrap import Core
from core.model import Channel
from core.ports import Sender
from core.quiet_hours import send_window
from tests.conftest import FakeClock
from tests.fakes.twilio_api import FakeTwilio
from tests.helpers import campaign_data, spec
from tests.outbox.conftest import dispatcher, outbox_rows, reminders, sms_player

HK_PLAYER = "+85291230001"
NY_PLAYER = "+12125550123"


def new_york(**overrides: str) -> dict[str, object]:
    return campaign_data(
        timezone="America/New_York",
        starts_at="2026-01-01T00:00:00-05:00",
        ends_at="2026-12-31T00:00:00-05:00",
        **overrides,
    )


async def test_a_reminder_due_in_quiet_hours_waits_for_nine_in_hong_kong(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    await services.campaigns.create(spec(campaign_data(reminder_time="07:30")))
    clock.set(datetime(2026, 12, 10, 0, 59, tzinfo=UTC))  # 08:59 in Hong Kong
    await sms_player(services, clock, HK_PLAYER)
    assert (await reminders(services).tick()).reminders == 0
    assert fake_twilio.messages == []

    clock.set(datetime(2026, 12, 10, 1, 0, tzinfo=UTC))  # 09:00
    assert (await reminders(services).tick()).reminders == 1
    await dispatcher(services, senders).tick()
    assert [m.to for m in fake_twilio.messages] == [HK_PLAYER]


async def test_a_reminder_due_after_quiet_hours_begin_is_skipped_for_the_day(
    services: Core, clock: FakeClock
) -> None:
    await services.campaigns.create(spec(campaign_data(reminder_time="22:00")))
    await sms_player(services, clock, HK_PLAYER)
    for hour_utc in (13, 14, 15, 23):  # 21:00, 22:00, 23:00 and 07:00 next day in Hong Kong
        clock.set(datetime(2026, 12, 10, hour_utc, 5, tzinfo=UTC))
        assert (await reminders(services).tick()).reminders == 0


async def test_a_reminder_not_sent_before_quiet_hours_begin_is_never_sent(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    await services.campaigns.create(spec(campaign_data(reminder_time="20:30")))
    clock.set(datetime(2026, 12, 10, 12, 30, tzinfo=UTC))  # 20:30 in Hong Kong
    await sms_player(services, clock, HK_PLAYER)
    assert (await reminders(services).tick()).reminders == 1

    clock.set(datetime(2026, 12, 10, 13, 0, tzinfo=UTC))  # 21:00: the dispatcher was late
    assert await dispatcher(services, senders).tick() == {"skipped": 1}
    assert fake_twilio.messages == []
    (row,) = await outbox_rows(services)
    assert row["last_error"] == "quiet hours began"


async def test_new_york_reminders_follow_local_time_across_the_spring_dst_change(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    await services.campaigns.create(spec(new_york(reminder_time="08:00")))  # in quiet hours
    # Saturday 7 March 2026 is still EST (UTC-5): quiet hours end at 14:00 UTC.
    clock.set(datetime(2026, 3, 7, 13, 59, tzinfo=UTC))
    await sms_player(services, clock, NY_PLAYER)
    assert (await reminders(services).tick()).reminders == 0
    clock.set(datetime(2026, 3, 7, 14, 0, tzinfo=UTC))
    assert (await reminders(services).tick()).reminders == 1
    await dispatcher(services, senders).tick()

    # Sunday 8 March clocks spring forward (EDT, UTC-4): 09:00 local is 13:00 UTC.
    clock.set(datetime(2026, 3, 8, 12, 59, tzinfo=UTC))
    assert (await reminders(services).tick()).reminders == 0
    clock.set(datetime(2026, 3, 8, 13, 0, tzinfo=UTC))
    assert (await reminders(services).tick()).reminders == 1
    await dispatcher(services, senders).tick()

    rows = await outbox_rows(services)
    assert [r["local_day"].isoformat() for r in rows] == ["2026-03-07", "2026-03-08"]
    assert [r["next_attempt_at"].hour for r in rows] == [14, 13]
    assert [r["not_after"] for r in rows] == [
        datetime(2026, 3, 8, 2, 0, tzinfo=UTC),  # 21:00 EST
        datetime(2026, 3, 9, 1, 0, tzinfo=UTC),  # 21:00 EDT
    ]
    assert [m.to for m in fake_twilio.messages] == [NY_PLAYER, NY_PLAYER]


async def test_new_york_reminders_fire_once_on_the_autumn_dst_change(
    services: Core, clock: FakeClock, senders: dict[Channel, Sender], fake_twilio: FakeTwilio
) -> None:
    await services.campaigns.create(spec(new_york(reminder_time="10:00")))
    clock.set(datetime(2026, 11, 1, 14, 30, tzinfo=UTC))  # 09:30 EST, the day clocks fell back
    await sms_player(services, clock, NY_PLAYER)
    assert (await reminders(services).tick()).reminders == 0
    for minute in (0, 1, 30):  # ticks keep running: the reminder is still enqueued once
        clock.set(datetime(2026, 11, 1, 15, minute, tzinfo=UTC))
        await reminders(services).tick()
        await dispatcher(services, senders).tick()
    assert [m.to for m in fake_twilio.messages] == [NY_PLAYER]


def _quiet(start: time, end: time, moment: time) -> bool:
    if start == end:
        return False
    if start > end:
        return moment >= start or moment < end
    return start <= moment < end


@given(
    start=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    end=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    due=st.times().map(lambda t: t.replace(microsecond=0)),
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    zone=st.sampled_from(["Asia/Hong_Kong", "America/New_York", "Europe/London"]),
)
def test_a_send_window_never_opens_inside_quiet_hours_nor_before_the_due_time(
    start: time, end: time, due: time, day: date, zone: str
) -> None:
    window = send_window(day, zone, due, (start, end))
    if window is None:  # only when quiet hours run from the due time to midnight
        assert _quiet(start, end, due)
        return
    # The wall-clock time asked for (zoneinfo maps one inside a DST gap forward).
    opens = window.opens.time()
    assert window.opens.date() == day
    assert opens >= due
    assert not _quiet(start, end, opens)
    assert window.opens < window.closes
