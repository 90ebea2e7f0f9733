-- +goose Up
-- Near-duplicate search reads the fingerprints of every recent article:
-- from this index alone, without touching the rows and their texts.
CREATE INDEX articles_prints ON articles (published_at, id, story_id, simhash);

-- +goose Down
DROP INDEX articles_prints;
