// Package llmtest is an OpenAI-compatible chat server for tests, benchmarks
// and the gateway's demo mode. It answers with a deterministic simulation
// (see Simulation), streams when asked, records every request, and injects
// the faults real servers produce: rate limits with Retry-After, 5xx, hangs,
// malformed JSON, refusals, truncation, answers in the wrong language,
// reasoning blocks, and servers that refuse JSON schemas.
package llmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// DemoModel is the model name the simulator reports when asked for none.
const DemoModel = "dragoman-simulator"

// FaultKind is a way for a call to go wrong.
type FaultKind int

// Faults. Each applies to one call; see Server.Fail.
const (
	RateLimit       FaultKind = iota + 1 // 429 with Retry-After
	ServerError                          // 500
	Hang                                 // no answer until the client gives up
	MalformedJSON                        // 200 with a body that is not JSON
	Arabic                               // answers with the article itself
	Refusal                              // "I'm sorry, but I can't help with that."
	Truncated                            // half an answer, finish_reason "length"
	Empty                                // an empty answer
	Think                                // a <think> block and a preamble before the answer
	MergeParagraphs                      // the first two paragraphs merged
	DropNumbers                          // every digit removed
	WrongBullets                         // one item missing from every JSON list
	Obey                                 // follows an injected instruction: answers "HACKED"
	Disconnect                           // streams half the answer, then drops the connection
	ContentFilter                        // finish_reason "content_filter", no content
)

// Fault is one injected failure.
type Fault struct {
	Kind       FaultKind
	RetryAfter time.Duration // for RateLimit; sent rounded up to seconds
}

// Message is a chat message as received.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type message = Message

type responseFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema"`
		Strict bool            `json:"strict"`
	} `json:"json_schema"`
}

// Request is a recorded chat request.
type Request struct {
	Path                string
	Header              http.Header
	Body                []byte
	Model               string
	Messages            []Message
	Stream              bool
	IncludeUsage        bool
	Temperature         *float64
	MaxTokens           *int
	MaxCompletionTokens *int
	// ResponseFormat is "", "json_object" or "json_schema".
	ResponseFormat string
	Schema         json.RawMessage
}

// Article returns the text between the article markers of the request.
func (r Request) Article() string {
	return parseSimulation(r.Messages, nil).Article
}

// Responder computes an answer's content in place of the simulation.
type Responder func(Request) string

// Server is the fake. The zero value is not usable; call New or Start.
type Server struct {
	// URL is the base URL (ending in /v1) when started with Start.
	URL string

	mu           sync.Mutex
	requests     []Request
	faults       []Fault
	latency      time.Duration
	tokenLatency time.Duration
	rejectSchema bool
	respond      Responder
	gate         chan struct{}
}

// New returns a simulator; it is an http.Handler.
func New() *Server { return &Server{} }

// Start runs a new simulator on a loopback port until the test ends.
func Start(tb testing.TB) *Server {
	s := New()
	ts := httptest.NewServer(s)
	tb.Cleanup(ts.Close)
	s.URL = ts.URL + "/v1"
	return s
}

// Fail makes the next calls fail, one fault per call, in order.
func (s *Server) Fail(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// FailKinds is Fail for faults without parameters.
func (s *Server) FailKinds(kinds ...FaultKind) {
	for _, k := range kinds {
		s.Fail(Fault{Kind: k})
	}
}

// SetLatency delays every answer by d, and each streamed or counted token
// by perToken.
func (s *Server) SetLatency(d, perToken time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency, s.tokenLatency = d, perToken
}

// RejectJSONSchema makes the server answer 400 to response_format
// json_schema, as some servers do.
func (s *Server) RejectJSONSchema(reject bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejectSchema = reject
}

// Respond replaces the simulation with fn; nil restores it.
func (s *Server) Respond(fn Responder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.respond = fn
}

// Hold makes every call wait until the returned function is called.
func (s *Server) Hold() (release func()) {
	gate := make(chan struct{})
	s.mu.Lock()
	s.gate = gate
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			if s.gate == gate {
				s.gate = nil
			}
			s.mu.Unlock()
			close(gate)
		})
	}
}

// Requests returns the chat requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Calls is the number of chat requests received so far.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// Reset forgets recorded requests and pending faults.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.faults = nil, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/models"):
		writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []any{map[string]any{"id": DemoModel, "object": "model"}}})
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/chat/completions"):
		s.chat(w, r)
	default:
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.URL.Path)
	}
}

