-- Re-applied whenever this file changes (db/migrate.py): edit the definitions here, in place.

-- A write that finishes after its caller stopped waiting must not commit: the caller has
-- already answered "sorry, try again". Called in the select list after the writing function
-- (which runs to completion first), it aborts the whole statement, so the implicit
-- transaction rolls back. SQLSTATE 57014 (query_canceled): what a cancel would have done.
CREATE OR REPLACE FUNCTION ld_before(p_deadline timestamptz) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF p_deadline IS NOT NULL AND clock_timestamp() > p_deadline THEN
        RAISE EXCEPTION 'the caller''s deadline % has passed', p_deadline
              USING ERRCODE = 'query_canceled';
    END IF;
    RETURN true;
END
$$;
