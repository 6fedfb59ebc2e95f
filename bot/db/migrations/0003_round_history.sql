-- Bridges schema version 3: the history a round needs, kept current as rounds are saved, so preparing a
-- round reads one row per pair and one column per member instead of rebuilding them from every group.

-- Each pair of members who were ever in a group together, with the last week they were (lower id first).
CREATE TABLE pair_history (
    guild_id  INTEGER NOT NULL,
    user_a    INTEGER NOT NULL,
    user_b    INTEGER NOT NULL,
    last_week TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_a, user_b),
    CHECK (user_a < user_b)
) WITHOUT ROWID;
CREATE INDEX pair_history_week ON pair_history (guild_id, last_week);
CREATE INDEX pair_history_b ON pair_history (guild_id, user_b);

-- The last week the member was put in a group (the frequency check reads it).
ALTER TABLE members ADD COLUMN last_paired_week TEXT;

INSERT INTO pair_history (guild_id, user_a, user_b, last_week)
SELECT a.guild_id, a.user_id, b.user_id, max(r.iso_week)
FROM group_members a
JOIN group_members b ON b.group_id = a.group_id AND b.user_id > a.user_id
JOIN groups g ON g.id = a.group_id
JOIN rounds r ON r.id = g.round_id
WHERE a.user_id IS NOT NULL
GROUP BY a.guild_id, a.user_id, b.user_id;

UPDATE members SET last_paired_week = (
    SELECT max(r.iso_week) FROM group_members gm JOIN groups g ON g.id = gm.group_id
    JOIN rounds r ON r.id = g.round_id WHERE gm.guild_id = members.guild_id AND gm.user_id = members.user_id
);

-- A large round is saved in several short transactions; it is complete (and deliverable) once saved = 1.
ALTER TABLE rounds ADD COLUMN saved INTEGER NOT NULL DEFAULT 1;
