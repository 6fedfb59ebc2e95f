-- A once-a-week side job is 'sending' from its first attempt until Discord accepted it ('done'): a job left
-- 'sending' by a crash is looked for on Discord before it is sent again. done_at is the time of the last change.
ALTER TABLE weekly_jobs ADD COLUMN status TEXT NOT NULL DEFAULT 'done' CHECK (status IN ('sending', 'done'));

-- Each group's mid-week check-in the same way: 'sending', 'sent', or 'unreachable' (the thread is gone).
ALTER TABLE groups ADD COLUMN checkin_status TEXT CHECK (checkin_status IN ('sending', 'sent', 'unreachable'));
UPDATE groups SET checkin_status = 'sent' WHERE checkin_message_id IS NOT NULL;
