-- Re-applied whenever this file changes (db/migrate.py): edit the definitions here, in place.
-- A change of arguments or result columns needs a DROP FUNCTION IF EXISTS of the old one first.

-- A redemption in one round trip: at most once, before expiry, every attempt recorded.
CREATE OR REPLACE FUNCTION ld_redeem(p_code text, p_staff text, p_now timestamptz, p_request text)
RETURNS TABLE (status text, prize_name text, phone text, redeemed_at timestamptz,
               expires_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    v_attempt bigint;
    v_coupon  coupon%ROWTYPE;
    v_status  text;
BEGIN
    -- The attempt row goes first: a retried request waits for the first, then replays it.
    INSERT INTO redemption_attempt (at, staff_phone, text, code, status, request_id)
    VALUES (p_now, p_staff, p_code, p_code, 'pending', p_request)
    ON CONFLICT (request_id) DO NOTHING
    RETURNING id INTO v_attempt;
    IF v_attempt IS NULL THEN
        -- A retry replays only when it asks the same: same staff phone, same code.
        RETURN QUERY
        SELECT a.status, pz.name, cu.phone, c.redeemed_at, c.expires_at
          FROM redemption_attempt a
          LEFT JOIN coupon c ON c.id = a.coupon_id
          LEFT JOIN prize pz ON pz.id = c.prize_id
          LEFT JOIN customer cu ON cu.id = c.customer_id
         WHERE a.request_id = p_request AND a.staff_phone = p_staff
           AND a.code IS NOT DISTINCT FROM p_code;
        IF FOUND THEN RETURN; END IF;
        -- The id was someone else's: refuse, and still record the attempt.
        INSERT INTO redemption_attempt (at, staff_phone, text, code, status)
        VALUES (p_now, p_staff, p_code, p_code, 'request_conflict');
        RETURN QUERY SELECT 'request_conflict', NULL::text, NULL::text, NULL::timestamptz,
                            NULL::timestamptz;
        RETURN;
    END IF;

    SELECT * INTO v_coupon FROM coupon c WHERE c.code = p_code FOR UPDATE;
    IF NOT FOUND THEN
        v_status := 'unknown';
    ELSIF v_coupon.redeemed_at IS NOT NULL THEN
        v_status := 'already_redeemed';
    ELSIF v_coupon.expires_at <= p_now THEN
        v_status := 'expired';
    ELSE
        v_status := 'redeemed';
        UPDATE coupon SET redeemed_at = p_now, redeemed_by = p_staff WHERE id = v_coupon.id
        RETURNING * INTO v_coupon;
    END IF;
    UPDATE redemption_attempt SET status = v_status, coupon_id = v_coupon.id WHERE id = v_attempt;

    RETURN QUERY
    SELECT v_status, pz.name, cu.phone, v_coupon.redeemed_at, v_coupon.expires_at
      FROM (SELECT 1) one
      LEFT JOIN prize pz ON pz.id = v_coupon.prize_id
      LEFT JOIN customer cu ON cu.id = v_coupon.customer_id;
END
$$;
