-- The winners export reads a campaign's coupons in keyset pages (campaign_id, id > last).
CREATE INDEX coupon_campaign_pages ON coupon (campaign_id, id);
