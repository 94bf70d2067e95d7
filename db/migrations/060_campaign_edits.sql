-- Editing campaigns: prizes leave a campaign without losing the draws and coupons that name
-- them, and every operator action is kept (when, who, which fields, before and after).

ALTER TABLE prize ADD COLUMN removed_at timestamptz;
-- A column in a unique index is a key: updating it would take FOR UPDATE on the prize, which
-- waits for draws holding KEY SHARE on it (their foreign key) while they wait for the edit's
-- prize lock: a deadlock. Positions stay distinct because edits write them all at once.
ALTER TABLE prize DROP CONSTRAINT prize_campaign_id_position_key;
CREATE INDEX prize_campaign ON prize (campaign_id, position);

CREATE TABLE audit_entry (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    campaign_id bigint REFERENCES campaign ON DELETE CASCADE,
    subject     text,
    changes     jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX audit_entry_campaign ON audit_entry (campaign_id, id);
