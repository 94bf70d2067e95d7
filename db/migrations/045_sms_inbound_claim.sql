-- A copy of an inbound message being handled holds it until this time (its webhook's
-- deadline): another copy waits for its reply instead of handling it again. NULL: free
-- (answered, released after a failure, or recorded before this column existed).
ALTER TABLE sms_inbound ADD COLUMN handling_until timestamptz;
