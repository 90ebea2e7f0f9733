package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dragoman-news/dragoman/gateway/llmtest"
)

func TestEndToEndTranslate(t *testing.T) {
	g := startGateway(t, nil)
	text := seed(t)
	withGlossary := articleJSON(t, map[string]any{"text": text, "glossary": map[string]string{"ميشوستين": "Mishustin"}})
	r := g.post(t, "/v1/translate", "application/json", withGlossary)
	if r.status != 200 || r.header.Get("X-Cache") != "MISS" || r.header.Get("X-Request-Id") == "" {
		t.Fatalf("status %d, headers %v: %s", r.status, r.header, r.body)
	}
	body := r.json(t)
	for _, field := range []string{"translation", "source_lang", "target_lang", "model", "cached", "usage"} {
		if _, ok := body[field]; !ok {
			t.Errorf("response lacks %q", field)
		}
	}
	want, err := os.ReadFile("../../testdata/golden/translate-seed.en.txt")
	if err != nil {
		t.Fatal(err)
	}
	if body["translation"].(string)+"\n" != string(want) {
		t.Errorf("HTTP translation differs from the pipeline's golden answer")
	}
	if body["source_lang"] != "ar" || body["model"] != "test-model" || body["cached"] != false {
		t.Errorf("body %v", body)
	}

	r = g.post(t, "/v1/translate", "application/json", withGlossary)
	if r.status != 200 || r.header.Get("X-Cache") != "HIT" || r.json(t)["cached"] != true {
		t.Errorf("second request: %d %s %s", r.status, r.header.Get("X-Cache"), r.body)
	}
	// Without the request's glossary it is another entry, but every
	// paragraph comes from the translation memory: no model call.
	r = g.post(t, "/v1/translate", "text/plain", text)
	if r.status != 200 || r.header.Get("X-Cache") != "MISS" || g.fake.Calls() != 1 || r.json(t)["translation"] != body["translation"] {
		t.Errorf("plain-text request: %d %s, %d calls", r.status, r.header.Get("X-Cache"), g.fake.Calls())
	}
	r = g.post(t, "/v1/translate", "text/plain", text, "Cache-Control", "no-cache")
	if r.status != 200 || r.header.Get("X-Cache") != "MISS" || g.fake.Calls() != 2 {
		t.Errorf("no-cache: %d %s, %d calls", r.status, r.header.Get("X-Cache"), g.fake.Calls())
	}
	if !strings.Contains(g.log.String(), "route=/v1/translate status=200") {
		t.Errorf("request not logged:\n%s", g.log.String())
	}
}

func TestEndToEndSummarize(t *testing.T) {
	g := startGateway(t, nil)
	r := g.post(t, "/v1/summarize", "application/json", articleJSON(t, map[string]any{"text": seed(t), "bullets": 4}))
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	body := r.json(t)
	if bullets, _ := body["bullets"].([]any); len(bullets) != 4 || body["headline"] == "" {
		t.Errorf("body %v", body)
	}
	r = g.post(t, "/v1/summarize?bullets=4", "text/plain; charset=utf-8", seed(t))
	if r.header.Get("X-Cache") != "HIT" {
		t.Errorf("X-Cache %q", r.header.Get("X-Cache"))
	}
}

func TestEndToEndStream(t *testing.T) {
	g := startGateway(t, map[string]string{"DRAGOMAN_CHUNK_TOKENS": "400"})
	long, err := os.ReadFile("../../testdata/article-long-ar.txt")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", g.url+"/v1/translate", strings.NewReader(string(long)))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var deltas []string
	var done string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		if e, ok := strings.CutPrefix(line, "event: "); ok {
			event = e
		}
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			switch event {
			case "delta":
				var v struct{ Text string }
				_ = jsonUnmarshal(d, &v)
				deltas = append(deltas, v.Text)
			case "rewind":
				var v struct{ Keep int }
				_ = jsonUnmarshal(d, &v)
				deltas = deltas[:v.Keep]
			case "done":
				var v struct{ Translation string }
				_ = jsonUnmarshal(d, &v)
				done = v.Translation
			case "error":
				t.Fatalf("error event: %s", d)
			}
		}
	}
	if len(deltas) < 20 || strings.Join(deltas, "") != done || done == "" {
		t.Errorf("%d deltas; they add up to the done event: %v", len(deltas), strings.Join(deltas, "") == done)
	}
}

