-- Running a program: program-wide breaks, the welcome post, and telling members what became of a suggestion.
-- A break ends by itself at the stored UTC instant; NULL means no break.
ALTER TABLE guild_settings ADD COLUMN prompts_paused_until TEXT;
ALTER TABLE guild_settings ADD COLUMN pairing_paused_until TEXT;
ALTER TABLE guild_settings ADD COLUMN welcome_channel_id INTEGER;
ALTER TABLE guild_settings ADD COLUMN welcome_message_id INTEGER;
-- When the bot's setup checklist was sent on joining the server (once per server).
ALTER TABLE guild_settings ADD COLUMN greeted_at TEXT;
-- The moderator's reason for approving or rejecting a member's suggestion, and whether the member has been
-- told (0 = decided, not yet told; told by DM, or on their next /prompt current).
ALTER TABLE prompts ADD COLUMN decision_reason TEXT;
ALTER TABLE prompts ADD COLUMN decision_told INTEGER NOT NULL DEFAULT 1;
CREATE INDEX prompts_untold ON prompts (guild_id, suggested_by) WHERE decision_told = 0;
