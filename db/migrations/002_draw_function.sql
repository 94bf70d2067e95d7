-- A draw in one round trip: everything is decided beforehand (band, code, expiry, day);
-- this records it atomically, or answers with what was recorded first.

-- The draw a request id (or a customer's day) already recorded, as ld_draw answers it.
CREATE FUNCTION ld_recorded_draw(p_draw_where text, p_key text, p_campaign bigint,
                                 p_customer bigint, p_day date)
RETURNS TABLE (status text, kind text, first_request text, prize_name text, code text,
               expires_at timestamptz, language text)
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN c.id IS NOT NULL THEN 'won'
                WHEN d.picked_prize_id IS NOT NULL THEN 'sold_out'
                ELSE 'no_prize' END,
           p_draw_where, d.request_id, p.name, c.code, c.expires_at, cu.language
      FROM draw d
      JOIN customer cu ON cu.id = d.customer_id
      LEFT JOIN coupon c ON c.draw_id = d.id
      LEFT JOIN prize p ON p.id = c.prize_id
     WHERE CASE WHEN p_draw_where = 'replayed' THEN d.request_id = p_key
                ELSE d.campaign_id = p_campaign AND d.customer_id = p_customer
                     AND d.local_day = p_day END
$$;

CREATE FUNCTION ld_draw(p_campaign bigint, p_phone text, p_day date, p_channel text,
                        p_request text, p_prize bigint, p_code text, p_expires timestamptz,
                        p_now timestamptz)
RETURNS TABLE (status text, kind text, first_request text, prize_name text, code text,
               expires_at timestamptz, language text)
LANGUAGE plpgsql AS $$
DECLARE
    v_customer   bigint;
    v_language   text;
    v_draw       bigint;
    v_prize_name text;
BEGIN
    IF p_request IS NOT NULL THEN
        RETURN QUERY SELECT * FROM ld_recorded_draw('replayed', p_request, NULL, NULL, NULL);
        IF FOUND THEN RETURN; END IF;
    END IF;

    PERFORM 1 FROM campaign cp
     WHERE cp.id = p_campaign AND cp.status = 'active'
       AND p_now >= cp.starts_at AND p_now < cp.ends_at;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'closed', 'new', NULL::text, NULL::text, NULL::text,
                            NULL::timestamptz, NULL::text;
        RETURN;
    END IF;

    SELECT cu.id, cu.language INTO v_customer, v_language FROM customer cu WHERE cu.phone = p_phone;
    IF NOT FOUND THEN
        INSERT INTO customer (phone, last_channel, created_at) VALUES (p_phone, p_channel, p_now)
        ON CONFLICT (phone) DO NOTHING RETURNING id INTO v_customer;
        IF v_customer IS NULL THEN  -- a concurrent first contact won the insert
            SELECT cu.id, cu.language INTO v_customer, v_language
              FROM customer cu WHERE cu.phone = p_phone;
        END IF;
    END IF;
    -- Written only when it changes, so the common path leaves the customer row alone.
    UPDATE customer SET last_channel = p_channel
     WHERE id = v_customer AND last_channel IS DISTINCT FROM p_channel;

    -- Both unique keys at once: (campaign, customer, day) and the request id. A conflict with
    -- a draw still in flight waits for it, then reads what it recorded.
    INSERT INTO draw (campaign_id, customer_id, local_day, channel, request_id,
                      picked_prize_id, created_at)
    VALUES (p_campaign, v_customer, p_day, p_channel, p_request, p_prize, p_now)
    ON CONFLICT DO NOTHING
    RETURNING id INTO v_draw;
    IF v_draw IS NULL THEN
        IF p_request IS NOT NULL THEN
            RETURN QUERY SELECT * FROM ld_recorded_draw('replayed', p_request, NULL, NULL, NULL);
            IF FOUND THEN RETURN; END IF;
        END IF;
        RETURN QUERY SELECT * FROM ld_recorded_draw('already', NULL, p_campaign, v_customer, p_day);
        RETURN;
    END IF;

    IF p_prize IS NULL THEN
        RETURN QUERY SELECT 'no_prize', 'new', p_request, NULL::text, NULL::text,
                            NULL::timestamptz, v_language;
        RETURN;
    END IF;

    -- Take one unit of the daily and the total quota, both or neither. A lost race is
    -- "no prize": the conditional updates wait on the row lock and re-check the count.
    INSERT INTO prize_day AS pd (prize_id, day, quota, issued)
    SELECT pz.id, p_day, pz.daily_quota, 1 FROM prize pz WHERE pz.id = p_prize
    ON CONFLICT (prize_id, day) DO UPDATE SET issued = pd.issued + 1 WHERE pd.issued < pd.quota;
    IF FOUND THEN
        UPDATE prize SET issued = issued + 1 WHERE id = p_prize AND issued < total_quota
        RETURNING name INTO v_prize_name;
        IF NOT FOUND THEN
            -- Total reached: give back the daily unit (its row is locked by us).
            UPDATE prize_day SET issued = issued - 1 WHERE prize_id = p_prize AND day = p_day;
        END IF;
    END IF;
    IF v_prize_name IS NULL THEN
        RETURN QUERY SELECT 'sold_out', 'new', p_request, NULL::text, NULL::text,
                            NULL::timestamptz, v_language;
        RETURN;
    END IF;

    -- A duplicate code raises unique_violation on coupon_code_key: the caller draws a new one.
    INSERT INTO coupon (code, draw_id, campaign_id, prize_id, customer_id, issued_at, issued_day,
                        expires_at)
    VALUES (p_code, v_draw, p_campaign, p_prize, v_customer, p_now, p_day, p_expires);
    RETURN QUERY SELECT 'won', 'new', p_request, v_prize_name, p_code, p_expires, v_language;
END
$$;
