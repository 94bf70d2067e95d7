-- When a campaign last stopped taking entries (paused or ended; NULL while active), so its
-- proofs end on that day instead of running on to ends_at (issue 14).
ALTER TABLE campaign ADD COLUMN stopped_at timestamptz;

-- Campaigns paused or ended before this column: the first pause or end since the last resume.
UPDATE campaign c
   SET stopped_at = (
       SELECT min(a.at) FROM audit_entry a
        WHERE a.campaign_id = c.id AND a.action IN ('pause', 'end')
          AND a.at > coalesce((SELECT max(r.at) FROM audit_entry r
                                WHERE r.campaign_id = c.id AND r.action = 'resume'),
                              '-infinity'))
 WHERE c.status <> 'active';
