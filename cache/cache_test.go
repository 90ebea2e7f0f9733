package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func key(s string) Key { return NewKey(Parts{Task: "t", Text: s}) }

func TestNewKeyCoversEveryPart(t *testing.T) {
	base := Parts{Task: "translate", Text: "نص", Options: map[string]string{"target": "en"}, Model: "m", PromptHash: "p1"}
	variants := map[string]Parts{
		"task":        {Task: "summarize", Text: "نص", Options: map[string]string{"target": "en"}, Model: "m", PromptHash: "p1"},
		"text":        {Task: "translate", Text: "نص آخر", Options: map[string]string{"target": "en"}, Model: "m", PromptHash: "p1"},
		"option":      {Task: "translate", Text: "نص", Options: map[string]string{"target": "fr"}, Model: "m", PromptHash: "p1"},
		"option name": {Task: "translate", Text: "نص", Options: map[string]string{"targe": "ten"}, Model: "m", PromptHash: "p1"},
		"model":       {Task: "translate", Text: "نص", Options: map[string]string{"target": "en"}, Model: "m2", PromptHash: "p1"},
		"prompt":      {Task: "translate", Text: "نص", Options: map[string]string{"target": "en"}, Model: "m", PromptHash: "p2"},
		"boundary":    {Task: "translat", Text: "eنص", Options: map[string]string{"target": "en"}, Model: "m", PromptHash: "p1"},
	}
	k := NewKey(base)
	for name, p := range variants {
		if NewKey(p) == k {
			t.Errorf("changing the %s gives the same key", name)
		}
	}
	reordered := base
	reordered.Options = map[string]string{"target": "en"}
	if NewKey(reordered) != k {
		t.Error("same parts, different key")
	}
	if got, ok := ParseKey(k.String()); !ok || got != k {
		t.Error("ParseKey(String()) does not round-trip")
	}
}

func TestMemoryByteCapEvictsOldestFirst(t *testing.T) {
	ctx := context.Background()
	value := bytes.Repeat([]byte("x"), 1000)
	per := int64(len(value)) + 32 + entryOverhead
	m := NewMemory(MemoryConfig{TTL: time.Hour, MaxBytes: 3 * per})
	for i := range 5 {
		if err := m.Set(ctx, key(fmt.Sprint(i)), value, 0); err != nil {
			t.Fatal(err)
		}
		if b := m.Stats().Bytes; b > 3*per {
			t.Fatalf("after set %d: %d bytes > cap %d", i, b, 3*per)
		}
	}
	for i, want := range []bool{false, false, true, true, true} {
		if _, ok, _ := m.Get(ctx, key(fmt.Sprint(i))); ok != want {
			t.Errorf("entry %d present = %v, want %v", i, ok, want)
		}
	}
	s := m.Stats()
	if s.Evictions != 2 || s.Items != 3 || s.Bytes != 3*per {
		t.Errorf("stats = %+v", s)
	}
}

func TestMemoryOverwriteKeepsByteCountExact(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(MemoryConfig{TTL: time.Hour, MaxBytes: 1 << 20})
	for i := range 100 {
		_ = m.Set(ctx, key("same"), bytes.Repeat([]byte("y"), i), 0)
	}
	want := int64(99) + 32 + entryOverhead
	if s := m.Stats(); s.Bytes != want || s.Items != 1 || s.Evictions != 0 {
		t.Errorf("stats = %+v, want %d bytes in 1 item", s, want)
	}
	if len(m.order) > 100 {
		t.Errorf("order queue holds %d entries for one item", len(m.order))
	}
}

func TestMemoryRefusesValueLargerThanCap(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(MemoryConfig{TTL: time.Hour, MaxBytes: 1000})
	_ = m.Set(ctx, key("small"), []byte("v"), 0)
	_ = m.Set(ctx, key("huge"), make([]byte, 2000), 0)
	if _, ok, _ := m.Get(ctx, key("small")); !ok {
		t.Error("a refused value evicted an entry")
	}
	if s := m.Stats(); s.Refused != 1 || s.Items != 1 {
		t.Errorf("stats = %+v", s)
	}
}

func TestMemoryExpiry(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := NewMemory(MemoryConfig{TTL: 30 * time.Millisecond, MaxBytes: 1 << 20, Sweep: 10 * time.Millisecond})
	go m.Run(ctx)
	_ = m.Set(ctx, key("a"), []byte("v"), 0)
	deadline := time.Now().Add(5 * time.Second)
	for m.Stats().Items > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	s := m.Stats()
	if s.Items != 0 || s.Bytes != 0 || s.Expirations != 1 {
		t.Errorf("after expiry: %+v", s)
	}
	if _, ok, _ := m.Get(ctx, key("a")); ok {
		t.Error("expired entry still served")
	}
}

func TestMemoryValuesAreImmutable(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(MemoryConfig{TTL: time.Hour, MaxBytes: 1 << 20})
	v := []byte("original")
	_ = m.Set(ctx, key("k"), v, 0)
	v[0] = 'X'
	got, _, _ := m.Get(ctx, key("k"))
	got[1] = 'Y'
	again, _, _ := m.Get(ctx, key("k"))
	if string(again) != "original" {
		t.Errorf("stored value changed to %q", again)
	}
}

