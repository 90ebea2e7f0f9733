package cache

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Tier is one level of storage for answers: the in-memory tier, a durable
// store, Redis. A tier that fails returns an error; the cache treats that as
// a miss and carries on, because a cache must never fail a request.
type Tier interface {
	Get(ctx context.Context, key Key) (value []byte, ok bool, err error)
	Set(ctx context.Context, key Key, value []byte, ttl time.Duration) error
}

// Layered reads tiers in order, fastest first, and copies a value found in
// a slower tier into the faster ones. It writes to every tier.
type Layered struct {
	tiers  []Tier
	errors atomic.Uint64
	report func(error)
}

// NewLayered layers tiers, fastest first. report, if not nil, is told of
// every tier failure (the caller logs it); failures are also counted.
func NewLayered(report func(error), tiers ...Tier) *Layered {
	return &Layered{tiers: tiers, report: report}
}

// Entry is a key and its value.
type Entry struct {
	Key   Key
	Value []byte
}

// Batcher is a Tier that reads and writes many entries in one round trip,
// as a database or Redis can. Layered uses it where a tier has it: an
// article's paragraphs are looked up and stored together.
type Batcher interface {
	GetMany(ctx context.Context, keys []Key) (map[Key][]byte, error)
	SetMany(ctx context.Context, entries []Entry, ttl time.Duration) error
}

func getMany(ctx context.Context, t Tier, keys []Key) (map[Key][]byte, error) {
	if b, ok := t.(Batcher); ok {
		return b.GetMany(ctx, keys)
	}
	found := make(map[Key][]byte, len(keys))
	for _, k := range keys {
		v, ok, err := t.Get(ctx, k)
		if err != nil {
			return found, err
		}
		if ok {
			found[k] = v
		}
	}
	return found, nil
}

func setMany(ctx context.Context, t Tier, entries []Entry, ttl time.Duration) error {
	if b, ok := t.(Batcher); ok {
		return b.SetMany(ctx, entries, ttl)
	}
	for _, e := range entries {
		if err := t.Set(ctx, e.Key, e.Value, ttl); err != nil {
			return err
		}
	}
	return nil
}

// Get returns the value from the first tier that has it.
func (l *Layered) Get(ctx context.Context, key Key) ([]byte, bool, error) {
	found, err := l.GetMany(ctx, []Key{key})
	v, ok := found[key]
	return v, ok, err
}

// GetMany returns the values found for keys, each from the first tier that
// has it, and copies what a slower tier had into the faster ones. A failing
// tier counts as a miss: the error is reported, not returned.
func (l *Layered) GetMany(ctx context.Context, keys []Key) (map[Key][]byte, error) {
	found := make(map[Key][]byte, len(keys))
	missing := keys
	for i, t := range l.tiers {
		if len(missing) == 0 {
			break
		}
		got, err := getMany(ctx, t, missing)
		if err != nil {
			l.fail(fmt.Errorf("cache tier %d get: %w", i, err))
			continue
		}
		if len(got) == 0 {
			continue
		}
		var back []Entry
		rest := make([]Key, 0, len(missing)-len(got))
		for _, k := range missing {
			if v, ok := got[k]; ok {
				found[k] = v
				back = append(back, Entry{k, v})
			} else {
				rest = append(rest, k)
			}
		}
		for _, faster := range l.tiers[:i] {
			if err := setMany(ctx, faster, back, 0); err != nil {
				l.fail(fmt.Errorf("cache backfill: %w", err))
			}
		}
		missing = rest
	}
	return found, nil
}

// Set stores value in every tier; it returns the tiers' errors joined.
func (l *Layered) Set(ctx context.Context, key Key, value []byte, ttl time.Duration) error {
	return l.SetMany(ctx, []Entry{{key, value}}, ttl)
}

// SetMany stores entries in every tier, in one round trip a tier where the
// tier can; it returns the tiers' errors joined.
func (l *Layered) SetMany(ctx context.Context, entries []Entry, ttl time.Duration) error {
	var errs []error
	for i, t := range l.tiers {
		if err := setMany(ctx, t, entries, ttl); err != nil {
			err = fmt.Errorf("cache tier %d set: %w", i, err)
			l.fail(err)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Errors is the number of tier failures so far.
func (l *Layered) Errors() uint64 { return l.errors.Load() }

func (l *Layered) fail(err error) {
	l.errors.Add(1)
	if l.report != nil {
		l.report(err)
	}
}
