-- Fair play (issue 13): the rules' organiser, prize pacing over open hours, a win cap.

ALTER TABLE campaign
    ADD COLUMN organizer             text,
    ADD COLUMN organizer_contact     text,
    -- Open hours as local minutes of the day, [open_from, open_until): pacing releases
    -- prizes over them. 0-1440 is the whole day.
    ADD COLUMN open_from             smallint NOT NULL DEFAULT 0,
    ADD COLUMN open_until            smallint NOT NULL DEFAULT 1440,
    ADD COLUMN max_wins_per_customer int CHECK (max_wins_per_customer > 0),
    ADD CHECK (0 <= open_from AND open_from < open_until AND open_until <= 1440);

ALTER TABLE prize
    ADD COLUMN pacing text NOT NULL DEFAULT 'none' CHECK (pacing IN ('none', 'even'));

-- When a slot becomes claimable: -infinity unless its prize is paced.
ALTER TABLE prize_slot ADD COLUMN released_at timestamptz NOT NULL DEFAULT '-infinity';
CREATE INDEX prize_slot_released ON prize_slot (prize_id, day, released_at);
DROP INDEX prize_slot_prize_day;

-- The band picked a prize, but the customer had reached the campaign's win cap.
ALTER TABLE draw ADD COLUMN win_capped boolean NOT NULL DEFAULT false;