type failingTier struct{ gets, sets atomic.Int32 }

func (f *failingTier) Get(context.Context, Key) ([]byte, bool, error) {
	f.gets.Add(1)
	return nil, false, errors.New("disk on fire")
}

func (f *failingTier) Set(context.Context, Key, []byte, time.Duration) error {
	f.sets.Add(1)
	return errors.New("disk on fire")
}

func TestLayeredBackfillsAndSurvivesFailures(t *testing.T) {
	ctx := context.Background()
	fast := NewMemory(MemoryConfig{TTL: time.Hour, MaxBytes: 1 << 20})
	slow := NewMemory(MemoryConfig{TTL: time.Hour, MaxBytes: 1 << 20})
	broken := &failingTier{}
	var reported []error
	l := NewLayered(func(err error) { reported = append(reported, err) }, fast, broken, slow)

	_ = slow.Set(ctx, key("k"), []byte("v"), 0)
	v, ok, err := l.Get(ctx, key("k"))
	if !ok || err != nil || string(v) != "v" {
		t.Fatalf("Get = %q, %v, %v", v, ok, err)
	}
	if _, ok, _ := fast.Get(ctx, key("k")); !ok {
		t.Error("value found in the slow tier was not copied into the fast one")
	}
	if err := l.Set(ctx, key("k2"), []byte("v2"), 0); err == nil {
		t.Error("Set hid the failing tier's error")
	}
	if _, ok, _ := slow.Get(ctx, key("k2")); !ok {
		t.Error("a failing tier stopped the write to the next one")
	}
	if l.Errors() != 3 || len(reported) != 3 { // get, backfill, set
		t.Errorf("errors = %d, reported %d; want 3", l.Errors(), len(reported))
	}
}

// batching is a tier that counts its round trips.
type batching struct {
	*Memory
	gets, sets atomic.Int64
}

func (b *batching) GetMany(ctx context.Context, keys []Key) (map[Key][]byte, error) {
	b.gets.Add(1)
	found := map[Key][]byte{}
	for _, k := range keys {
		if v, ok, _ := b.Memory.Get(ctx, k); ok {
			found[k] = v
		}
	}
	return found, nil
}

func (b *batching) SetMany(ctx context.Context, entries []Entry, ttl time.Duration) error {
	b.sets.Add(1)
	for _, e := range entries {
		_ = b.Memory.Set(ctx, e.Key, e.Value, ttl)
	}
	return nil
}

func TestLayeredBatches(t *testing.T) {
	ctx := context.Background()
	fast := NewMemory(MemoryConfig{TTL: time.Hour, MaxBytes: 1 << 20})
	slow := &batching{Memory: NewMemory(MemoryConfig{TTL: time.Hour, MaxBytes: 1 << 20})}
	c := New[string](NewLayered(nil, fast, slow), time.Hour)

	var keys []Key
	var entries []Entry
	for i := range 10 {
		keys = append(keys, key(fmt.Sprint(i)))
		entries = append(entries, Entry{keys[i], []byte(fmt.Sprint("v", i))})
	}
	c.SetMany(ctx, entries[:6])
	if slow.sets.Load() != 1 {
		t.Errorf("6 entries took %d writes to the batching tier, want 1", slow.sets.Load())
	}
	_ = fast.Set(ctx, keys[6], []byte("v6"), 0)        // only in the fast tier
	_ = slow.Memory.Set(ctx, keys[7], []byte("v7"), 0) // only in the slow tier
	found := c.GetMany(ctx, keys)
	if len(found) != 8 {
		t.Fatalf("found %d of 8 stored", len(found))
	}
	for i := range 8 {
		if string(found[keys[i]]) != fmt.Sprint("v", i) {
			t.Errorf("key %d = %q", i, found[keys[i]])
		}
	}
	// The fast tier answered 0-6; the slow tier was asked once, for the
	// rest, and what it had was copied into the fast tier.
	if slow.gets.Load() != 1 {
		t.Errorf("%d reads of the batching tier, want 1", slow.gets.Load())
	}
	if _, ok, _ := fast.Get(ctx, keys[7]); !ok {
		t.Error("a value found in the slow tier was not copied into the fast one")
	}
}

func newTestCache() *Cache[string] {
	return New[string](NewMemory(MemoryConfig{TTL: time.Hour, MaxBytes: 1 << 20}), time.Hour)
}

