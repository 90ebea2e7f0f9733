package gateway

import "context"

// Model is what the pipeline needs from a chat model: one completion. The
// implementation (gateway/llm) owns retries, timeouts, the concurrency cap
// and the differences between servers.
type Model interface {
	Chat(ctx context.Context, req ChatRequest) (ChatResponse, error)
}

// Message roles.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Message is one chat message.
type Message struct {
	Role    string
	Content string
}

// JSONSchema asks for an answer that is a JSON document matching Schema.
type JSONSchema struct {
	Name   string
	Schema []byte
}

// ChatRequest is one completion request.
type ChatRequest struct {
	Model     string
	Messages  []Message
	MaxTokens int
	// JSON, when set, asks for a JSON answer. Servers that refuse JSON
	// schemas get a plainer request; the caller always validates.
	JSON *JSONSchema
	// Stream, when set, receives the answer's text as it arrives.
	Stream func(delta string)
	// Restart, when set with Stream, is called before a retry of a call
	// that already streamed text: the receiver discards that text.
	Restart func()
}

// ChatResponse is a completion.
type ChatResponse struct {
	Content string
	// FinishReason is the server's: "stop", "length", "content_filter"...
	FinishReason string
	// Refusal is set when the server reports a refusal separately.
	Refusal string
	Usage   Usage
}

// Usage counts tokens.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

// Add returns the sum of two usages.
func (u Usage) Add(o Usage) Usage {
	return Usage{u.PromptTokens + o.PromptTokens, u.CompletionTokens + o.CompletionTokens}
}
