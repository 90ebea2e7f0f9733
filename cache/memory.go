package cache

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	gocache "github.com/patrickmn/go-cache"
)

// entryOverhead approximates the bookkeeping bytes of one entry (map slot,
// item, key header), so that many tiny values cannot exceed the cap unseen.
const entryOverhead = 128

// MemoryConfig sets the limits of the in-memory tier.
type MemoryConfig struct {
	TTL      time.Duration // how long an entry lives; must be positive
	MaxBytes int64         // cap on the bytes of keys and values; must be positive
	// Sweep is how often expired entries are deleted; zero picks TTL/4,
	// clamped to between one second and one minute.
	Sweep time.Duration
}

// Memory is the first cache tier: go-cache with a byte cap, which go-cache
// lacks. Above the cap, the oldest entries are evicted first; since every
// entry has the same TTL, the oldest also expire first. Values are stored as
// strings, so no caller can change a cached value in place.
type Memory struct {
	items    *gocache.Cache
	ttl      time.Duration
	maxBytes int64
	sweep    time.Duration

	// mu serializes every change to items, so that bytes and order agree
	// with its contents. go-cache calls onEvicted on the goroutine that
	// holds mu, which lets onEvicted read reason without a lock of its own.
	mu     sync.Mutex
	order  []queued // insertion order, oldest first; may hold stale entries
	gen    uint64
	reason *atomic.Uint64

	bytes                                               atomic.Int64
	hits, misses, evictions, expirations, refused, sets atomic.Uint64
}

type entry struct {
	value string
	gen   uint64
	size  int64
}

type queued struct {
	key string
	gen uint64
}

// NewMemory returns an empty tier. Call Run to delete expired entries.
func NewMemory(cfg MemoryConfig) *Memory {
	sweep := cfg.Sweep
	if sweep <= 0 {
		sweep = min(max(cfg.TTL/4, time.Second), time.Minute)
	}
	m := &Memory{
		// No janitor: go-cache's cannot be stopped. Run sweeps instead.
		items:    gocache.New(cfg.TTL, 0),
		ttl:      cfg.TTL,
		maxBytes: cfg.MaxBytes,
		sweep:    sweep,
	}
	m.items.OnEvicted(m.onEvicted)
	return m
}

func (m *Memory) onEvicted(_ string, v any) {
	e := v.(entry)
	m.bytes.Add(-e.size)
	if m.reason != nil {
		m.reason.Add(1)
	}
}

// Run deletes expired entries every sweep interval until ctx is done.
func (m *Memory) Run(ctx context.Context) {
	t := time.NewTicker(m.sweep)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.DeleteExpired()
		}
	}
}

// DeleteExpired removes every expired entry now.
func (m *Memory) DeleteExpired() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reason = &m.expirations
	m.items.DeleteExpired()
	m.reason = nil
	m.compact()
}

// Get returns a copy of the value stored under key.
func (m *Memory) Get(_ context.Context, key Key) ([]byte, bool, error) {
	v, ok := m.items.Get(string(key[:]))
	if !ok {
		m.misses.Add(1)
		return nil, false, nil
	}
	m.hits.Add(1)
	return []byte(v.(entry).value), true, nil
}

// Set stores value under key for the tier's TTL (or ttl, when positive and
// shorter), evicting the oldest entries when the cap would be exceeded. A
// value larger than the whole cap is not stored.
func (m *Memory) Set(_ context.Context, key Key, value []byte, ttl time.Duration) error {
	if ttl <= 0 || ttl > m.ttl {
		ttl = m.ttl
	}
	k := string(key[:])
	size := int64(len(k)+len(value)) + entryOverhead
	if size > m.maxBytes {
		m.refused.Add(1)
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items.Delete(k) // an overwrite gives back the old entry's bytes
	for m.bytes.Load()+size > m.maxBytes && len(m.order) > 0 {
		m.evictOldest()
	}
	m.gen++
	m.items.Set(k, entry{value: string(value), gen: m.gen, size: size}, ttl)
	m.bytes.Add(size)
	m.sets.Add(1)
	m.order = append(m.order, queued{k, m.gen})
	if len(m.order) > 2*m.items.ItemCount()+1024 {
		m.compact()
	}
	return nil
}

// evictOldest drops the oldest live entry, skipping stale queue entries.
func (m *Memory) evictOldest() {
	q := m.order[0]
	m.order[0] = queued{}
	m.order = m.order[1:]
	if v, ok := m.items.Get(q.key); ok && v.(entry).gen != q.gen {
		return // overwritten since: the newer entry has its own place
	}
	m.reason = &m.evictions
	m.items.Delete(q.key) // also removes it if present but expired
	m.reason = nil
}

// compact drops queue entries whose item is gone or overwritten, and
// deletes items that expired without a sweep, so that every counted byte
// stays reachable from the queue.
func (m *Memory) compact() {
	live := m.order[:0]
	for _, q := range m.order {
		v, ok := m.items.Get(q.key)
		switch {
		case ok && v.(entry).gen == q.gen:
			live = append(live, q)
		case !ok:
			m.reason = &m.expirations
			m.items.Delete(q.key)
			m.reason = nil
		}
	}
	clear(m.order[len(live):])
	m.order = live
}

// Stats is a snapshot of a tier's counters.
type Stats struct {
	Hits        uint64 `json:"hits"`
	Misses      uint64 `json:"misses"`
	Sets        uint64 `json:"sets"`
	Evictions   uint64 `json:"evictions"`
	Expirations uint64 `json:"expirations"`
	Refused     uint64 `json:"refused"`
	Items       int    `json:"items"`
	Bytes       int64  `json:"bytes"`
	MaxBytes    int64  `json:"max_bytes"`
}

// Stats returns the tier's counters.
func (m *Memory) Stats() Stats {
	return Stats{
		Hits:        m.hits.Load(),
		Misses:      m.misses.Load(),
		Sets:        m.sets.Load(),
		Evictions:   m.evictions.Load(),
		Expirations: m.expirations.Load(),
		Refused:     m.refused.Load(),
		Items:       m.items.ItemCount(),
		Bytes:       m.bytes.Load(),
		MaxBytes:    m.maxBytes,
	}
}
