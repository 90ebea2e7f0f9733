package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dragoman-news/dragoman/cache"
)

// Store is also a cache.Tier: answers computed once survive a restart.
var _ cache.Tier = (*Store)(nil)

// Get returns an unexpired cached value.
func (s *Store) Get(ctx context.Context, key cache.Key) ([]byte, bool, error) {
	var v []byte
	err := s.r.QueryRowContext(ctx, `SELECT value FROM cache_entries WHERE key = ? AND expires_at > ?`, key.String(), millis(s.now())).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: cache get: %w", err)
	}
	return v, true, nil
}

// Set stores a cached value for ttl (a day when ttl is not positive).
func (s *Store) Set(ctx context.Context, key cache.Key, value []byte, ttl time.Duration) error {
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO cache_entries (key, value, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
		key.String(), value, millis(s.now().Add(ttl)))
	if err != nil {
		return fmt.Errorf("store: cache set: %w", err)
	}
	return nil
}

// DeleteExpiredCache removes expired cache entries and returns how many.
func (s *Store) DeleteExpiredCache(ctx context.Context) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM cache_entries WHERE expires_at <= ?`, millis(s.now()))
	if err != nil {
		return 0, fmt.Errorf("store: cache sweep: %w", err)
	}
	return res.RowsAffected()
}
