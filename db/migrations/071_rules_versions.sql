-- Official rules, versioned (issue 13): each version keeps the campaign as it was when
-- published, so earlier versions stay readable after edits.
CREATE TABLE rules_version (
    campaign_id  bigint NOT NULL REFERENCES campaign ON DELETE CASCADE,
    number       int NOT NULL CHECK (number > 0),
    published_at timestamptz NOT NULL,
    campaign     jsonb NOT NULL,
    PRIMARY KEY (campaign_id, number)
);