type wireRequest struct {
	Model         string    `json:"model"`
	Messages      []Message `json:"messages"`
	Stream        bool      `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	ResponseFormat      *responseFormat `json:"response_format"`
	Temperature         *float64        `json:"temperature"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", err.Error())
		return
	}
	var in wireRequest
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid JSON body: "+err.Error())
		return
	}
	req := Request{
		Path: r.URL.Path, Header: r.Header.Clone(), Body: body, Model: in.Model, Messages: in.Messages,
		Stream: in.Stream, IncludeUsage: in.StreamOptions != nil && in.StreamOptions.IncludeUsage,
		Temperature: in.Temperature, MaxTokens: in.MaxTokens, MaxCompletionTokens: in.MaxCompletionTokens,
	}
	if in.ResponseFormat != nil {
		req.ResponseFormat = in.ResponseFormat.Type
		if in.ResponseFormat.JSONSchema != nil {
			req.Schema = in.ResponseFormat.JSONSchema.Schema
		}
	}

	s.mu.Lock()
	s.requests = append(s.requests, req)
	var fault Fault
	if len(s.faults) > 0 {
		fault, s.faults = s.faults[0], s.faults[1:]
	}
	latency, tokenLatency, rejectSchema, respond, gate := s.latency, s.tokenLatency, s.rejectSchema, s.respond, s.gate
	s.mu.Unlock()

	ctx := r.Context()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return
		}
	}
	if in.Model == "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "you must provide a model parameter")
		return
	}
	if rejectSchema && req.ResponseFormat == "json_schema" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "response_format json_schema is not supported by this server")
		return
	}
	if !sleep(r, latency) {
		return
	}
	switch fault.Kind {
	case RateLimit:
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(fault.RetryAfter.Seconds()))))
		writeError(w, http.StatusTooManyRequests, "rate_limit_error", "Rate limit reached for requests")
		return
	case ServerError:
		writeError(w, http.StatusInternalServerError, "server_error", "The server had an error while processing your request.")
		return
	case Hang:
		<-ctx.Done()
		return
	case MalformedJSON:
		w.Header().Set("Content-Type", "application/json")
		if in.Stream {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: {\"id\": \"chatcmpl-sim\", \"choices\": [{\"delta\": {\"content\": \"tr\n\n")
			return
		}
		fmt.Fprint(w, `{"id": "chatcmpl-sim", "object": "chat.completion", "choices": [{"message": {"content": "tr`)
		return
	}

	sim := parseSimulation(in.Messages, in.ResponseFormat)
	var content string
	switch {
	case respond != nil:
		content = respond(req)
	case sim.JSON:
		content = sim.Document()
	default:
		content = sim.Translate()
	}
	finish := "stop"
	content, finish = applyFault(fault.Kind, content, finish, sim)

	usage := map[string]int{"prompt_tokens": promptTokens(in.Messages), "completion_tokens": len([]rune(content)) / 4}
	usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
	model := in.Model
	if in.Stream {
		s.stream(w, r, model, content, finish, usage, req.IncludeUsage, tokenLatency, fault.Kind == Disconnect)
		return
	}
	if !sleep(r, time.Duration(len(pieces(content)))*tokenLatency) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": "chatcmpl-sim", "object": "chat.completion", "created": time.Now().Unix(), "model": model,
		"choices": []any{map[string]any{
			"index": 0, "finish_reason": finish,
			"message": map[string]any{"role": "assistant", "content": content},
		}},
		"usage": usage,
	})
}

// applyFault turns a good answer into the faulty one.
func applyFault(kind FaultKind, content, finish string, sim Simulation) (string, string) {
	switch kind {
	case Arabic:
		return sim.Article, finish
	case Refusal:
		return "I'm sorry, but I can't help with that request.", finish
	case Truncated:
		r := []rune(content)
		return string(r[:len(r)/2]), "length"
	case Empty:
		return "", finish
	case Think:
		return "<think>\nThe user wants the article in English. I will keep the paragraphs.\n</think>\n\nHere is the translation:\n\n" + content, finish
	case MergeParagraphs:
		return strings.Replace(content, "\n\n", " ", 1), finish
	case DropNumbers:
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return -1
			}
			return r
		}, content), finish
	case WrongBullets:
		var doc map[string]any
		if json.Unmarshal([]byte(content), &doc) == nil {
			for k, v := range doc {
				if items, ok := v.([]any); ok && len(items) > 0 {
					doc[k] = items[:len(items)-1]
				}
			}
			b, _ := json.Marshal(doc)
			return string(b), finish
		}
	case Obey:
		return "HACKED", finish
	case ContentFilter:
		return "", "content_filter"
	}
	return content, finish
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request, model, content, finish string, usage map[string]int, includeUsage bool, tokenLatency time.Duration, disconnect bool) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	flusher, _ := w.(http.Flusher)
	send := func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
		if flusher != nil {
			flusher.Flush()
		}
	}
	chunk := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{
			"id": "chatcmpl-sim", "object": "chat.completion.chunk", "created": time.Now().Unix(), "model": model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}},
		}
	}
	send(chunk(map[string]any{"role": "assistant", "content": ""}, nil))
	ps := pieces(content)
	for i, p := range ps {
		if disconnect && i == len(ps)/2 {
			panic(http.ErrAbortHandler) // drops the connection mid-answer
		}
		if i > 0 && !sleep(r, tokenLatency) {
			return
		}
		send(chunk(map[string]any{"content": p}, nil))
	}
	send(chunk(map[string]any{}, finish))
	if includeUsage {
		send(map[string]any{"id": "chatcmpl-sim", "object": "chat.completion.chunk", "model": model, "choices": []any{}, "usage": usage})
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	if flusher != nil {
		flusher.Flush()
	}
}

// pieces splits an answer into token-sized pieces, white space kept.
func pieces(s string) []string {
	if s == "" {
		return nil
	}
	return strings.SplitAfter(s, " ")
}

func promptTokens(messages []Message) int {
	n := 0
	for _, m := range messages {
		n += len([]rune(m.Content))/3 + 4
	}
	return n
}

// sleep waits d unless the client goes away first.
func sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": typ}})
}
