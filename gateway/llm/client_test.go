package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/llm"
	"github.com/dragoman-news/dragoman/gateway/llmtest"
)

func config(url string) llm.Config {
	return llm.Config{
		BaseURL: url, CallTimeout: 5 * time.Second, Retries: 2,
		RetryBase: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond,
		MaxConcurrent: 4, MaxQueue: 16, QueueRetryAfter: time.Second, MaxResponseBytes: 1 << 20,
	}
}

var article = []gateway.Message{
	{Role: gateway.RoleSystem, Content: "Translate. The article has 2 paragraphs."},
	{Role: gateway.RoleUser, Content: "<<<ARTICLE abc>>>\nقال الرئيس إن عام 2022 كان صعبا.\n\nوأضاف أن المحادثات ستستمر.\n<<<END ARTICLE abc>>>"},
}

func chat(t *testing.T, c *llm.Client, req gateway.ChatRequest) (gateway.ChatResponse, error) {
	t.Helper()
	if req.Model == "" {
		req.Model = "test-model"
	}
	if req.Messages == nil {
		req.Messages = article
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.Chat(ctx, req)
}

func TestTemperatureZeroReachesTheServer(t *testing.T) {
	fake := llmtest.Start(t)
	for _, tt := range []struct {
		configured float64
		wantAtMost float64
	}{{0, 1e-5}, {0.7, 0.7 + 1e-6}} {
		cfg := config(fake.URL)
		cfg.Temperature = tt.configured
		if _, err := chat(t, llm.New(cfg), gateway.ChatRequest{}); err != nil {
			t.Fatal(err)
		}
		reqs := fake.Requests()
		last := reqs[len(reqs)-1]
		var raw map[string]any
		_ = json.Unmarshal(last.Body, &raw)
		temp, present := raw["temperature"].(float64)
		if !present {
			t.Fatalf("temperature %v: field missing from the request body %s (the server would use its default)", tt.configured, last.Body)
		}
		if temp <= 0 && tt.configured == 0 || temp > tt.wantAtMost || temp < tt.configured {
			t.Errorf("configured %v: sent %v", tt.configured, temp)
		}
	}
}

func TestTokenLimitField(t *testing.T) {
	fake := llmtest.Start(t)
	for _, field := range []string{llm.MaxTokens, llm.MaxCompletionTokens} {
		cfg := config(fake.URL)
		cfg.TokenField = field
		if _, err := chat(t, llm.New(cfg), gateway.ChatRequest{MaxTokens: 321}); err != nil {
			t.Fatal(err)
		}
		r := fake.Requests()[len(fake.Requests())-1]
		got := r.MaxTokens
		other := r.MaxCompletionTokens
		if field == llm.MaxCompletionTokens {
			got, other = other, got
		}
		if got == nil || *got != 321 || other != nil {
			t.Errorf("%s: max_tokens=%v max_completion_tokens=%v", field, r.MaxTokens, r.MaxCompletionTokens)
		}
	}
}

func TestReasoningModelsGetNeitherTemperatureNorMaxTokens(t *testing.T) {
	fake := llmtest.Start(t)
	c := llm.New(config(fake.URL))
	if _, err := chat(t, c, gateway.ChatRequest{Model: "gpt-5-mini", MaxTokens: 100}); err != nil {
		t.Fatal(err)
	}
	r := fake.Requests()[0]
	if r.Temperature != nil || r.MaxTokens != nil || r.MaxCompletionTokens == nil || *r.MaxCompletionTokens != 100 {
		t.Errorf("temperature=%v max_tokens=%v max_completion_tokens=%v", r.Temperature, r.MaxTokens, r.MaxCompletionTokens)
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name     string
		faults   []llmtest.FaultKind
		wantCode gateway.Code
		calls    int
	}{
		{"500 then success", []llmtest.FaultKind{llmtest.ServerError}, "", 2},
		{"malformed JSON then success", []llmtest.FaultKind{llmtest.MalformedJSON}, "", 2},
		{"500 every time", []llmtest.FaultKind{llmtest.ServerError, llmtest.ServerError, llmtest.ServerError}, gateway.CodeUpstreamError, 3},
		{"malformed every time", []llmtest.FaultKind{llmtest.MalformedJSON, llmtest.MalformedJSON, llmtest.MalformedJSON}, gateway.CodeUpstreamBadResponse, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := llmtest.Start(t)
			fake.FailKinds(tt.faults...)
			_, err := chat(t, llm.New(config(fake.URL)), gateway.ChatRequest{})
			if got := gateway.CodeOf(err); got != tt.wantCode {
				t.Errorf("code = %q (%v), want %q", got, err, tt.wantCode)
			}
			if fake.Calls() != tt.calls {
				t.Errorf("calls = %d, want %d", fake.Calls(), tt.calls)
			}
		})
	}
}

