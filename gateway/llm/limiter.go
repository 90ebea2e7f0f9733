package llm

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/dragoman-news/dragoman/gateway"
)

// limiter caps the upstream calls in flight. Callers beyond the cap wait in
// a queue of bounded length; beyond that they are turned away at once with
// 429, because a queue that grows without bound only turns overload into
// timeouts.
type limiter struct {
	slots      chan struct{}
	waiting    atomic.Int64
	maxWaiting int64
	retryAfter time.Duration
}

func newLimiter(maxConcurrent, maxQueue int, retryAfter time.Duration) *limiter {
	return &limiter{
		slots:      make(chan struct{}, max(maxConcurrent, 1)),
		maxWaiting: int64(max(maxQueue, 0)),
		retryAfter: retryAfter,
	}
}

// acquire takes a slot, waiting in the queue if need be. The returned
// function gives the slot back.
func (l *limiter) acquire(ctx context.Context) (func(), error) {
	select {
	case l.slots <- struct{}{}:
		return l.release, nil
	default:
	}
	if l.waiting.Add(1) > l.maxWaiting {
		l.waiting.Add(-1)
		return nil, &gateway.Error{
			Code:       gateway.CodeQueueFull,
			Detail:     "The gateway is at its limit of concurrent model calls and its wait queue is full; retry later.",
			RetryAfter: l.retryAfter,
		}
	}
	defer l.waiting.Add(-1)
	select {
	case l.slots <- struct{}{}:
		return l.release, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (l *limiter) release() { <-l.slots }

// inFlight and queued report the limiter's state for metrics.
func (l *limiter) inFlight() int { return len(l.slots) }
func (l *limiter) queued() int   { return int(l.waiting.Load()) }
