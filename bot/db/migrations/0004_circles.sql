-- Circles: communities a server names (2-8), which members may choose privately. Stored by id, so a
-- rename keeps every member's choice; removing a circle removes it from the members who chose it.
CREATE TABLE circles (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id   INTEGER NOT NULL,
    name       TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 40),
    position   INTEGER NOT NULL,
    created_at TEXT    NOT NULL
);
CREATE UNIQUE INDEX circles_guild_name ON circles (guild_id, lower(name));

-- A member's own circles: shown to that member alone, erased by /exchange forget.
CREATE TABLE member_circles (
    guild_id  INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    circle_id INTEGER NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    PRIMARY KEY (guild_id, user_id, circle_id)
);
CREATE INDEX member_circles_circle ON member_circles (circle_id);

-- 'across' prefers groups whose members are in different circles, 'any' ignores circles;
-- NULL means the default: across when the server has circles.
ALTER TABLE guild_settings ADD COLUMN pairing_mix TEXT CHECK (pairing_mix IN ('across', 'any'));

-- How many of a round's groups mixed circles (NULL: the server had no circles then). Only this count
-- is kept, never which group or which circles.
ALTER TABLE rounds ADD COLUMN cross_circle_groups INTEGER;

-- "Another starter": how many were asked for (picks the next prompt of the theme) and when (rate limit).
ALTER TABLE groups ADD COLUMN starters_shown INTEGER NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN starter_at TEXT;

-- Set when a member is paused after three rounds in a row without a check-in answer; rounds before
-- it no longer count, so coming back does not pause them again at once.
ALTER TABLE members ADD COLUMN quiet_paused_at TEXT;
