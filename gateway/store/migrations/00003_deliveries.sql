-- +goose Up
CREATE TABLE deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    key         TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,
    platform    TEXT    NOT NULL,
    destination TEXT    NOT NULL,
    target      TEXT    NOT NULL, -- JSON; holds secrets (webhook URLs, tokens): never served
    parts       TEXT    NOT NULL, -- JSON array of the rendered payloads, in order
    part_count  INTEGER NOT NULL,
    parts_sent  INTEGER NOT NULL DEFAULT 0,
    status      TEXT    NOT NULL DEFAULT 'pending',
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- +goose Down
DROP TABLE deliveries;
