package cache

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
)

// Flight runs one computation per key among concurrent callers, like
// singleflight, with two differences that streaming needs. The computation
// runs detached from any one caller and is canceled only when every caller
// has gone. And it may emit events (streamed text) that every caller
// receives in order, a late joiner first getting those already emitted.
type Flight[E any] struct {
	mu    sync.Mutex
	calls map[Key]*call[E]
}

type call[E any] struct {
	cancel  context.CancelFunc
	waiters int // guarded by Flight.mu

	mu      sync.Mutex
	events  []E
	changed chan struct{} // closed and replaced whenever events grow or the call ends
	done    bool
	value   []byte
	err     error
}

// FillFunc computes a value, emitting events as it goes.
type FillFunc[E any] func(ctx context.Context, emit func(E)) ([]byte, error)

// Do returns the value of fn for key, running fn only if no call for key is
// in flight. onEvent (if not nil) receives every event of the call, in
// order, on the caller's goroutine. shared is true when the caller joined a
// call that another caller started. When ctx ends first, Do returns
// ctx.Err() at once; fn goes on while other callers still wait for it.
//
// fn's context carries the values and deadline of the first caller's
// context, but not its cancellation. A panic in fn becomes an error.
func (f *Flight[E]) Do(ctx context.Context, key Key, fn FillFunc[E], onEvent func(E)) (value []byte, shared bool, err error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = make(map[Key]*call[E])
	}
	c, shared := f.calls[key]
	if !shared {
		runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		if deadline, ok := ctx.Deadline(); ok {
			var cancelDeadline context.CancelFunc
			runCtx, cancelDeadline = context.WithDeadline(runCtx, deadline)
			cancel = chain(cancelDeadline, cancel)
		}
		c = &call[E]{cancel: cancel, changed: make(chan struct{})}
		f.calls[key] = c
		go f.run(runCtx, key, c, fn)
	}
	c.waiters++
	f.mu.Unlock()
	defer f.leave(key, c)

	delivered := 0
	for {
		c.mu.Lock()
		events := c.events[delivered:]
		delivered = len(c.events)
		done, changed := c.done, c.changed
		c.mu.Unlock()
		if onEvent != nil {
			for _, e := range events {
				onEvent(e)
			}
		}
		if done {
			return c.value, shared, c.err
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, shared, ctx.Err()
		}
	}
}

// InFlight is the number of calls running now.
func (f *Flight[E]) InFlight() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *Flight[E]) run(ctx context.Context, key Key, c *call[E], fn FillFunc[E]) {
	defer c.cancel()
	emit := func(e E) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.done {
			return
		}
		c.events = append(c.events, e)
		close(c.changed)
		c.changed = make(chan struct{})
	}
	value, err := protect(ctx, fn, emit)

	f.mu.Lock()
	if f.calls[key] == c {
		delete(f.calls, key)
	}
	f.mu.Unlock()

	c.mu.Lock()
	c.value, c.err, c.done = value, err, true
	close(c.changed)
	c.mu.Unlock()
}

func protect[E any](ctx context.Context, fn FillFunc[E], emit func(E)) (value []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cache: computation panicked: %v\n%s", r, debug.Stack())
		}
	}()
	return fn(ctx, emit)
}

// leave drops a caller; the last one to leave an unfinished call cancels it
// and forgets it, so that a later caller starts afresh.
func (f *Flight[E]) leave(key Key, c *call[E]) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c.waiters--
	if c.waiters > 0 {
		return
	}
	c.mu.Lock()
	done := c.done
	c.mu.Unlock()
	if !done {
		c.cancel()
		if f.calls[key] == c {
			delete(f.calls, key)
		}
	}
}

func chain(fns ...context.CancelFunc) context.CancelFunc {
	return func() {
		for _, fn := range fns {
			fn()
		}
	}
}
