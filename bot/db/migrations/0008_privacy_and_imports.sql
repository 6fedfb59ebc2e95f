-- Weekly /stats figures of completed weeks, kept as first published (or as they stood just before a member
-- erased their data or rejoined), so that later erasures never change a past week's figure and so reveal
-- who left. Aggregates only: no member id.
CREATE TABLE published_figures (
    guild_id            INTEGER NOT NULL,
    iso_week            TEXT    NOT NULL,
    opted_in            INTEGER NOT NULL,
    paired              INTEGER NOT NULL,
    groups_met          INTEGER NOT NULL,
    answered            INTEGER NOT NULL,
    prompt_participants INTEGER NOT NULL,
    frozen_at           TEXT    NOT NULL,
    PRIMARY KEY (guild_id, iso_week)
);

-- A large /prompts import is written here in small chunks (so no server waits long for the write lock),
-- then moved into prompts in one short statement: the import stays all or nothing.
CREATE TABLE prompt_import_staging (
    batch        TEXT    NOT NULL,
    guild_id     INTEGER NOT NULL,
    line         INTEGER NOT NULL,
    theme        TEXT    NOT NULL,
    text         TEXT    NOT NULL,
    content_note TEXT,
    pair_text    TEXT,
    depth        TEXT    NOT NULL DEFAULT 'medium',
    pack         TEXT,
    pack_date    TEXT,
    created_at   TEXT    NOT NULL
);
CREATE INDEX prompt_import_staging_batch ON prompt_import_staging (batch, line);