func TestEndToEndErrors(t *testing.T) {
	g := startGateway(t, map[string]string{"DRAGOMAN_MAX_BODY_BYTES": "64KiB", "DRAGOMAN_MAX_ARTICLE_BYTES": "32KiB"})
	tests := []struct {
		name, contentType, body string
		status                  int
		code                    string
	}{
		{"malformed JSON", "application/json", `{"text": `, 400, "malformed_json"},
		{"unknown field", "application/json", `{"text": "نص", "colour": "red"}`, 400, "unknown_field"},
		{"missing text", "application/json", `{"source_lang": "ar"}`, 400, "missing_field"},
		{"invalid field", "application/json", `{"text": "نص", "target_lang": "xx"}`, 400, "unsupported_language"},
		{"body too large", "text/plain", strings.Repeat("نص ", 20000), 413, "body_too_large"},
		{"article too long", "text/plain", strings.Repeat("نص ", 8000), 413, "text_too_long"},
		{"unsupported type", "application/xml", `<text/>`, 415, "unsupported_media_type"},
		{"nothing to translate", "application/json", `{"text": "\u200f \n\t"}`, 422, "empty_text"},
		{"no arabic", "application/json", `{"text": "Hello", "source_lang": "ar"}`, 422, "no_arabic_text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := g.post(t, "/v1/translate", tt.contentType, tt.body)
			if r.status != tt.status || r.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("status %d (%s), want %d: %s", r.status, r.header.Get("Content-Type"), tt.status, r.body)
			}
			if p := r.json(t); p["code"] != tt.code || p["status"] != float64(tt.status) || p["request_id"] != r.header.Get("X-Request-Id") {
				t.Errorf("problem %v, want code %s", p, tt.code)
			}
		})
	}
	if g.fake.Calls() != 0 {
		t.Errorf("bad input reached the model %d times", g.fake.Calls())
	}
}

func TestEndToEndUpstreamFaults(t *testing.T) {
	g := startGateway(t, map[string]string{"DRAGOMAN_RETRIES": "1", "DRAGOMAN_UPSTREAM_TIMEOUT": "300ms"})
	tests := []struct {
		name   string
		faults []llmtest.Fault
		status int
		code   string
	}{
		{"server error", []llmtest.Fault{{Kind: llmtest.ServerError}, {Kind: llmtest.ServerError}}, 502, "upstream_error"},
		{"malformed JSON", []llmtest.Fault{{Kind: llmtest.MalformedJSON}, {Kind: llmtest.MalformedJSON}}, 502, "upstream_bad_response"},
		{"hang", []llmtest.Fault{{Kind: llmtest.Hang}, {Kind: llmtest.Hang}}, 504, "upstream_timeout"},
		{"rate limited", []llmtest.Fault{{Kind: llmtest.RateLimit, RetryAfter: time.Second}, {Kind: llmtest.RateLimit, RetryAfter: time.Second}}, 503, "upstream_rate_limited"},
		{"arabic answer", []llmtest.Fault{{Kind: llmtest.Arabic}, {Kind: llmtest.Arabic}}, 502, "wrong_language"},
		{"refusal", []llmtest.Fault{{Kind: llmtest.Refusal}, {Kind: llmtest.Refusal}}, 502, "model_refused"},
		{"truncated", []llmtest.Fault{{Kind: llmtest.Truncated}, {Kind: llmtest.Truncated}}, 502, "answer_truncated"},
		{"merged paragraphs", []llmtest.Fault{{Kind: llmtest.MergeParagraphs}, {Kind: llmtest.MergeParagraphs}}, 502, "paragraphs_lost"},
		{"500 then fine", []llmtest.Fault{{Kind: llmtest.ServerError}}, 200, ""},
		{"arabic then fine", []llmtest.Fault{{Kind: llmtest.Arabic}}, 200, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g.fake.Reset()
			g.fake.Fail(tt.faults...)
			// Every paragraph different each time, so that neither the cache
			// nor the translation memory answers.
			text := strings.ReplaceAll(seed(t), "\n\n", fmt.Sprintf(" (%d)\n\n", i))
			r := g.post(t, "/v1/translate", "text/plain", text)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.code != "" {
				if p := r.json(t); p["code"] != tt.code {
					t.Errorf("code %v, want %s", p["code"], tt.code)
				}
				if tt.status == 503 && r.header.Get("Retry-After") != "1" {
					t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
				}
				// Never cached: the same article succeeds once the model behaves.
				if r := g.post(t, "/v1/translate", "text/plain", text); r.status != 200 || r.header.Get("X-Cache") != "MISS" {
					t.Errorf("after the failure: %d %s", r.status, r.header.Get("X-Cache"))
				}
			}
		})
	}
}

