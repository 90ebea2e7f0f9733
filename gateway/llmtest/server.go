// Package llmtest is the test kit for code that calls a model: an
// OpenAI-compatible server (the simulator of gateway/llmsim) that records
// every request and injects the faults real servers produce: rate limits
// with Retry-After, 5xx, hangs, malformed JSON, refusals, truncation,
// answers in the wrong language, reasoning blocks, and servers that refuse
// JSON schemas. It is for tests and benchmarks only; the binary's demo mode
// uses gateway/llmsim directly.
package llmtest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dragoman-news/dragoman/gateway/llmsim"
)

// DemoModel is the model name the simulator reports when asked for none.
const DemoModel = llmsim.DemoModel

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
type Message = llmsim.Message

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
	return llmsim.Parse(r.Messages, nil).Article
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

// New returns a fake; it is an http.Handler.
func New() *Server { return &Server{} }

// Start runs a new fake on a loopback port until the test ends.
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
	if llmsim.ServeModels(w, r) {
		return
	}
	in, body, ok := llmsim.ReadRequest(w, r)
	if !ok {
		return
	}
	req := Request{
		Path: r.URL.Path, Header: r.Header.Clone(), Body: body, Model: in.Model, Messages: in.Messages,
		Stream: in.Stream, IncludeUsage: in.IncludeUsage(), ResponseFormat: in.Format(),
		Temperature: in.Temperature, MaxTokens: in.MaxTokens, MaxCompletionTokens: in.MaxCompletionTokens,
	}
	if in.ResponseFormat != nil && in.ResponseFormat.JSONSchema != nil {
		req.Schema = in.ResponseFormat.JSONSchema.Schema
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
	if !llmsim.CheckModel(w, in) {
		return
	}
	if rejectSchema && req.ResponseFormat == "json_schema" {
		llmsim.WriteError(w, http.StatusBadRequest, "invalid_request_error", "response_format json_schema is not supported by this server")
		return
	}
	if !llmsim.Sleep(r, latency) {
		return
	}
	switch fault.Kind {
	case RateLimit:
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(fault.RetryAfter.Seconds()))))
		llmsim.WriteError(w, http.StatusTooManyRequests, "rate_limit_error", "Rate limit reached for requests")
		return
	case ServerError:
		llmsim.WriteError(w, http.StatusInternalServerError, "server_error", "The server had an error while processing your request.")
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

	sim := in.Simulation()
	var content string
	if respond != nil {
		content = respond(req)
	} else {
		content = sim.Answer()
	}
	content, finish := applyFault(fault.Kind, content, "stop", sim)
	llmsim.WriteAnswer(w, r, in, llmsim.Answer{
		Content: content, Finish: finish, TokenDelay: tokenLatency, DropHalfway: fault.Kind == Disconnect,
	})
}

// applyFault turns a good answer into the faulty one.
func applyFault(kind FaultKind, content, finish string, sim llmsim.Simulation) (string, string) {
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
