-- Bridges schema version 9: the end-of-week reminder is marked per group once Discord accepted it (or the
-- thread is gone), so a reminder that failed in an outage is tried again on the next pass, while the
-- reminder window is open, instead of being lost with the week's claim.
ALTER TABLE groups ADD COLUMN reminded INTEGER NOT NULL DEFAULT 0 CHECK (reminded IN (0, 1));

-- Weeks whose reminder was already claimed under the old rule count as sent.
UPDATE groups SET reminded = 1 WHERE round_id IN (
    SELECT r.id FROM rounds r JOIN weekly_jobs j
    ON j.guild_id = r.guild_id AND j.iso_week = r.iso_week AND j.job = 'reminder'
);