func TestRateLimitHonoursRetryAfter(t *testing.T) {
	fake := llmtest.Start(t)
	fake.Fail(llmtest.Fault{Kind: llmtest.RateLimit, RetryAfter: time.Second})
	start := time.Now()
	if _, err := chat(t, llm.New(config(fake.URL)), gateway.ChatRequest{}); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("retried after %v, before the server's Retry-After of 1s", waited)
	}

	// When every try is rate limited, the caller learns when to come back.
	fake.Fail(llmtest.Fault{Kind: llmtest.RateLimit, RetryAfter: 2 * time.Second}, llmtest.Fault{Kind: llmtest.RateLimit, RetryAfter: 2 * time.Second})
	cfg := config(fake.URL)
	cfg.Retries = 0
	_, err := chat(t, llm.New(cfg), gateway.ChatRequest{})
	e := gateway.AsError(err)
	if e.Code != gateway.CodeUpstreamRateLimited || e.Status() != http.StatusServiceUnavailable || e.RetryAfter != 2*time.Second {
		t.Errorf("got %v (retry after %v)", err, e.RetryAfter)
	}
}

func TestRetryAfterBeyondDeadlineFailsAtOnce(t *testing.T) {
	fake := llmtest.Start(t)
	fake.Fail(llmtest.Fault{Kind: llmtest.RateLimit, RetryAfter: 30 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := llm.New(config(fake.URL)).Chat(ctx, gateway.ChatRequest{Model: "m", Messages: article})
	if gateway.CodeOf(err) != gateway.CodeUpstreamRateLimited || time.Since(start) > time.Second {
		t.Errorf("got %v after %v; want rate limited at once", err, time.Since(start))
	}
}

func TestHangTimesOut(t *testing.T) {
	fake := llmtest.Start(t)
	fake.FailKinds(llmtest.Hang, llmtest.Hang)
	cfg := config(fake.URL)
	cfg.CallTimeout, cfg.Retries = 100*time.Millisecond, 1
	_, err := chat(t, llm.New(cfg), gateway.ChatRequest{})
	if e := gateway.AsError(err); e.Code != gateway.CodeUpstreamTimeout || e.Status() != http.StatusGatewayTimeout {
		t.Errorf("got %v", err)
	}
	if fake.Calls() != 2 {
		t.Errorf("calls = %d, want 2 (a timeout is retried)", fake.Calls())
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusBadRequest} {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"error": {"message": "nope", "type": "invalid_request_error"}}`))
		}))
		_, err := chat(t, llm.New(config(srv.URL)), gateway.ChatRequest{})
		srv.Close()
		e := gateway.AsError(err)
		if e.Code != gateway.CodeUpstreamError || e.Status() != http.StatusBadGateway || calls.Load() != 1 {
			t.Errorf("status %d: %v after %d calls", status, err, calls.Load())
		}
		if status == http.StatusUnauthorized && !strings.Contains(e.Detail, "OPENAI_API_KEY") {
			t.Errorf("401 detail does not say what to set: %q", e.Detail)
		}
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/v1"
	ln.Close()
	_, err = chat(t, llm.New(config(url)), gateway.ChatRequest{})
	if gateway.CodeOf(err) != gateway.CodeUpstreamUnreachable {
		t.Errorf("got %v", err)
	}
}

func TestOversizedResponseIsRejected(t *testing.T) {
	fake := llmtest.Start(t)
	fake.Respond(func(llmtest.Request) string { return strings.Repeat("word ", 1000) })
	cfg := config(fake.URL)
	cfg.MaxResponseBytes = 1000
	_, err := chat(t, llm.New(cfg), gateway.ChatRequest{})
	if gateway.CodeOf(err) != gateway.CodeUpstreamBadResponse {
		t.Errorf("got %v", err)
	}
}

func TestJSONSchemaFallsBackAndIsRemembered(t *testing.T) {
	fake := llmtest.Start(t)
	fake.RejectJSONSchema(true)
	c := llm.New(config(fake.URL))
	schema := &gateway.JSONSchema{Name: "summary", Schema: []byte(`{"type":"object","properties":{"headline":{"type":"string"},"bullets":{"type":"array","items":{"type":"string"},"minItems":2,"maxItems":2}},"required":["headline","bullets"],"additionalProperties":false}`)}
	resp, err := chat(t, c, gateway.ChatRequest{JSON: schema})
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid([]byte(resp.Content)) {
		t.Errorf("answer is not JSON: %s", resp.Content)
	}
	formats := func() []string {
		var out []string
		for _, r := range fake.Requests() {
			out = append(out, r.ResponseFormat)
		}
		return out
	}
	if got := strings.Join(formats(), ","); got != "json_schema,json_object" {
		t.Errorf("formats sent = %s", got)
	}
	if _, err := chat(t, c, gateway.ChatRequest{JSON: schema}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(formats(), ","); got != "json_schema,json_object,json_object" {
		t.Errorf("the fallback was not remembered: formats sent = %s", got)
	}
}

func TestJSONFallsBackToPlainText(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "application/json")
		if body["response_format"] != nil {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error": {"message": "response_format is not supported"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"choices": [{"message": {"role": "assistant", "content": "{\"ok\": true}"}, "finish_reason": "stop"}]}`))
	}))
	defer srv.Close()
	resp, err := chat(t, llm.New(config(srv.URL)), gateway.ChatRequest{JSON: &gateway.JSONSchema{Name: "x", Schema: []byte(`{"type":"object"}`)}})
	if err != nil || resp.Content != `{"ok": true}` {
		t.Errorf("got %q, %v", resp.Content, err)
	}
}

