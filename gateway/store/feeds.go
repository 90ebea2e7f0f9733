package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// FeedItemDone reports whether a feed item was ingested.
func (s *Store) FeedItemDone(ctx context.Context, feed, key string) (bool, error) {
	var articleID sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT article_id FROM feed_items WHERE feed = ? AND item_key = ?`, feed, key).Scan(&articleID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: feed item: %w", err)
	}
	return articleID.Valid, nil
}

// MarkFeedItem records an attempt to ingest a feed item: the article it
// became, or the error it failed with.
func (s *Store) MarkFeedItem(ctx context.Context, feed, key string, articleID int64, failure error) error {
	var id any
	var msg string
	if articleID != 0 {
		id = articleID
	}
	if failure != nil {
		msg = failure.Error()
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO feed_items (feed, item_key, article_id, attempts, last_error, updated_at)
		VALUES (?, ?, ?, 1, ?, ?)
		ON CONFLICT (feed, item_key) DO UPDATE SET article_id = COALESCE(excluded.article_id, feed_items.article_id),
			attempts = feed_items.attempts + 1, last_error = excluded.last_error, updated_at = excluded.updated_at`,
		feed, key, id, msg, millis(s.now()))
	if err != nil {
		return fmt.Errorf("store: mark feed item: %w", err)
	}
	return nil
}

// FeedItemCount counts a feed's ingested items.
func (s *Store) FeedItemCount(ctx context.Context, feed string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM feed_items WHERE feed = ? AND article_id IS NOT NULL`, feed).Scan(&n)
	return n, err
}
