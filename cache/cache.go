package cache

import (
	"context"
	"sync/atomic"
	"time"
)

// Source tells where an answer came from.
type Source int

const (
	// Computed answers were computed for this caller.
	Computed Source = iota
	// Hit answers came from a tier.
	Hit
	// Shared answers were computed once for several concurrent callers;
	// this caller joined a computation another caller started.
	Shared
)

// Cache looks answers up in its tiers and computes a missing answer once
// among concurrent callers, storing it only when the computation succeeds:
// a failure is shared by the callers waiting for it and never cached.
// E is the type of the events a computation streams to its callers.
type Cache[E any] struct {
	tiers  Tier
	ttl    time.Duration
	flight Flight[E]

	hits, misses, shared atomic.Uint64
}

// New returns a cache over tiers (often a *Layered) whose entries live for ttl.
func New[E any](tiers Tier, ttl time.Duration) *Cache[E] {
	return &Cache[E]{tiers: tiers, ttl: ttl}
}

// GetMany returns the stored values of those keys that have one, without
// computing anything.
func (c *Cache[E]) GetMany(ctx context.Context, keys []Key) map[Key][]byte {
	found, _ := getMany(ctx, c.tiers, keys)
	return found
}

// SetMany stores values computed outside Do.
func (c *Cache[E]) SetMany(ctx context.Context, entries []Entry) {
	_ = setMany(ctx, c.tiers, entries, c.ttl) // the tiers report their own failures
}

// Do returns the answer for key: from the tiers, or else from fill, run
// once for all concurrent callers of the same key. With refresh, the tiers
// are not read (the caller asked for a fresh answer) but still written.
func (c *Cache[E]) Do(ctx context.Context, key Key, refresh bool, fill FillFunc[E], onEvent func(E)) ([]byte, Source, error) {
	flightKey := key
	if refresh {
		// Refreshes coalesce with each other, never with a plain lookup that
		// could be answered from a tier.
		flightKey = NewKey(Parts{Task: "refresh", Text: string(key[:])})
	} else if v, ok, _ := c.tiers.Get(ctx, key); ok {
		c.hits.Add(1)
		return v, Hit, nil
	}
	v, shared, err := c.flight.Do(ctx, flightKey, func(ctx context.Context, emit func(E)) ([]byte, error) {
		if !refresh {
			// A call for the same key may have finished between the lookup
			// above and this flight.
			if v, ok, _ := c.tiers.Get(ctx, key); ok {
				return v, nil
			}
		}
		v, err := fill(ctx, emit)
		if err != nil {
			return nil, err
		}
		_ = c.tiers.Set(ctx, key, v, c.ttl)
		return v, nil
	}, onEvent)
	if shared {
		c.shared.Add(1)
		return v, Shared, err
	}
	c.misses.Add(1)
	return v, Computed, err
}

// Counts are a cache's lookups by outcome.
type Counts struct {
	Hits   uint64 `json:"hits"`
	Misses uint64 `json:"misses"`
	Shared uint64 `json:"coalesced"`
	// InFlight is the number of computations running now.
	InFlight int `json:"in_flight"`
}

// Counts returns the cache's lookups by outcome so far.
func (c *Cache[E]) Counts() Counts {
	return Counts{
		Hits:     c.hits.Load(),
		Misses:   c.misses.Load(),
		Shared:   c.shared.Load(),
		InFlight: c.flight.InFlight(),
	}
}