func TestStreaming(t *testing.T) {
	fake := llmtest.Start(t)
	var deltas []string
	resp, err := chat(t, llm.New(config(fake.URL)), gateway.ChatRequest{Stream: func(d string) { deltas = append(deltas, d) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(deltas) < 5 || strings.Join(deltas, "") != resp.Content {
		t.Errorf("%d deltas adding up to %q; content %q", len(deltas), strings.Join(deltas, ""), resp.Content)
	}
	if resp.Usage.PromptTokens == 0 || resp.FinishReason != "stop" {
		t.Errorf("usage %+v, finish %q: the usage-only final chunk was not read", resp.Usage, resp.FinishReason)
	}
	if r := fake.Requests()[0]; !r.Stream || !r.IncludeUsage {
		t.Errorf("stream=%v include_usage=%v", r.Stream, r.IncludeUsage)
	}
}

func TestStreamDroppedMidwayRestartsCleanly(t *testing.T) {
	fake := llmtest.Start(t)
	fake.FailKinds(llmtest.Disconnect)
	var text strings.Builder
	restarts := 0
	resp, err := chat(t, llm.New(config(fake.URL)), gateway.ChatRequest{
		Stream:  func(d string) { text.WriteString(d) },
		Restart: func() { restarts++; text.Reset() },
	})
	if err != nil {
		t.Fatal(err)
	}
	if restarts != 1 || text.String() != resp.Content {
		t.Errorf("restarts = %d; streamed %q, content %q", restarts, text.String(), resp.Content)
	}
}

func TestQueueFull(t *testing.T) {
	fake := llmtest.Start(t)
	release := fake.Hold()
	defer release()
	cfg := config(fake.URL)
	cfg.MaxConcurrent, cfg.MaxQueue = 1, 1
	c := llm.New(cfg)
	var wg sync.WaitGroup
	for range 2 { // one in flight, one queued
		wg.Go(func() { _, _ = chat(t, c, gateway.ChatRequest{}) })
	}
	deadline := time.Now().Add(5 * time.Second)
	for inFlight, queued := c.Load(); inFlight != 1 || queued != 1; inFlight, queued = c.Load() {
		if time.Now().After(deadline) {
			t.Fatalf("in flight %d, queued %d", inFlight, queued)
		}
		time.Sleep(time.Millisecond)
	}
	_, err := chat(t, c, gateway.ChatRequest{})
	e := gateway.AsError(err)
	if e.Code != gateway.CodeQueueFull || e.Status() != http.StatusTooManyRequests || e.RetryAfter != time.Second {
		t.Errorf("got %v", err)
	}
	release()
	wg.Wait()
}

func TestCallerCancellation(t *testing.T) {
	fake := llmtest.Start(t)
	fake.FailKinds(llmtest.Hang)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := llm.New(config(fake.URL)).Chat(ctx, gateway.ChatRequest{Model: "m", Messages: article})
	if gateway.CodeOf(err) != gateway.CodeClientClosed {
		t.Errorf("got %v", err)
	}
	if fake.Calls() != 1 {
		t.Errorf("a canceled call was retried: %d calls", fake.Calls())
	}
}

func TestAzure(t *testing.T) {
	fake := llmtest.Start(t)
	cfg := config(strings.TrimSuffix(fake.URL, "/v1"))
	cfg.Azure, cfg.AzureAPIVersion, cfg.APIKey = true, "2024-10-21", "azure-secret"
	if _, err := chat(t, llm.New(cfg), gateway.ChatRequest{Model: "my-deployment"}); err != nil {
		t.Fatal(err)
	}
	r := fake.Requests()[0]
	if r.Path != "/openai/deployments/my-deployment/chat/completions" || r.Header.Get("api-key") != "azure-secret" {
		t.Errorf("path %s, api-key %q", r.Path, r.Header.Get("api-key"))
	}
	if !llm.IsAzureURL("https://x.openai.azure.com/") || llm.IsAzureURL("http://localhost:11434/v1") {
		t.Error("IsAzureURL misjudges")
	}
}

func TestErrorsCarryNoSecrets(t *testing.T) {
	fake := llmtest.Start(t)
	fake.FailKinds(llmtest.ServerError, llmtest.ServerError, llmtest.ServerError)
	cfg := config(fake.URL)
	cfg.APIKey = "sk-very-secret"
	_, err := chat(t, llm.New(cfg), gateway.ChatRequest{})
	if err == nil || strings.Contains(err.Error(), "sk-very-secret") {
		t.Errorf("error %v", err)
	}
	if !errors.As(err, new(*gateway.Error)) {
		t.Error("not a gateway error")
	}
}