func TestEndToEndQueueFull(t *testing.T) {
	g := startGateway(t, map[string]string{"DRAGOMAN_MAX_CONCURRENT": "1", "DRAGOMAN_MAX_QUEUE": "0"})
	release := g.fake.Hold()
	var wg sync.WaitGroup
	wg.Go(func() { g.post(t, "/v1/translate", "text/plain", seed(t)) })
	for g.fake.Calls() == 0 {
		time.Sleep(time.Millisecond)
	}
	r := g.post(t, "/v1/translate", "text/plain", "مقال آخر مختلف تماما عن الأول.")
	release()
	wg.Wait()
	if r.status != 429 || r.header.Get("Retry-After") == "" || r.json(t)["code"] != "queue_full" {
		t.Errorf("%d %v %s", r.status, r.header, r.body)
	}
}

func TestEndToEndNoModel(t *testing.T) {
	g := startGateway(t, map[string]string{"DRAGOMAN_MODEL": ""})
	r := g.get(t, "/readyz")
	if r.status != 503 || !strings.Contains(string(r.body), "DRAGOMAN_MODEL") {
		t.Errorf("readyz: %d %s", r.status, r.body)
	}
	if r := g.get(t, "/healthz"); r.status != 200 {
		t.Errorf("healthz: %d", r.status)
	}
	r = g.post(t, "/v1/summarize", "text/plain", seed(t))
	if r.status != 503 || r.json(t)["code"] != "model_not_configured" || !strings.Contains(r.json(t)["detail"].(string), "--demo") {
		t.Errorf("summarize: %d %s", r.status, r.body)
	}
}

func TestEndToEndDemo(t *testing.T) {
	g := startGateway(t, map[string]string{"DRAGOMAN_MODEL": "", "OPENAI_BASE_URL": ""}, "--demo")
	if r := g.get(t, "/readyz"); r.status != 200 {
		t.Fatalf("readyz: %d %s", r.status, r.body)
	}
	r := g.post(t, "/v1/translate", "text/plain", seed(t))
	if r.status != 200 || r.json(t)["demo"] != true || r.json(t)["model"] != llmtest.DemoModel {
		t.Errorf("%d %s", r.status, r.body)
	}
	r = g.post(t, "/v1/summarize", "text/plain", seed(t))
	if r.status != 200 || r.json(t)["demo"] != true {
		t.Errorf("%d %s", r.status, r.body)
	}
	if g.fake.Calls() != 0 {
		t.Error("demo mode called the configured server")
	}
}

func TestEndToEndObservability(t *testing.T) {
	g := startGateway(t, nil)
	g.post(t, "/v1/translate", "text/plain", seed(t))
	g.post(t, "/v1/translate", "text/plain", seed(t))
	r := g.get(t, "/v1/cache/stats")
	stats := r.json(t)
	requests := stats["requests"].(map[string]any)
	memory := stats["memory"].(map[string]any)
	if requests["hits"] != 1.0 || requests["misses"] != 1.0 || memory["bytes"].(float64) <= 0 {
		t.Errorf("stats %s", r.body)
	}
	metrics := string(g.get(t, "/metrics").body)
	for _, want := range []string{
		`dragoman_http_requests_total{method="POST",route="/v1/translate",status="200"} 2`,
		`dragoman_upstream_calls_total{model="test-model",outcome="ok"} 1`,
		`dragoman_tokens_total{kind="prompt",model="test-model"}`,
		`dragoman_cache_hits_total 1`,
		`dragoman_cache_bytes `,
		`dragoman_http_request_duration_seconds_bucket{route="/v1/translate"`,
		`go_goroutines`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestGracefulShutdownFinishesRequests(t *testing.T) {
	// Started and stopped by hand to observe the shutdown.
	fake := llmtest.Start(t)
	fake.SetLatency(300*time.Millisecond, 0)
	vars := map[string]string{"OPENAI_BASE_URL": fake.URL, "DRAGOMAN_MODEL": "m", "DRAGOMAN_ADDR": "127.0.0.1:0", "DRAGOMAN_DATA_DIR": t.TempDir()}
	log := &syncBuffer{}
	ctx, cancel := contextWithCancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"dragoman", "serve"}, func(k string) string { return vars[k] }, nil, nil, log)
	}()
	var url string
	for url == "" {
		if m := listening.FindStringSubmatch(log.String()); m != nil {
			url = "http://" + m[1]
		}
		time.Sleep(5 * time.Millisecond)
	}
	g := &gw{url: url, fake: fake, log: log}
	result := make(chan response, 1)
	go func() { result <- g.post(t, "/v1/translate", "text/plain", seed(t)) }()
	for fake.Calls() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if r := <-result; r.status != 200 {
		t.Errorf("request in flight during shutdown: %d %s", r.status, r.body)
	}
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}
