-- +goose Up
CREATE TABLE articles (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    story_id          INTEGER NOT NULL,
    duplicate_of      INTEGER REFERENCES articles (id),
    content_hash      TEXT    NOT NULL UNIQUE,
    canonical_url     TEXT    UNIQUE,
    source            TEXT    NOT NULL DEFAULT '',
    url               TEXT    NOT NULL DEFAULT '',
    title             TEXT    NOT NULL DEFAULT '',
    title_en          TEXT    NOT NULL DEFAULT '',
    language          TEXT    NOT NULL,
    text              TEXT    NOT NULL,
    search_text       TEXT    NOT NULL, -- folded original and lower-cased English, for ?q=
    translation       TEXT    NOT NULL,
    headline          TEXT    NOT NULL,
    bullets           TEXT    NOT NULL, -- JSON array
    model             TEXT    NOT NULL,
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    timings           TEXT    NOT NULL DEFAULT '{}', -- JSON
    simhash           INTEGER NOT NULL,
    published_at      INTEGER NOT NULL, -- Unix milliseconds, UTC
    ingested_at       INTEGER NOT NULL
);
CREATE INDEX articles_published ON articles (published_at, id);
CREATE INDEX articles_source ON articles (source, published_at);
CREATE INDEX articles_story ON articles (story_id);

CREATE TABLE idempotency_keys (
    key          TEXT PRIMARY KEY,
    request_hash TEXT    NOT NULL,
    article_id   INTEGER NOT NULL REFERENCES articles (id),
    created_at   INTEGER NOT NULL
);

CREATE TABLE feed_items (
    feed       TEXT    NOT NULL,
    item_key   TEXT    NOT NULL,
    article_id INTEGER REFERENCES articles (id),
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT    NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (feed, item_key)
);

CREATE TABLE briefings (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    date       TEXT    NOT NULL,
    tz         TEXT    NOT NULL,
    variant    TEXT    NOT NULL, -- '' for the default options
    content    TEXT    NOT NULL, -- JSON
    created_at INTEGER NOT NULL,
    UNIQUE (date, tz, variant)
);

-- One row per scheduled day: the guard that makes the scheduled briefing
-- happen once, whatever the number of replicas or retries.
CREATE TABLE briefing_runs (
    date        TEXT    NOT NULL,
    tz          TEXT    NOT NULL,
    briefing_id INTEGER NOT NULL REFERENCES briefings (id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (date, tz)
);

CREATE TABLE cache_entries (
    key        TEXT PRIMARY KEY,
    value      BLOB    NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX cache_entries_expiry ON cache_entries (expires_at);

-- +goose Down
DROP TABLE cache_entries;
DROP TABLE briefing_runs;
DROP TABLE briefings;
DROP TABLE feed_items;
DROP TABLE idempotency_keys;
DROP TABLE articles;
