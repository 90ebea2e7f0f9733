package llm

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// errBodyTooLarge is returned when an upstream response exceeds the limit.
var errBodyTooLarge = errors.New("llm: upstream response body exceeds the limit")

// errorBodyLimit bounds what is read of an error response: the detail is
// only for logs, and a misbehaving server must not make us buffer megabytes.
const errorBodyLimit = 64 << 10

// callInfo collects what go-openai drops: the status and Retry-After of the
// response. The doer fills it in through the request's context.
type callInfo struct {
	status     int
	retryAfter time.Duration
}

type callInfoKey struct{}

func withCallInfo(ctx context.Context, info *callInfo) context.Context {
	return context.WithValue(ctx, callInfoKey{}, info)
}

// doer wraps the HTTP client given to go-openai.
type doer struct {
	client  *http.Client
	maxBody int64
	now     func() time.Time
}

func (d doer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, err
	}
	if info, ok := req.Context().Value(callInfoKey{}).(*callInfo); ok {
		info.status = resp.StatusCode
		info.retryAfter = retryAfter(resp.Header, d.now())
	}
	limit := d.maxBody
	if resp.StatusCode >= 400 {
		limit = errorBodyLimit
	}
	resp.Body = &limitedBody{ReadCloser: resp.Body, left: limit, fail: resp.StatusCode < 400}
	return resp, nil
}

// retryAfter reads Retry-After (seconds or an HTTP date) or the
// retry-after-ms header some OpenAI-compatible servers send.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if ms, err := strconv.ParseFloat(strings.TrimSpace(h.Get("Retry-After-Ms")), 64); err == nil && ms > 0 {
		return time.Duration(ms * float64(time.Millisecond))
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// limitedBody reads at most left bytes. Past the limit it fails (for a
// success body, whose truncation would be misread as an answer) or reports
// EOF (for an error body, read only for its message).
type limitedBody struct {
	io.ReadCloser
	left int64
	fail bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		if !b.fail {
			return 0, io.EOF
		}
		// A body that ends exactly at the limit is fine.
		var one [1]byte
		if n, err := b.ReadCloser.Read(one[:]); n == 0 && err == io.EOF {
			return 0, io.EOF
		}
		return 0, errBodyTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}
