-- Bridges schema version 6: the prompt library's second text, depth and the cultural calendar.
-- pair_text: the wording for a private pair or trio thread (NULL: `text` fits both).
-- depth: how much a prompt asks of people; rotation starts a server on light ones.
-- pack: the calendar pack a dated prompt belongs to (NULL: a weekly rotation prompt).
-- pack_date: for a server's own pack, 'MM-DD' (every year) or 'YYYY-MM-DD' (once); shipped packs
-- compute their dates in code.
ALTER TABLE prompts ADD COLUMN pair_text TEXT;
ALTER TABLE prompts ADD COLUMN depth TEXT NOT NULL DEFAULT 'medium' CHECK (depth IN ('light', 'medium', 'deep'));
ALTER TABLE prompts ADD COLUMN pack TEXT;
ALTER TABLE prompts ADD COLUMN pack_date TEXT;
CREATE INDEX prompts_guild_pack ON prompts (guild_id, pack) WHERE pack IS NOT NULL;

-- The calendar packs a server opted in to, comma-separated keys ('' = none).
ALTER TABLE guild_settings ADD COLUMN calendar_packs TEXT NOT NULL DEFAULT '';
