-- Bridges schema version 1. Every row is scoped by guild_id; times are UTC ISO-8601 strings;
-- weeks are ISO week keys such as '2026-W48', computed in the server's timezone.

CREATE TABLE bot_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE guild_settings (
    guild_id            INTEGER PRIMARY KEY,
    timezone            TEXT    NOT NULL DEFAULT 'UTC',
    prompt_channel_id   INTEGER,
    prompt_day          INTEGER CHECK (prompt_day BETWEEN 0 AND 6),
    prompt_time         TEXT,
    pairing_channel_id  INTEGER,
    pairing_day         INTEGER CHECK (pairing_day BETWEEN 0 AND 6),
    pairing_time        TEXT,
    group_size          INTEGER NOT NULL DEFAULT 2 CHECK (group_size BETWEEN 2 AND 4),
    odd_policy          TEXT    NOT NULL DEFAULT 'trio' CHECK (odd_policy IN ('trio', 'sit_out')),
    moderator_role_id   INTEGER,
    report_channel_id   INTEGER,
    retention_weeks     INTEGER NOT NULL DEFAULT 52 CHECK (retention_weeks BETWEEN 4 AND 260),
    library_seeded      INTEGER NOT NULL DEFAULT 0,
    prompt_problem      TEXT,
    pairing_problem     TEXT,
    created_at          TEXT    NOT NULL
);

-- Members who opted in. status 'left' keeps preferences and history until /exchange forget.
CREATE TABLE members (
    guild_id          INTEGER NOT NULL,
    user_id           INTEGER NOT NULL,
    status            TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'left')),
    timezone          TEXT,
    interests         TEXT    NOT NULL DEFAULT '',
    frequency         TEXT    NOT NULL DEFAULT 'weekly' CHECK (frequency IN ('weekly', 'biweekly', 'monthly')),
    paused_until      TEXT,
    skip_week         TEXT,
    last_sat_out_week TEXT,
    joined_at         TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
CREATE INDEX members_joined ON members (guild_id, joined_at);
CREATE INDEX members_left ON members (guild_id, updated_at) WHERE status = 'left';

CREATE TABLE blocks (
    guild_id   INTEGER NOT NULL,
    blocker_id INTEGER NOT NULL,
    blocked_id INTEGER NOT NULL,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id)
);
CREATE INDEX blocks_blocked ON blocks (guild_id, blocked_id);

-- Moderator-side exclusions from pairing (a safety tool, kept when the member erases their data).
CREATE TABLE pairing_exclusions (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

CREATE TABLE themes (
    guild_id    INTEGER NOT NULL,
    slug        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    PRIMARY KEY (guild_id, slug)
);

CREATE TABLE prompts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id     INTEGER NOT NULL,
    theme        TEXT    NOT NULL,
    text         TEXT    NOT NULL,
    content_note TEXT,
    status       TEXT    NOT NULL CHECK (status IN ('active', 'retired', 'pending', 'rejected')),
    source       TEXT    NOT NULL CHECK (source IN ('library', 'moderator', 'import', 'suggestion')),
    suggested_by INTEGER,
    times_posted INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);
CREATE INDEX prompts_guild_status ON prompts (guild_id, status);

CREATE TABLE prompt_revisions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id     INTEGER NOT NULL,
    prompt_id    INTEGER NOT NULL REFERENCES prompts (id) ON DELETE CASCADE,
    text         TEXT    NOT NULL,
    content_note TEXT,
    replaced_at  TEXT    NOT NULL
);

-- One weekly prompt post per (server, ISO week): the unique key is what makes it happen once.
CREATE TABLE prompt_posts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id   INTEGER NOT NULL,
    iso_week   TEXT    NOT NULL,
    prompt_id  INTEGER NOT NULL REFERENCES prompts (id),
    channel_id INTEGER,
    message_id INTEGER,
    thread_id  INTEGER,
    status     TEXT    NOT NULL DEFAULT 'claimed' CHECK (status IN ('claimed', 'posted')),
    created_at TEXT    NOT NULL,
    posted_at  TEXT,
    UNIQUE (guild_id, iso_week)
);

-- One pairing round per (server, ISO week). The seed is kept for audits and reproducible tests.
CREATE TABLE rounds (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id   INTEGER NOT NULL,
    iso_week   TEXT    NOT NULL,
    seed       INTEGER NOT NULL,
    prompt_id  INTEGER REFERENCES prompts (id),
    status     TEXT    NOT NULL DEFAULT 'delivering' CHECK (status IN ('delivering', 'delivered', 'stopped')),
    created_at TEXT    NOT NULL,
    -- Aggregates kept as they change, so /stats reads a few rows instead of every group member.
    member_count   INTEGER NOT NULL DEFAULT 0,
    answered_count INTEGER NOT NULL DEFAULT 0,
    met_groups     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (guild_id, iso_week)
);

CREATE TABLE groups (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id           INTEGER NOT NULL,
    round_id           INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    position           INTEGER NOT NULL,
    thread_id          INTEGER,
    checkin_message_id INTEGER,
    UNIQUE (round_id, position)
);

-- user_id becomes NULL when a member erases their data: the others keep "a former member".
CREATE TABLE group_members (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id INTEGER NOT NULL,
    group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  INTEGER,
    checkin  TEXT CHECK (checkin IN ('met', 'not_yet', 'cant_make_it')),
    left_at  TEXT
);
CREATE INDEX group_members_user ON group_members (guild_id, user_id);
CREATE INDEX group_members_group ON group_members (group_id);

-- Once-a-week side jobs (the pre-round notice, the mid-week check-in), made idempotent by their key.
CREATE TABLE weekly_jobs (
    guild_id INTEGER NOT NULL,
    iso_week TEXT    NOT NULL,
    job      TEXT    NOT NULL,
    done_at  TEXT    NOT NULL,
    PRIMARY KEY (guild_id, iso_week, job)
);

-- Append-only participation log, written only for members who opted in.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('joined', 'left', 'paused', 'paired', 'met', 'not_yet',
                                                 'cant_make_it', 'left_pairing', 'reported',
                                                 'prompt_reply', 'suggested')),
    iso_week   TEXT    NOT NULL,
    round_id   INTEGER,
    group_size INTEGER,
    created_at TEXT    NOT NULL
);
CREATE INDEX events_guild_kind_week ON events (guild_id, kind, iso_week);
CREATE INDEX events_guild_user ON events (guild_id, user_id);
