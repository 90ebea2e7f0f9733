package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/metrics"
)

// stub is a Translator that records requests and replays a script.
type stub struct {
	mu        sync.Mutex
	translate []gateway.TranslateRequest
	summarize []gateway.SummarizeRequest
	events    []gateway.StreamEvent
	err       error
	cached    bool
}

func (s *stub) Translate(_ context.Context, req gateway.TranslateRequest, stream func(gateway.StreamEvent)) (*gateway.Translation, error) {
	s.mu.Lock()
	s.translate = append(s.translate, req)
	events, err, cached := s.events, s.err, s.cached
	s.mu.Unlock()
	text := ""
	for _, e := range events {
		if stream != nil {
			stream(e)
		}
		text += e.Text
	}
	if err != nil {
		return nil, err
	}
	return &gateway.Translation{Translation: text, SourceLang: "ar", TargetLang: "en", Cached: cached}, nil
}

func (s *stub) Summarize(_ context.Context, req gateway.SummarizeRequest) (*gateway.Summary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.summarize = append(s.summarize, req)
	if s.err != nil {
		return nil, s.err
	}
	return &gateway.Summary{Headline: "H", Bullets: []string{"A."}}, nil
}

func newTestServer(t *testing.T, st *stub) (*Server, *httptest.Server) {
	t.Helper()
	s := New(Config{MaxBodyBytes: 1 << 10, RequestTimeout: 5 * time.Second, StreamHeartbeat: 20 * time.Millisecond}, Deps{
		Translator: st,
		Ready:      map[string]Check{"model": func(context.Context) error { return st.err }},
		CacheStats: func() any { return map[string]int{"hits": 7} },
		Metrics:    metrics.New(),
	})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

func do(t *testing.T, method, url, contentType, body string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func problem(t *testing.T, resp *http.Response, body []byte) Problem {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json (body %s)", ct, body)
	}
	var p Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body %s: %v", body, err)
	}
	if p.Status != resp.StatusCode || p.RequestID != resp.Header.Get("X-Request-Id") || p.RequestID == "" ||
		!strings.HasSuffix(p.Type, "#"+string(p.Code)) || p.Title == "" {
		t.Errorf("problem %+v does not match its response (status %d)", p, resp.StatusCode)
	}
	return p
}

func TestDecodeErrors(t *testing.T) {
	_, ts := newTestServer(t, &stub{})
	tests := []struct {
		name, contentType, body string
		status                  int
		code                    gateway.Code
		field                   string
	}{
		{"malformed", "application/json", `{"text": "نص"`, 400, gateway.CodeMalformedJSON, ""},
		{"empty body", "application/json", ``, 400, gateway.CodeMalformedJSON, ""},
		{"array", "application/json", `["نص"]`, 400, gateway.CodeMalformedJSON, ""},
		{"trailing data", "application/json", `{"text": "نص"} {"x": 1}`, 400, gateway.CodeMalformedJSON, ""},
		{"unknown field", "application/json", `{"text": "نص", "txet": "x"}`, 400, gateway.CodeUnknownField, "txet"},
		{"bullets on translate", "application/json", `{"text": "نص", "bullets": 3}`, 400, gateway.CodeUnknownField, "bullets"},
		{"wrong type", "application/json", `{"text": 42}`, 400, gateway.CodeInvalidField, "text"},
		{"invalid utf-8", "application/json", "{\"text\": \"\xff\xfe\"}", 400, gateway.CodeInvalidUTF8, ""},
		{"too large", "application/json", `{"text": "` + strings.Repeat("x", 2000) + `"}`, 413, gateway.CodeBodyTooLarge, ""},
		{"form", "application/x-www-form-urlencoded", "text=x", 415, gateway.CodeUnsupportedMedia, ""},
		{"garbage content type", "%%%", "x", 415, gateway.CodeUnsupportedMedia, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, "POST", ts.URL+"/v1/translate", tt.contentType, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			p := problem(t, resp, body)
			if p.Code != tt.code || p.Field != tt.field {
				t.Errorf("code %q field %q, want %q %q: %s", p.Code, p.Field, tt.code, tt.field, p.Detail)
			}
		})
	}
}

