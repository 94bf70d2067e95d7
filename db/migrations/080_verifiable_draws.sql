-- Verifiable draws (issue 14): each campaign's committed seed chain, every draw's public entry
-- and uniform value, and the published proof of each ended day.

-- Secret until revealed: last_seed anchors the chain (each earlier day's seed is SHA-256 of
-- the next day's) and entry_key keys the public entry references. Only `commitment`
-- (SHA-256 of the first day's seed) is public from the start.
CREATE TABLE draw_commitment (
    campaign_id  bigint PRIMARY KEY REFERENCES campaign ON DELETE CASCADE,
    first_day    date NOT NULL,
    days         int NOT NULL CHECK (days > 0),
    last_seed    bytea NOT NULL CHECK (length(last_seed) = 32),
    entry_key    bytea NOT NULL CHECK (length(entry_key) = 32),
    commitment   bytea NOT NULL CHECK (length(commitment) = 32),
    committed_at timestamptz NOT NULL
);

-- Campaigns made before this migration commit now, from PostgreSQL's strong random source
-- (gen_random_uuid: 122 random bits each, hashed together). Their proofs start today.
DO $$
DECLARE
    c         record;
    v_first   date;
    v_days    int;
    v_seed    bytea;
    v_key     bytea;
    v_back    bytea;
BEGIN
    FOR c IN SELECT id, timezone, starts_at, ends_at FROM campaign LOOP
        v_first := greatest((c.starts_at AT TIME ZONE c.timezone)::date,
                            (now() AT TIME ZONE c.timezone)::date);
        v_days := greatest((c.ends_at AT TIME ZONE c.timezone)::date - v_first, 0) + 1 + 366;
        v_seed := sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
                                    || gen_random_uuid()::text, 'UTF8'));
        v_key := sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
                                   || gen_random_uuid()::text, 'UTF8'));
        v_back := v_seed;  -- back to the first day's seed
        FOR i IN 1 .. v_days - 1 LOOP
            v_back := sha256(v_back);
        END LOOP;
        INSERT INTO draw_commitment (campaign_id, first_day, days, last_seed, entry_key,
                                     commitment, committed_at)
        VALUES (c.id, v_first, v_days, v_seed, v_key,
                sha256(v_back), now());
    END LOOP;
END
$$;

-- The entry (keyed hash of the phone, public) and u the draw was decided by; outcome names
-- why a picked prize was not won (sold_out, not_released, win_capped) for the published log.
ALTER TABLE draw
    ADD COLUMN entry   text,
    ADD COLUMN u       double precision CHECK (u >= 0 AND u < 1),
    ADD COLUMN odds    text,
    ADD COLUMN outcome text CHECK (outcome IN ('won', 'no_prize', 'sold_out', 'not_released',
                                               'win_capped'));

-- Every set of odds a campaign has had (at creation and after each edit), by the version each
-- draw records: the proof of a day publishes the ones its entries were drawn with.
CREATE TABLE campaign_odds (
    campaign_id bigint NOT NULL REFERENCES campaign ON DELETE CASCADE,
    version     text NOT NULL,
    prizes      jsonb NOT NULL,
    first_at    timestamptz NOT NULL,
    PRIMARY KEY (campaign_id, version)
);

-- When each unit of a paced prize was released on a day (a claimed slot is deleted, so its
-- instant is kept here): the published "release figures" that "not yet released" is checked
-- against. Written once per prize and day, when the day's units are made.
CREATE TABLE prize_release (
    prize_id    bigint NOT NULL REFERENCES prize ON DELETE CASCADE,
    day         date NOT NULL,
    released_at timestamptz NOT NULL
);
CREATE INDEX prize_release_day ON prize_release (prize_id, day);

-- A revealed day: its seed and the log exactly as served (never rewritten).
CREATE TABLE draw_proof (
    campaign_id  bigint NOT NULL REFERENCES campaign ON DELETE CASCADE,
    day          date NOT NULL,
    seed         bytea NOT NULL,
    merkle_root  text NOT NULL,
    entries      int NOT NULL,
    log          bytea NOT NULL,
    published_at timestamptz NOT NULL,
    PRIMARY KEY (campaign_id, day)
);
