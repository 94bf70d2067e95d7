-- Campaigns, prizes and their quota counters, customers, draws, coupons, staff, redemptions.

CREATE TABLE campaign (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL,
    keyword       text NOT NULL CHECK (keyword ~ '^[A-Z0-9]{2,16}$'),
    timezone      text NOT NULL,
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    reminder_time time,
    language      text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'zh-Hant')),
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'ended')),
    created_at    timestamptz NOT NULL,
    CHECK (starts_at < ends_at)
);
CREATE INDEX campaign_keyword ON campaign (keyword);

CREATE TABLE prize (
    id          bigserial PRIMARY KEY,
    campaign_id bigint NOT NULL REFERENCES campaign ON DELETE CASCADE,
    position    int NOT NULL,
    name        text NOT NULL,
    probability double precision NOT NULL CHECK (probability BETWEEN 0 AND 1),
    total_quota int NOT NULL CHECK (total_quota > 0),
    daily_quota int NOT NULL CHECK (daily_quota > 0 AND daily_quota <= total_quota),
    valid_days  int NOT NULL CHECK (valid_days > 0),
    -- Slots made so far, net of unclaimed ones given back: coupons can never outnumber it.
    created     int NOT NULL DEFAULT 0 CHECK (created BETWEEN 0 AND total_quota),
    UNIQUE (campaign_id, position)
);

-- Slots made per prize per campaign-local day (never the server's date).
CREATE TABLE prize_day (
    prize_id bigint NOT NULL REFERENCES prize ON DELETE CASCADE,
    day      date NOT NULL,
    quota    int NOT NULL,
    created  int NOT NULL CHECK (created BETWEEN 0 AND quota),
    PRIMARY KEY (prize_id, day)
);

-- Unclaimed units of a prize's quota for one day. A winner deletes one with SKIP LOCKED, so
-- concurrent winners lock different rows instead of queueing on one counter (the hot row).
CREATE TABLE prize_slot (
    id       bigserial PRIMARY KEY,
    prize_id bigint NOT NULL REFERENCES prize ON DELETE CASCADE,
    day      date NOT NULL
);
CREATE INDEX prize_slot_prize_day ON prize_slot (prize_id, day);

CREATE TABLE customer (
    id               bigserial PRIMARY KEY,
    phone            text NOT NULL UNIQUE CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    language         text CHECK (language IN ('en', 'zh-Hant')),
    opted_out        boolean NOT NULL DEFAULT false,
    telegram_user_id bigint UNIQUE,
    last_channel     text,
    sms_inbound_at   timestamptz,  -- they texted us: the only numbers we may text (anti-pumping)
    created_at       timestamptz NOT NULL
);

-- Consent evidence: every opt-out and opt-in, when and how.
CREATE TABLE consent_event (
    id          bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customer,
    opted_out   boolean NOT NULL,
    source      text NOT NULL,
    at          timestamptz NOT NULL
);

CREATE TABLE draw (
    id              bigserial PRIMARY KEY,
    campaign_id     bigint NOT NULL REFERENCES campaign,
    customer_id     bigint NOT NULL REFERENCES customer,
    local_day       date NOT NULL,
    channel         text NOT NULL,
    request_id      text UNIQUE,
    picked_prize_id bigint REFERENCES prize,
    created_at      timestamptz NOT NULL,
    UNIQUE (campaign_id, customer_id, local_day)
);
CREATE INDEX draw_campaign_day ON draw (campaign_id, local_day);
CREATE INDEX draw_customer ON draw (customer_id, created_at);

CREATE TABLE coupon (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    draw_id     bigint UNIQUE REFERENCES draw,
    campaign_id bigint NOT NULL REFERENCES campaign,
    prize_id    bigint NOT NULL REFERENCES prize,
    customer_id bigint NOT NULL REFERENCES customer,
    issued_at   timestamptz NOT NULL,
    issued_day  date NOT NULL,
    expires_at  timestamptz NOT NULL,
    redeemed_at timestamptz,
    redeemed_by text
);
CREATE INDEX coupon_customer ON coupon (customer_id, expires_at);
CREATE INDEX coupon_prize_day ON coupon (prize_id, issued_day);

CREATE TABLE staff (
    phone    text PRIMARY KEY CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    name     text,
    added_at timestamptz NOT NULL
);

-- Every redemption attempt: who, when, what they typed, and the answer.
CREATE TABLE redemption_attempt (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    staff_phone text NOT NULL,
    text        text NOT NULL,
    code        text,
    coupon_id   bigint REFERENCES coupon,
    status      text NOT NULL,
    request_id  text UNIQUE
);
CREATE INDEX redemption_attempt_staff ON redemption_attempt (staff_phone, at);
