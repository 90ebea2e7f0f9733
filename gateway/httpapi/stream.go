package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/dragoman-news/dragoman/gateway"
)

// wantsStream reports ?stream=true or an Accept of text/event-stream.
func wantsStream(r *http.Request) bool {
	switch strings.ToLower(r.URL.Query().Get("stream")) {
	case "true", "1", "yes":
		return true
	}
	for _, v := range r.Header.Values(echo.HeaderAccept) {
		for part := range strings.SplitSeq(v, ",") {
			if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/event-stream" {
				return true
			}
		}
	}
	return false
}

// streamTranslation answers with Server-Sent Events: delta and rewind
// events as the translation is produced, then done with the full answer.
// An error before the first event is an ordinary problem response; after
// it, an error event carrying the problem.
func (s *Server) streamTranslation(ctx context.Context, c echo.Context, req gateway.TranslateRequest) error {
	w := &eventWriter{res: c.Response()}
	defer w.stop()
	t, err := s.deps.Translator.Translate(ctx, req, func(ev gateway.StreamEvent) {
		w.begin("MISS", s.cfg.StreamHeartbeat)
		if ev.Rewind {
			w.send("rewind", map[string]int{"keep": ev.Keep})
			return
		}
		w.send("delta", map[string]string{"text": ev.Text})
	})
	if err != nil {
		if !w.started() {
			return err
		}
		p, _ := problemOf(c, err)
		w.send("error", p)
		c.Set(errorKey, err)
		return nil
	}
	if !w.started() {
		// Nothing was produced for this request: a cache hit, or an answer
		// shared with another request. It streams at once.
		w.begin(cacheValue(t.Cached), s.cfg.StreamHeartbeat)
		w.send("delta", map[string]string{"text": t.Translation})
	}
	w.send("done", t)
	return nil
}

func cacheValue(hit bool) string {
	if hit {
		return "HIT"
	}
	return "MISS"
}

// eventWriter writes Server-Sent Events, with a heartbeat comment while
// the stream is idle.
type eventWriter struct {
	res *echo.Response

	mu     sync.Mutex
	begun  bool
	last   time.Time
	ticker *time.Ticker
	done   chan struct{}
	wg     sync.WaitGroup
}

func (w *eventWriter) begin(cache string, heartbeat time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.begun {
		return
	}
	w.begun = true
	h := w.res.Header()
	h.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
	h.Set(echo.HeaderCacheControl, "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	h.Set("X-Cache", cache)
	w.res.WriteHeader(http.StatusOK)
	w.res.Flush()
	w.last = time.Now()
	if heartbeat > 0 {
		w.ticker = time.NewTicker(heartbeat)
		w.done = make(chan struct{})
		w.wg.Go(func() {
			for {
				select {
				case <-w.done:
					return
				case <-w.ticker.C:
					w.ping(heartbeat)
				}
			}
		})
	}
}

func (w *eventWriter) started() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.begun
}

func (w *eventWriter) send(event string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{}`)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	fmt.Fprintf(w.res, "event: %s\ndata: %s\n\n", event, b)
	w.res.Flush()
	w.last = time.Now()
}

func (w *eventWriter) ping(every time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if time.Since(w.last) >= every {
		fmt.Fprint(w.res, ": ping\n\n")
		w.res.Flush()
		w.last = time.Now()
	}
}

// stop ends the heartbeat; the handler must not return before it has.
func (w *eventWriter) stop() {
	w.mu.Lock()
	done := w.done
	w.mu.Unlock()
	if done != nil {
		close(done)
		w.ticker.Stop()
		w.wg.Wait()
	}
}
