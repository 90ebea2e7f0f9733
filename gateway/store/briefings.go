package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dragoman-news/dragoman/gateway"
)

// SaveBriefing stores a briefing under its date, time zone and variant,
// replacing an earlier one. With scheduled, it also claims the day's
// scheduled run, in the same transaction: if the run was claimed already
// (by another replica, or an earlier try), nothing is saved and it returns
// false.
func (s *Store) SaveBriefing(ctx context.Context, b *gateway.Briefing, variant string, scheduled bool) (bool, error) {
	content, err := json.Marshal(b)
	if err != nil {
		return false, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback()
	if scheduled {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM briefing_runs WHERE date = ? AND tz = ?`, b.Date, b.TZ).Scan(&n); err != nil {
			return false, fmt.Errorf("store: briefing run: %w", err)
		}
		if n > 0 {
			return false, nil
		}
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO briefings (date, tz, variant, content, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (date, tz, variant) DO UPDATE SET content = excluded.content, created_at = excluded.created_at
		RETURNING id`, b.Date, b.TZ, variant, string(content), millis(s.now())).Scan(&id)
	if err != nil {
		return false, fmt.Errorf("store: save briefing: %w", err)
	}
	if scheduled {
		if _, err := tx.ExecContext(ctx, `INSERT INTO briefing_runs (date, tz, briefing_id, created_at) VALUES (?, ?, ?, ?)`,
			b.Date, b.TZ, id, millis(s.now())); err != nil {
			return false, fmt.Errorf("store: briefing run: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: commit: %w", err)
	}
	return true, nil
}

// Briefing returns the stored briefing for a date, time zone and variant.
func (s *Store) Briefing(ctx context.Context, date, tz, variant string) (*gateway.Briefing, error) {
	var content string
	err := s.r.QueryRowContext(ctx, `SELECT content FROM briefings WHERE date = ? AND tz = ? AND variant = ?`, date, tz, variant).Scan(&content)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: briefing: %w", err)
	}
	var b gateway.Briefing
	if err := json.Unmarshal([]byte(content), &b); err != nil {
		return nil, fmt.Errorf("store: briefing %s: %w", date, err)
	}
	return &b, nil
}

// ScheduledRun reports whether the scheduled briefing of a day was made.
func (s *Store) ScheduledRun(ctx context.Context, date, tz string) (bool, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM briefing_runs WHERE date = ? AND tz = ?`, date, tz).Scan(&n); err != nil {
		return false, fmt.Errorf("store: briefing run: %w", err)
	}
	return n > 0, nil
}

// BriefingCount counts the stored briefings of a date (all variants and
// zones), for tests and checks.
func (s *Store) BriefingCount(ctx context.Context, date string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM briefings WHERE date = ?`, date).Scan(&n)
	return n, err
}
