-- The operator console's live page reads these every few seconds, per campaign.
CREATE INDEX coupon_campaign_redeemed ON coupon (campaign_id, redeemed_at)
    WHERE redeemed_at IS NOT NULL;
CREATE INDEX outbox_campaign_open ON outbox (campaign_id, status)
    WHERE status IN ('pending', 'sending', 'dead');
CREATE INDEX redemption_attempt_coupon ON redemption_attempt (coupon_id);
-- Customer lookup: their opt-outs/opt-ins and the messages sent to them.
CREATE INDEX consent_event_customer ON consent_event (customer_id, id);
CREATE INDEX outbox_customer ON outbox (customer_id, id);
