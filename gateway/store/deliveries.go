package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/dragoman-news/dragoman/gateway"
)

// CreateDelivery records a delivery with its target and rendered parts. A
// delivery with the same key is not created again: its id comes back,
// with created false.
func (s *Store) CreateDelivery(ctx context.Context, d gateway.Delivery, target []byte, parts [][]byte) (int64, bool, error) {
	raw := make([]json.RawMessage, len(parts))
	for i, p := range parts {
		raw[i] = p
	}
	encoded, err := json.Marshal(raw)
	if err != nil {
		return 0, false, err
	}
	now := millis(s.now())
	var id int64
	err = s.w.QueryRowContext(ctx, `INSERT INTO deliveries (key, kind, platform, destination, target, parts, part_count, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING id`,
		d.Key, d.Kind, d.Platform, d.Destination, string(target), string(encoded), len(parts), now, now).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = s.w.QueryRowContext(ctx, `SELECT id FROM deliveries WHERE key = ?`, d.Key).Scan(&id)
		return id, false, err
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: create delivery: %w", err)
	}
	return id, true, nil
}

const deliveryColumns = `id, key, kind, platform, destination, part_count, parts_sent, status, attempts, last_error, created_at, updated_at`

func scanDelivery(row scanner, extra ...any) (*gateway.Delivery, error) {
	var d gateway.Delivery
	var created, updated int64
	dest := append([]any{&d.ID, &d.Key, &d.Kind, &d.Platform, &d.Destination, &d.Parts, &d.PartsSent, &d.Status,
		&d.Attempts, &d.LastError, &created, &updated}, extra...)
	if err := row.Scan(dest...); errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("store: read delivery: %w", err)
	}
	d.CreatedAt, d.UpdatedAt = fromMillis(created), fromMillis(updated)
	return &d, nil
}

// DeliveryWork returns a delivery with its target and parts, for sending.
func (s *Store) DeliveryWork(ctx context.Context, id int64) (*gateway.Delivery, []byte, [][]byte, error) {
	var target, parts string
	d, err := scanDelivery(s.r.QueryRowContext(ctx, `SELECT `+deliveryColumns+`, target, parts FROM deliveries WHERE id = ?`, id), &target, &parts)
	if err != nil {
		return nil, nil, nil, err
	}
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(parts), &raw); err != nil {
		return nil, nil, nil, fmt.Errorf("store: delivery %d parts: %w", id, err)
	}
	out := make([][]byte, len(raw))
	for i, p := range raw {
		out[i] = p
	}
	return d, []byte(target), out, nil
}

// UpdateDelivery records an attempt: how many parts have been sent, the
// status, and the error of a failed attempt.
func (s *Store) UpdateDelivery(ctx context.Context, id int64, partsSent int, status, lastError string, attempt bool) error {
	inc := 0
	if attempt {
		inc = 1
	}
	_, err := s.w.ExecContext(ctx, `UPDATE deliveries SET parts_sent = ?, status = ?, last_error = ?, attempts = attempts + ?, updated_at = ?
		WHERE id = ?`, partsSent, status, lastError, inc, millis(s.now()), id)
	if err != nil {
		return fmt.Errorf("store: update delivery: %w", err)
	}
	return nil
}

// ListDeliveries returns deliveries, newest first, after the cursor.
func (s *Store) ListDeliveries(ctx context.Context, limit int, cursor string) ([]gateway.Delivery, string, error) {
	before := int64(1 << 62)
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil {
			return nil, "", ErrBadCursor
		}
		before = n
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id < ? ORDER BY id DESC LIMIT ?`, before, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("store: list deliveries: %w", err)
	}
	defer rows.Close()
	out := []gateway.Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, *d)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = strconv.FormatInt(out[limit-1].ID, 10)
	}
	return out, next, rows.Err()
}
