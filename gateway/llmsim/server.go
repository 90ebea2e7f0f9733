// Package llmsim is the deterministic model simulator behind `serve --demo`
// and the test fake: an OpenAI-compatible chat server that answers every
// request from the request alone (see Simulation). It keeps no state
// between requests, so a long demo uses constant memory.
package llmsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// DemoModel is the model name the simulator reports when asked for none.
const DemoModel = "dragoman-simulator"

// maxRequestBytes bounds the request body the simulator reads.
const maxRequestBytes = 32 << 20

// Message is a chat message as received.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ResponseFormat is the request's response_format.
type ResponseFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema"`
		Strict bool            `json:"strict"`
	} `json:"json_schema"`
}

// Request is a chat completion request as received.
type Request struct {
	Model         string    `json:"model"`
	Messages      []Message `json:"messages"`
	Stream        bool      `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	ResponseFormat      *ResponseFormat `json:"response_format"`
	Temperature         *float64        `json:"temperature"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
}

// IncludeUsage reports whether a streamed answer must end with usage.
func (r *Request) IncludeUsage() bool { return r.StreamOptions != nil && r.StreamOptions.IncludeUsage }

// Format is "", "text", "json_object" or "json_schema".
func (r *Request) Format() string {
	if r.ResponseFormat == nil {
		return ""
	}
	return r.ResponseFormat.Type
}

// Simulation is the request's simulation.
func (r *Request) Simulation() Simulation { return Parse(r.Messages, r.ResponseFormat) }

// ReadRequest reads and decodes a chat completion request; it returns the
// raw body too. An error has been answered already.
func ReadRequest(w http.ResponseWriter, r *http.Request) (*Request, []byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes))
	if err != nil {
		WriteError(w, http.StatusBadRequest, "invalid_request_error", err.Error())
		return nil, nil, false
	}
	var req Request
	if err := json.Unmarshal(body, &req); err != nil {
		WriteError(w, http.StatusBadRequest, "invalid_request_error", "invalid JSON body: "+err.Error())
		return nil, nil, false
	}
	return &req, body, true
}

// CheckModel answers 400, as OpenAI does, when the request names no model;
// it reports whether the request may go on.
func CheckModel(w http.ResponseWriter, req *Request) bool {
	if req.Model == "" {
		WriteError(w, http.StatusBadRequest, "invalid_request_error", "you must provide a model parameter")
		return false
	}
	return true
}

// Handler is the stateless simulator: it serves GET /v1/models and
// POST /v1/chat/completions.
type Handler struct{}

// New returns the simulator.
func New() Handler { return Handler{} }

func (Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ServeModels(w, r) {
		return
	}
	req, _, ok := ReadRequest(w, r)
	if !ok || !CheckModel(w, req) {
		return
	}
	WriteAnswer(w, r, req, Answer{Content: req.Simulation().Answer(), Finish: "stop"})
}

// ServeModels answers the requests that are not chat completions: the
// model list, and 404 for anything else. It reports whether it answered.
func ServeModels(w http.ResponseWriter, r *http.Request) bool {
	switch {
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/models"):
		writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []any{map[string]any{"id": DemoModel, "object": "model"}}})
		return true
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/chat/completions"):
		return false
	}
	WriteError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.URL.Path)
	return true
}

// Answer is what to send back, and how.
type Answer struct {
	Content string
	Finish  string // "stop", "length", "content_filter"
	// TokenDelay delays each streamed or counted piece of the answer.
	TokenDelay time.Duration
	// DropHalfway drops the connection halfway through a streamed answer.
	DropHalfway bool
}

// WriteAnswer sends the answer as one completion, or streamed when the
// request asked for it.
func WriteAnswer(w http.ResponseWriter, r *http.Request, req *Request, a Answer) {
	usage := map[string]int{"prompt_tokens": promptTokens(req.Messages), "completion_tokens": len([]rune(a.Content)) / 4}
	usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
	if req.Stream {
		stream(w, r, req, a, usage)
		return
	}
	if !Sleep(r, time.Duration(len(pieces(a.Content)))*a.TokenDelay) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": "chatcmpl-sim", "object": "chat.completion", "created": time.Now().Unix(), "model": req.Model,
		"choices": []any{map[string]any{
			"index": 0, "finish_reason": a.Finish,
			"message": map[string]any{"role": "assistant", "content": a.Content},
		}},
		"usage": usage,
	})
}

func stream(w http.ResponseWriter, r *http.Request, req *Request, a Answer, usage map[string]int) {
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
			"id": "chatcmpl-sim", "object": "chat.completion.chunk", "created": time.Now().Unix(), "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}},
		}
	}
	send(chunk(map[string]any{"role": "assistant", "content": ""}, nil))
	ps := pieces(a.Content)
	for i, p := range ps {
		if a.DropHalfway && i == len(ps)/2 {
			panic(http.ErrAbortHandler) // drops the connection mid-answer
		}
		if i > 0 && !Sleep(r, a.TokenDelay) {
			return
		}
		send(chunk(map[string]any{"content": p}, nil))
	}
	send(chunk(map[string]any{}, a.Finish))
	if req.IncludeUsage() {
		send(map[string]any{"id": "chatcmpl-sim", "object": "chat.completion.chunk", "model": req.Model, "choices": []any{}, "usage": usage})
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

// Sleep waits d unless the client goes away first; it reports whether the
// client is still there.
func Sleep(r *http.Request, d time.Duration) bool {
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

// WriteError sends an error in the OpenAI shape.
func WriteError(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": typ}})
}