func TestPlainTextAndHTMLBodies(t *testing.T) {
	st := &stub{events: []gateway.StreamEvent{{Text: "x"}}}
	_, ts := newTestServer(t, st)
	resp, _ := do(t, "POST", ts.URL+"/v1/translate?source_lang=ar&target_lang=fr&title=T&glossaries=a,b", "text/plain; charset=utf-8", "نص المقال")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	resp, body := do(t, "POST", ts.URL+"/v1/summarize?bullets=3", "text/html", "<p>نص</p>", "Cache-Control", "no-cache")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	for _, bad := range []string{"three", "0", "-2"} {
		resp, body = do(t, "POST", ts.URL+"/v1/summarize?bullets="+bad, "text/plain", "نص")
		if p := problem(t, resp, body); p.Code != gateway.CodeInvalidField || p.Field != "bullets" {
			t.Errorf("bullets=%s: %+v", bad, p)
		}
	}
	tr, sum := st.translate[0], st.summarize[0]
	if tr.Text != "نص المقال" || tr.SourceLang != "ar" || tr.TargetLang != "fr" || tr.Title != "T" || len(tr.Glossaries) != 2 || tr.Refresh {
		t.Errorf("translate request %+v", tr)
	}
	if sum.Format != gateway.FormatHTML || sum.Bullets != 3 || !sum.Refresh {
		t.Errorf("summarize request %+v", sum)
	}
}