func TestCacheCoalescesConcurrentMisses(t *testing.T) {
	c := newTestCache()
	var calls atomic.Int32
	release := make(chan struct{})
	fill := func(ctx context.Context, emit func(string)) ([]byte, error) {
		calls.Add(1)
		<-release
		return []byte("answer"), nil
	}
	const n = 200
	var wg sync.WaitGroup
	sources := make([]Source, n)
	for i := range n {
		wg.Go(func() {
			v, src, err := c.Do(context.Background(), key("k"), false, fill, nil)
			if err != nil || string(v) != "answer" {
				t.Errorf("caller %d: %q, %v", i, v, err)
			}
			sources[i] = src
		})
	}
	waitFor(t, func() bool { return c.Counts().InFlight == 1 && calls.Load() == 1 })
	time.Sleep(20 * time.Millisecond) // let the rest join
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Errorf("%d computations for %d identical requests", calls.Load(), n)
	}
	var computed int
	for _, s := range sources {
		if s == Computed {
			computed++
		}
	}
	if computed != 1 {
		t.Errorf("%d callers report computing the answer", computed)
	}
	if _, src, _ := c.Do(context.Background(), key("k"), false, fill, nil); src != Hit {
		t.Error("the answer was not cached")
	}
}

func TestCacheSharesFailureAndNeverStoresIt(t *testing.T) {
	c := newTestCache()
	var calls atomic.Int32
	release := make(chan struct{})
	fail := func(ctx context.Context, emit func(string)) ([]byte, error) {
		calls.Add(1)
		<-release
		return nil, errors.New("upstream 500")
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, _, err := c.Do(context.Background(), key("k"), false, fail, nil); err == nil {
				t.Error("waiter did not get the failure")
			}
		})
	}
	waitFor(t, func() bool { return calls.Load() == 1 })
	time.Sleep(10 * time.Millisecond)
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Errorf("failed computation ran %d times", calls.Load())
	}
	if _, ok := c.GetMany(context.Background(), []Key{key("k")})[key("k")]; ok {
		t.Error("failure was cached")
	}
	v, src, err := c.Do(context.Background(), key("k"), false, func(context.Context, func(string)) ([]byte, error) {
		return []byte("ok"), nil
	}, nil)
	if err != nil || src != Computed || string(v) != "ok" {
		t.Errorf("retry after failure: %q, %v, %v", v, src, err)
	}
}

func TestCacheRefreshBypassesReadButWrites(t *testing.T) {
	c := newTestCache()
	ctx := context.Background()
	c.SetMany(ctx, []Entry{{key("k"), []byte("stale")}})
	v, src, err := c.Do(ctx, key("k"), true, func(context.Context, func(string)) ([]byte, error) {
		return []byte("fresh"), nil
	}, nil)
	if err != nil || src != Computed || string(v) != "fresh" {
		t.Fatalf("refresh = %q, %v, %v", v, src, err)
	}
	if got := c.GetMany(ctx, []Key{key("k")})[key("k")]; string(got) != "fresh" {
		t.Errorf("cache holds %q after refresh", got)
	}
}

func TestFlightCancelsOnlyWhenEveryCallerHasGone(t *testing.T) {
	var f Flight[string]
	started := make(chan struct{})
	canceled := make(chan struct{})
	fn := func(ctx context.Context, emit func(string)) ([]byte, error) {
		close(started)
		<-ctx.Done()
		close(canceled)
		return nil, ctx.Err()
	}
	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2, cancel2 := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	go func() { _, _, err := f.Do(ctx1, key("k"), fn, nil); errs <- err }()
	<-started
	go func() { _, _, err := f.Do(ctx2, key("k"), fn, nil); errs <- err }()
	waitFor(t, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.calls[key("k")] != nil && f.calls[key("k")].waiters == 2
	})
	cancel1()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Errorf("first caller: %v", err)
	}
	select {
	case <-canceled:
		t.Fatal("computation canceled while a caller still waits")
	case <-time.After(30 * time.Millisecond):
	}
	cancel2()
	<-errs
	select {
	case <-canceled:
	case <-time.After(5 * time.Second):
		t.Fatal("computation not canceled after every caller left")
	}
	if f.InFlight() != 0 {
		t.Error("abandoned call still registered")
	}
}

func TestFlightReplaysEventsToLateJoiners(t *testing.T) {
	var f Flight[string]
	step := make(chan struct{})
	fn := func(ctx context.Context, emit func(string)) ([]byte, error) {
		emit("a")
		emit("b")
		<-step
		emit("c")
		return []byte("abc"), nil
	}
	var first, late []string
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		_, _, _ = f.Do(context.Background(), key("k"), fn, func(e string) { mu.Lock(); first = append(first, e); mu.Unlock() })
		close(done)
	}()
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(first) == 2 })
	lateDone := make(chan []byte)
	go func() {
		v, shared, _ := f.Do(context.Background(), key("k"), fn, func(e string) { late = append(late, e) })
		if !shared {
			t.Error("late caller started its own call")
		}
		lateDone <- v
	}()
	time.Sleep(20 * time.Millisecond)
	close(step)
	<-done
	if v := <-lateDone; string(v) != "abc" {
		t.Errorf("late value = %q", v)
	}
	if strings.Join(first, "") != "abc" || strings.Join(late, "") != "abc" {
		t.Errorf("events: first %q, late %q", first, late)
	}
}

func TestFlightTurnsPanicIntoError(t *testing.T) {
	var f Flight[string]
	_, _, err := f.Do(context.Background(), key("k"), func(context.Context, func(string)) ([]byte, error) {
		panic("boom")
	}, nil)
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("err = %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
