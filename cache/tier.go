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

// Get returns the value from the first tier that has it.
func (l *Layered) Get(ctx context.Context, key Key) ([]byte, bool, error) {
	for i, t := range l.tiers {
		v, ok, err := t.Get(ctx, key)
		if err != nil {
			l.fail(fmt.Errorf("cache tier %d get: %w", i, err))
			continue
		}
		if ok {
			for _, faster := range l.tiers[:i] {
				if err := faster.Set(ctx, key, v, 0); err != nil {
					l.fail(fmt.Errorf("cache backfill: %w", err))
				}
			}
			return v, true, nil
		}
	}
	return nil, false, nil
}

// Set stores value in every tier; it returns the tiers' errors joined.
func (l *Layered) Set(ctx context.Context, key Key, value []byte, ttl time.Duration) error {
	var errs []error
	for i, t := range l.tiers {
		if err := t.Set(ctx, key, value, ttl); err != nil {
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
