-- Re-applied whenever this file changes (db/migrate.py): edit the definitions here, in place.
-- A change of arguments or result columns needs a DROP FUNCTION IF EXISTS of the old one first.
DROP FUNCTION IF EXISTS ld_claim_slot(bigint, date);
DROP FUNCTION IF EXISTS ld_draw(bigint, text, date, text, text, bigint, text, timestamptz,
                                timestamptz);

-- A draw in one round trip: everything is decided beforehand (band, code, expiry, day);
-- this records it atomically, or answers with what was recorded first.

DROP FUNCTION IF EXISTS ld_recorded_draw(text, text, bigint, bigint, date);

-- The draw a request id (or a customer's day) already recorded, as ld_draw answers it.
-- A request id replays only for the same campaign and phone: ids come from callers (admin
-- API) and from Telegram, whose update ids may restart.
CREATE OR REPLACE FUNCTION ld_recorded_draw(p_draw_where text, p_key text, p_campaign bigint,
                                 p_customer bigint, p_day date, p_phone text)
RETURNS TABLE (status text, kind text, first_request text, prize_name text, code text,
               expires_at timestamptz, language text)
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN c.id IS NOT NULL THEN 'won'
                WHEN d.win_capped THEN 'win_capped'
                WHEN d.picked_prize_id IS NOT NULL THEN 'sold_out'
                ELSE 'no_prize' END,
           p_draw_where, d.request_id, p.name, c.code, c.expires_at, cu.language
      FROM draw d
      JOIN customer cu ON cu.id = d.customer_id
      LEFT JOIN coupon c ON c.draw_id = d.id
      LEFT JOIN prize p ON p.id = c.prize_id
     WHERE CASE WHEN p_draw_where = 'replayed'
                THEN d.request_id = p_key AND d.campaign_id = p_campaign AND cu.phone = p_phone
                ELSE d.campaign_id = p_campaign AND d.customer_id = p_customer
                     AND d.local_day = p_day END
$$;

-- Slots made per refill: large enough that refills (which lock the prize row) are rare.
CREATE OR REPLACE FUNCTION ld_slot_batch() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 512';

-- When a paced prize's units of a local day are released: over the campaign's open hours
-- that day, within its dates (a campaign starting at 15:00 releases its first day from 15:00).
-- Local wall times go through the campaign's zone, so a DST day is 23 or 25 hours long.
CREATE OR REPLACE FUNCTION ld_release_window(p_campaign bigint, p_day date,
                                             OUT opens timestamptz, OUT closes timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT greatest((p_day + make_interval(mins => c.open_from)) AT TIME ZONE c.timezone,
                    c.starts_at),
           least((p_day + make_interval(mins => c.open_until)) AT TIME ZONE c.timezone,
                 c.ends_at)
      FROM campaign c WHERE c.id = p_campaign
$$;

-- A uniform value in [0, 1) from PostgreSQL's strong random source (a v4 UUID's first 32
-- bits are random): the instants of "winning moments" cannot be guessed.
CREATE OR REPLACE FUNCTION ld_strong_uniform() RETURNS double precision
LANGUAGE sql VOLATILE AS $$
    SELECT ('x' || substr(gen_random_uuid()::text, 1, 8))::bit(32)::bigint / 4294967296.0
$$;

-- Claim one released unit of a prize's quota for a local day: 'won', 'sold_out', or
-- 'not_released' (a paced prize whose next unit's instant has not come yet).
-- Slots are made in batches, never more than the day's units and the total quota allow, by one
-- maker at a time (the prize row lock); claims themselves never wait for each other.
-- A paced prize's unit k of the day's n gets a random instant in the k-th equal slice of the
-- release window, so instants rise with k: while any made slot is unreleased, no unit that is
-- not made yet can be released either, and the next batch is made only once none is left.
CREATE OR REPLACE FUNCTION ld_claim_slot(p_prize bigint, p_day date, p_now timestamptz)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_prize      prize%ROWTYPE;
    v_day        prize_day%ROWTYPE;
    v_given_back int;
    v_make       int;
    v_opens      timestamptz;
    v_closes     timestamptz;
    v_refusal    text;
BEGIN
    DELETE FROM prize_slot WHERE id = (
        SELECT id FROM prize_slot
         WHERE prize_id = p_prize AND day = p_day AND released_at <= p_now
         LIMIT 1 FOR UPDATE SKIP LOCKED);
    IF FOUND THEN RETURN 'won'; END IF;

    -- Refusals without taking any lock: the common answers once released units are gone.
    PERFORM 1 FROM prize_slot WHERE prize_id = p_prize AND day = p_day AND released_at > p_now;
    IF FOUND THEN
        v_refusal := 'not_released';
    ELSE
        SELECT * INTO v_prize FROM prize WHERE id = p_prize;
        SELECT * INTO v_day FROM prize_day WHERE prize_id = p_prize AND day = p_day;
        IF (FOUND AND v_day.created >= v_day.quota)
           OR (v_prize.created >= v_prize.total_quota
               AND NOT EXISTS (SELECT 1 FROM prize_slot WHERE prize_id = p_prize AND day < p_day))
        THEN
            v_refusal := 'sold_out';
        END IF;
    END IF;
    IF v_refusal IS NOT NULL THEN
        -- Each statement reads the latest commits: a maker that committed after the first
        -- look but before these reads left slots that look missed (a day's first wins on two
        -- workers at once). Look once more before refusing.
        DELETE FROM prize_slot WHERE id = (
            SELECT id FROM prize_slot
             WHERE prize_id = p_prize AND day = p_day AND released_at <= p_now
             LIMIT 1 FOR UPDATE SKIP LOCKED);
        IF FOUND THEN RETURN 'won'; END IF;
        RETURN v_refusal;
    END IF;

    -- NO KEY UPDATE: draws and coupons referencing the prize (KEY SHARE) need not wait.
    SELECT * INTO v_prize FROM prize WHERE id = p_prize FOR NO KEY UPDATE;
    -- Taken out of its campaign by an edit (which deleted its unclaimed slots too).
    IF v_prize.removed_at IS NOT NULL THEN RETURN 'sold_out'; END IF;
    -- A maker we waited for may have left slots.
    DELETE FROM prize_slot WHERE id = (
        SELECT id FROM prize_slot
         WHERE prize_id = p_prize AND day = p_day AND released_at <= p_now
         LIMIT 1 FOR UPDATE SKIP LOCKED);
    IF FOUND THEN RETURN 'won'; END IF;
    PERFORM 1 FROM prize_slot WHERE prize_id = p_prize AND day = p_day AND released_at > p_now;
    IF FOUND THEN RETURN 'not_released'; END IF;

    -- Slots of past days that nobody won go back to the total.
    WITH given_back AS (
        DELETE FROM prize_slot WHERE id IN (
            SELECT id FROM prize_slot WHERE prize_id = p_prize AND day < p_day
               FOR UPDATE SKIP LOCKED)
        RETURNING 1)
    SELECT count(*) INTO v_given_back FROM given_back;

    SELECT w.opens, w.closes INTO v_opens, v_closes
      FROM ld_release_window(v_prize.campaign_id, p_day) w;
    -- The day's units: its daily quota, as far as the total allows; none for a paced prize on
    -- a day with no open hours inside the campaign's dates.
    INSERT INTO prize_day (prize_id, day, quota, created)
    VALUES (p_prize, p_day,
            CASE WHEN v_prize.pacing = 'even' AND v_opens >= v_closes THEN 0
                 ELSE least(v_prize.daily_quota,
                            v_prize.total_quota - (v_prize.created - v_given_back)) END,
            0)
    ON CONFLICT DO NOTHING;
    SELECT * INTO v_day FROM prize_day WHERE prize_id = p_prize AND day = p_day;
    v_make := least(ld_slot_batch(), v_day.quota - v_day.created,
                    v_prize.total_quota - (v_prize.created - v_given_back));
    UPDATE prize SET created = created - v_given_back + greatest(v_make, 0) WHERE id = p_prize;
    IF v_make <= 0 THEN RETURN 'sold_out'; END IF;
    UPDATE prize_day SET created = created + v_make WHERE prize_id = p_prize AND day = p_day;

    IF v_prize.pacing = 'none' THEN
        -- This draw keeps the first new slot: make the rest.
        INSERT INTO prize_slot (prize_id, day)
        SELECT p_prize, p_day FROM generate_series(2, v_make);
        RETURN 'won';
    END IF;
    -- The instants are kept for the day's published proof (verifiable draws).
    WITH made AS (
        INSERT INTO prize_slot (prize_id, day, released_at)
        SELECT p_prize, p_day,
               v_opens + (v_closes - v_opens) * ((k - 1 + ld_strong_uniform()) / v_day.quota)
          FROM generate_series(v_day.created + 1, v_day.created + v_make) k
        RETURNING prize_id, day, released_at)
    INSERT INTO prize_release (prize_id, day, released_at) SELECT * FROM made;
    DELETE FROM prize_slot WHERE id = (
        SELECT id FROM prize_slot
         WHERE prize_id = p_prize AND day = p_day AND released_at <= p_now
         LIMIT 1 FOR UPDATE SKIP LOCKED);
    RETURN CASE WHEN FOUND THEN 'won' ELSE 'not_released' END;
END
$$;

-- p_entry, p_u, p_odds: the customer's public entry, the uniform value that picked p_prize and
-- the odds version it was picked with (verifiable draws: the day's published log shows them).
CREATE OR REPLACE FUNCTION ld_draw(p_campaign bigint, p_phone text, p_day date, p_channel text,
                        p_request text, p_entry text, p_u double precision, p_odds text,
                        p_prize bigint, p_code text, p_expires timestamptz, p_now timestamptz)
RETURNS TABLE (status text, kind text, first_request text, prize_name text, code text,
               expires_at timestamptz, language text)
LANGUAGE plpgsql AS $$
DECLARE
    v_customer   bigint;
    v_language   text;
    v_draw       bigint;
    v_prize_name text;
    v_cap        int;
    v_capped     boolean := false;
    v_claim      text;
BEGIN
    IF p_request IS NOT NULL THEN
        RETURN QUERY SELECT * FROM ld_recorded_draw('replayed', p_request, p_campaign, NULL, NULL,
                                                    p_phone);
        IF FOUND THEN RETURN; END IF;
        PERFORM 1 FROM draw d WHERE d.request_id = p_request;
        IF FOUND THEN
            RETURN QUERY SELECT 'conflict', 'new', NULL::text, NULL::text, NULL::text,
                                NULL::timestamptz, NULL::text;
            RETURN;
        END IF;
    END IF;

    SELECT cp.max_wins_per_customer INTO v_cap FROM campaign cp
     WHERE cp.id = p_campaign AND cp.status = 'active'
       AND p_now >= cp.starts_at AND p_now < cp.ends_at;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'closed', 'new', NULL::text, NULL::text, NULL::text,
                            NULL::timestamptz, NULL::text;
        RETURN;
    END IF;

    SELECT cu.id, cu.language INTO v_customer, v_language FROM customer cu WHERE cu.phone = p_phone;
    IF NOT FOUND THEN
        INSERT INTO customer (phone, last_channel, created_at, sms_inbound_at)
        VALUES (p_phone, p_channel, p_now, CASE WHEN p_channel = 'sms' THEN p_now END)
        ON CONFLICT (phone) DO NOTHING RETURNING id INTO v_customer;
        IF v_customer IS NULL THEN  -- a concurrent first contact won the insert
            SELECT cu.id, cu.language INTO v_customer, v_language
              FROM customer cu WHERE cu.phone = p_phone;
        END IF;
    END IF;
    -- Written only when it changes, so the common path leaves the customer row alone.
    UPDATE customer
       SET last_channel = p_channel,
           sms_inbound_at = CASE WHEN p_channel = 'sms' THEN coalesce(sms_inbound_at, p_now)
                                 ELSE sms_inbound_at END
     WHERE id = v_customer
       AND (last_channel IS DISTINCT FROM p_channel
            OR (p_channel = 'sms' AND sms_inbound_at IS NULL));

    -- The win cap: a customer's draws count their wins in turn (the customer row's lock),
    -- so concurrent draws on any channel or day never pass it together.
    IF v_cap IS NOT NULL AND p_prize IS NOT NULL THEN
        PERFORM 1 FROM customer WHERE id = v_customer FOR NO KEY UPDATE;
        SELECT count(*) >= v_cap INTO v_capped
          FROM coupon WHERE customer_id = v_customer AND campaign_id = p_campaign;
    END IF;

    -- Both unique keys at once: (campaign, customer, day) and the request id. A conflict with
    -- a draw still in flight waits for it, then reads what it recorded.
    -- outcome is final here unless the claim below fails (then it says why).
    INSERT INTO draw (campaign_id, customer_id, local_day, channel, request_id, entry, u, odds,
                      picked_prize_id, win_capped, outcome, created_at)
    VALUES (p_campaign, v_customer, p_day, p_channel, p_request, p_entry, p_u, p_odds, p_prize,
            v_capped, CASE WHEN p_prize IS NULL THEN 'no_prize'
                           WHEN v_capped THEN 'win_capped' ELSE 'won' END, p_now)
    ON CONFLICT DO NOTHING
    RETURNING id INTO v_draw;
    IF v_draw IS NULL THEN
        IF p_request IS NOT NULL THEN
            RETURN QUERY SELECT * FROM ld_recorded_draw('replayed', p_request, p_campaign, NULL,
                                                        NULL, p_phone);
            IF FOUND THEN RETURN; END IF;
        END IF;
        RETURN QUERY SELECT * FROM ld_recorded_draw('already', NULL, p_campaign, v_customer, p_day,
                                                    NULL);
        IF FOUND THEN RETURN; END IF;
        -- Only the request id clashed, with another customer's draw committed meanwhile.
        RETURN QUERY SELECT 'conflict', 'new', NULL::text, NULL::text, NULL::text,
                            NULL::timestamptz, NULL::text;
        RETURN;
    END IF;

    IF p_prize IS NULL THEN
        RETURN QUERY SELECT 'no_prize', 'new', p_request, NULL::text, NULL::text,
                            NULL::timestamptz, v_language;
        RETURN;
    END IF;

    IF v_capped THEN
        RETURN QUERY SELECT 'win_capped', 'new', p_request, NULL::text, NULL::text,
                            NULL::timestamptz, v_language;
        RETURN;
    END IF;

    -- One released unit of the day's quota, or none: a lost race is "no prize".
    v_claim := ld_claim_slot(p_prize, p_day, p_now);
    IF v_claim <> 'won' THEN
        UPDATE draw SET outcome = v_claim WHERE id = v_draw;
        RETURN QUERY SELECT v_claim, 'new', p_request, NULL::text, NULL::text,
                            NULL::timestamptz, v_language;
        RETURN;
    END IF;
    SELECT pz.name INTO v_prize_name FROM prize pz WHERE pz.id = p_prize;

    -- A duplicate code raises unique_violation on coupon_code_key: the caller draws a new one.
    INSERT INTO coupon (code, draw_id, campaign_id, prize_id, customer_id, issued_at, issued_day,
                        expires_at)
    VALUES (p_code, v_draw, p_campaign, p_prize, v_customer, p_now, p_day, p_expires);
    RETURN QUERY SELECT 'won', 'new', p_request, v_prize_name, p_code, p_expires, v_language;
END
$$;

-- Group commit: the draws waiting in one process, in one call and one commit. Each element
-- is ld_draw in a subtransaction of its own, so a failing one (a coupon code taken, a
-- deadlock with another batch) is rolled back alone and reported by its SQLSTATE; the caller
-- sends it again alone. Two draws of one customer on one day in the same batch: the second
-- sees the first's row and answers 'already'. One row per element, in order.
CREATE OR REPLACE FUNCTION ld_draw_batch(p_campaign bigint[], p_phone text[], p_day date[],
                        p_channel text[], p_request text[], p_entry text[],
                        p_u double precision[], p_odds text[], p_prize bigint[], p_code text[],
                        p_expires timestamptz[], p_now timestamptz[])
RETURNS TABLE (status text, kind text, first_request text, prize_name text, code text,
               expires_at timestamptz, language text, error text)
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR k IN 1 .. cardinality(p_phone) LOOP
        BEGIN
            SELECT * INTO STRICT r
              FROM ld_draw(p_campaign[k], p_phone[k], p_day[k], p_channel[k], p_request[k],
                           p_entry[k], p_u[k], p_odds[k], p_prize[k], p_code[k],
                           p_expires[k], p_now[k]) d;
            status := r.status; kind := r.kind; first_request := r.first_request;
            prize_name := r.prize_name; code := r.code; expires_at := r.expires_at;
            language := r.language; error := NULL;
        EXCEPTION WHEN OTHERS THEN  -- not query_canceled: a cancel still ends the batch
            status := NULL; kind := NULL; first_request := NULL; prize_name := NULL;
            code := NULL; expires_at := NULL; language := NULL; error := SQLSTATE;
        END;
        RETURN NEXT;
    END LOOP;
END
$$;
