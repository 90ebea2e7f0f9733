package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dragoman-news/dragoman/cache"
)

// Store is also a cache tier, batched: answers computed once survive a
// restart.
var (
	_ cache.Tier    = (*Store)(nil)
	_ cache.Batcher = (*Store)(nil)
)

// Get returns an unexpired cached value.
func (s *Store) Get(ctx context.Context, key cache.Key) ([]byte, bool, error) {
	found, err := s.GetMany(ctx, []cache.Key{key})
	v, ok := found[key]
	return v, ok, err
}

// maxKeysPerQuery keeps a lookup under SQLite's limit of bound variables.
const maxKeysPerQuery = 500

// GetMany returns the unexpired cached values of keys, in one query per
// few hundred keys.
func (s *Store) GetMany(ctx context.Context, keys []cache.Key) (map[cache.Key][]byte, error) {
	found := make(map[cache.Key][]byte, len(keys))
	for batch := range slices.Chunk(keys, maxKeysPerQuery) {
		args := []any{millis(s.now())}
		for _, k := range batch {
			args = append(args, k.String())
		}
		rows, err := s.r.QueryContext(ctx, `SELECT key, value FROM cache_entries WHERE expires_at > ? AND key IN (?`+
			strings.Repeat(", ?", len(batch)-1)+`)`, args...)
		if err != nil {
			return found, fmt.Errorf("store: cache get: %w", err)
		}
		for rows.Next() {
			var hexKey string
			var v []byte
			if err := rows.Scan(&hexKey, &v); err != nil {
				rows.Close()
				return found, fmt.Errorf("store: cache get: %w", err)
			}
			var k cache.Key
			if n, err := hex.Decode(k[:], []byte(hexKey)); err == nil && n == len(k) {
				found[k] = v
			}
		}
		if err := rows.Close(); err != nil {
			return found, fmt.Errorf("store: cache get: %w", err)
		}
	}
	return found, nil
}

// Set stores a cached value for ttl (a day when ttl is not positive).
func (s *Store) Set(ctx context.Context, key cache.Key, value []byte, ttl time.Duration) error {
	return s.SetMany(ctx, []cache.Entry{{Key: key, Value: value}}, ttl)
}

// SetMany stores cached values for ttl (a day when ttl is not positive) in
// one transaction.
func (s *Store) SetMany(ctx context.Context, entries []cache.Entry, ttl time.Duration) error {
	if len(entries) == 0 {
		return nil
	}
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO cache_entries (key, value, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`)
	if err != nil {
		return fmt.Errorf("store: cache set: %w", err)
	}
	defer stmt.Close()
	expires := millis(s.now().Add(ttl))
	for _, e := range entries {
		if _, err := stmt.ExecContext(ctx, e.Key.String(), e.Value, expires); err != nil {
			return fmt.Errorf("store: cache set: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
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
