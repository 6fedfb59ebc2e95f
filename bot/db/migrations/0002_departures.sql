-- A member the bot found no longer in the server (gateway Request Guild Members listed them as not found)
-- is set aside, not erased: not paired until a later check finds them again or they use a command.
ALTER TABLE members ADD COLUMN departed_at TEXT;

-- Earlier versions marked members as having left a pairing when Discord's reply to the introduction lacked
-- member data, which Discord never promised: keep only the leaves a member made (their left_pairing event).
UPDATE group_members SET left_at = NULL
WHERE left_at IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM events e JOIN groups g ON g.round_id = e.round_id
    WHERE g.id = group_members.group_id AND e.guild_id = group_members.guild_id
      AND e.user_id = group_members.user_id AND e.kind = 'left_pairing'
);
