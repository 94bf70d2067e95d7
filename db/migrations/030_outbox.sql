-- The outbox: every message the service sends on its own (reminders, coupon codes, expiry
-- notices), as rows claimed with FOR UPDATE SKIP LOCKED. Inline replies are recorded where
-- they are made: sms_inbound (010) for texts, draw and coupon rows for draws.
--
-- status: pending (waits for next_attempt_at) -> sending (claimed until claimed_until; a
-- claim past its lease is taken again) -> sent | dead (gave up after N attempts) | skipped
-- (deliberately not sent: opted out, blocked, quiet hours began, already played...).

CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    customer_id     bigint NOT NULL REFERENCES customer,
    channel         text NOT NULL CHECK (channel IN ('sms', 'telegram')),
    kind            text NOT NULL CHECK (kind IN ('reminder', 'coupon', 'expiry_notice')),
    body            text NOT NULL,
    campaign_id     bigint REFERENCES campaign,
    coupon_id       bigint REFERENCES coupon,
    local_day       date,          -- reminders: the campaign-local day they are for
    dedupe_key      text UNIQUE,   -- coupon:<id>, expiry:<id>
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'dead', 'skipped')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    not_after       timestamptz,   -- quiet hours begin (or the day ends): skipped if not sent
    claimed_until   timestamptz,
    claim_token     uuid,
    provider_id     text,
    last_error      text,
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz,
    CHECK (kind <> 'reminder' OR (campaign_id IS NOT NULL AND local_day IS NOT NULL)),
    CHECK (kind NOT IN ('coupon', 'expiry_notice') OR coupon_id IS NOT NULL)
);
-- However many instances enqueue, one reminder per customer, campaign and local day.
CREATE UNIQUE INDEX outbox_reminder_once
    ON outbox (customer_id, campaign_id, local_day, kind) WHERE kind = 'reminder';
CREATE INDEX outbox_due ON outbox (channel, next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_leased ON outbox (channel, claimed_until) WHERE status = 'sending';
CREATE INDEX outbox_dead ON outbox (id) WHERE status = 'dead';

-- The send rate per channel, shared by every instance: each claim reserves send slots
-- after next_slot.
CREATE TABLE outbox_pace (
    channel   text PRIMARY KEY,
    next_slot timestamptz NOT NULL
);

-- Expiry notices look up unredeemed coupons by campaign and expiry.
CREATE INDEX coupon_campaign_expiry ON coupon (campaign_id, expires_at) WHERE redeemed_at IS NULL;

-- The channel a customer is reached on: the one they used last. An admin API draw or a
-- terminal chat says nothing about their phone: such customers get Telegram when their
-- account is linked (never after a terminal chat, which is SMS), else SMS.
CREATE FUNCTION ld_reach_channel(p_last_channel text, p_telegram_user bigint)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_last_channel IN ('sms', 'telegram') THEN p_last_channel
                WHEN p_last_channel IS DISTINCT FROM 'chat' AND p_telegram_user IS NOT NULL
                    THEN 'telegram'
                ELSE 'sms' END
$$;

-- Whether anything may be queued for a customer on a channel at all (sending checks again).
CREATE FUNCTION ld_reachable(p_opted_out boolean, p_channel text, p_telegram_user bigint,
                             p_telegram_blocked_at timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT NOT p_opted_out
       AND NOT (p_channel = 'telegram'
                AND (p_telegram_user IS NULL OR p_telegram_blocked_at IS NOT NULL))
$$;