func TestServiceErrorsBecomeProblems(t *testing.T) {
	st := &stub{}
	_, ts := newTestServer(t, st)
	st.err = &gateway.Error{Code: gateway.CodeQueueFull, Detail: "busy", RetryAfter: 1500 * time.Millisecond}
	resp, body := do(t, "POST", ts.URL+"/v1/translate", "application/json", `{"text": "نص"}`)
	p := problem(t, resp, body)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || p.RetryAfter != 2 {
		t.Errorf("status %d, Retry-After %q, problem %+v", resp.StatusCode, resp.Header.Get("Retry-After"), p)
	}
	st.err = errors.New("secret internal detail")
	resp, body = do(t, "POST", ts.URL+"/v1/summarize", "application/json", `{"text": "نص"}`)
	if p := problem(t, resp, body); resp.StatusCode != 500 || p.Code != gateway.CodeInternal || strings.Contains(string(body), "secret") {
		t.Errorf("internal error leaked or misreported: %d %s", resp.StatusCode, body)
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	_, ts := newTestServer(t, &stub{})
	resp, body := do(t, "GET", ts.URL+"/v1/nope", "", "")
	if p := problem(t, resp, body); resp.StatusCode != 404 || p.Code != gateway.CodeNotFound {
		t.Errorf("%d %+v", resp.StatusCode, p)
	}
	resp, body = do(t, "GET", ts.URL+"/v1/translate", "", "")
	if p := problem(t, resp, body); resp.StatusCode != 405 || p.Code != gateway.CodeMethodNotAllowed {
		t.Errorf("%d %+v", resp.StatusCode, p)
	}
}

func TestPanicIsRecovered(t *testing.T) {
	s, ts := newTestServer(t, &stub{})
	s.echo.GET("/panic", func(echo.Context) error { panic("boom") })
	resp, body := do(t, "GET", ts.URL+"/panic", "", "")
	if p := problem(t, resp, body); resp.StatusCode != 500 || p.Code != gateway.CodeInternal || strings.Contains(string(body), "boom") {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
	if resp, _ := do(t, "GET", ts.URL+"/healthz", "", ""); resp.StatusCode != 200 {
		t.Error("server down after a panic")
	}
}

func TestRequestID(t *testing.T) {
	_, ts := newTestServer(t, &stub{})
	resp, _ := do(t, "GET", ts.URL+"/healthz", "", "", "X-Request-Id", "abc-123")
	if got := resp.Header.Get("X-Request-Id"); got != "abc-123" {
		t.Errorf("caller's id not kept: %q", got)
	}
	resp, _ = do(t, "GET", ts.URL+"/healthz", "", "", "X-Request-Id", "bad id\twith <tags>")
	if got := resp.Header.Get("X-Request-Id"); got == "" || strings.ContainsAny(got, " <") {
		t.Errorf("unsafe id echoed: %q", got)
	}
}

func TestReadyAndStats(t *testing.T) {
	st := &stub{}
	_, ts := newTestServer(t, st)
	if resp, body := do(t, "GET", ts.URL+"/readyz", "", ""); resp.StatusCode != 200 || !strings.Contains(string(body), `"model":"ok"`) {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
	st.err = gateway.Errorf(gateway.CodeModelNotConfigured, "set DRAGOMAN_MODEL")
	resp, body := do(t, "GET", ts.URL+"/readyz", "", "")
	if p := problem(t, resp, body); resp.StatusCode != 503 || !strings.Contains(p.Detail, "DRAGOMAN_MODEL") {
		t.Errorf("%d %+v", resp.StatusCode, p)
	}
	if resp, body := do(t, "GET", ts.URL+"/v1/cache/stats", "", ""); resp.StatusCode != 200 || string(body) != "{\"hits\":7}\n" {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
	if resp, body := do(t, "GET", ts.URL+"/metrics", "", ""); resp.StatusCode != 200 || !strings.Contains(string(body), `dragoman_http_requests_total{method="GET",route="/readyz",status="503"} 1`) {
		t.Errorf("metrics: %d\n%s", resp.StatusCode, body)
	}
}

// sse reads a whole event stream.
func sse(t *testing.T, body io.Reader) (events []string, data []string) {
	t.Helper()
	sc := bufio.NewScanner(body)
	var event string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			events = append(events, event)
			data = append(data, strings.TrimPrefix(line, "data: "))
		}
	}
	return events, data
}

func TestStreamFraming(t *testing.T) {
	st := &stub{events: []gateway.StreamEvent{{Text: "Hello "}, {Text: "wrld"}, {Rewind: true, Keep: 1}, {Text: "world"}}}
	_, ts := newTestServer(t, st)
	req, _ := http.NewRequest("POST", ts.URL+"/v1/translate", strings.NewReader(`{"text": "نص"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" || resp.Header.Get("X-Cache") != "MISS" {
		t.Errorf("headers %v", resp.Header)
	}
	events, data := sse(t, resp.Body)
	if strings.Join(events, ",") != "delta,delta,rewind,delta,done" || data[2] != `{"keep":1}` {
		t.Errorf("events %v %v", events, data)
	}

	// An error before any event is a plain problem response.
	st.events, st.err = nil, gateway.Errorf(gateway.CodeUpstreamTimeout, "slow")
	resp2, body := do(t, "POST", ts.URL+"/v1/translate?stream=true", "application/json", `{"text": "نص"}`)
	if p := problem(t, resp2, body); resp2.StatusCode != 504 || p.Code != gateway.CodeUpstreamTimeout {
		t.Errorf("%d %s", resp2.StatusCode, body)
	}
	// After the first event, an error event carries the problem.
	st.events = []gateway.StreamEvent{{Text: "partial"}}
	resp3, body := do(t, "POST", ts.URL+"/v1/translate?stream=true", "application/json", `{"text": "نص"}`)
	events, data = sse(t, strings.NewReader(string(body)))
	if resp3.StatusCode != 200 || strings.Join(events, ",") != "delta,error" || !strings.Contains(data[1], `"code":"upstream_timeout"`) {
		t.Errorf("%d %v %v", resp3.StatusCode, events, data)
	}
	// A cached answer streams at once, marked as a hit.
	st.events, st.err, st.cached = nil, nil, true
	resp4, body := do(t, "POST", ts.URL+"/v1/translate?stream=1", "application/json", `{"text": "نص"}`)
	if events, _ := sse(t, strings.NewReader(string(body))); resp4.Header.Get("X-Cache") != "HIT" || strings.Join(events, ",") != "delta,done" {
		t.Errorf("cached stream: %v %v", resp4.Header.Get("X-Cache"), events)
	}
}
