// Package llm talks to OpenAI-compatible chat servers (OpenAI, Azure OpenAI,
// Ollama, vLLM, llama.cpp server, OpenRouter) through go-openai, and hides
// their differences: it caps concurrent calls, retries what is worth
// retrying, honours Retry-After, and remembers which answer formats each
// model accepts.
package llm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/dragoman-news/dragoman/gateway"
)

// Token-limit field names.
const (
	MaxTokens           = "max_tokens"
	MaxCompletionTokens = "max_completion_tokens"
)

// Config configures a Client.
type Config struct {
	BaseURL string
	APIKey  string
	// Azure selects Azure OpenAI; the model name is the deployment name.
	Azure           bool
	AzureAPIVersion string
	// Temperature 0 asks for greedy decoding (see minTemperature).
	Temperature float64
	// TokenField is MaxTokens (what Ollama and most servers read) or
	// MaxCompletionTokens (what newer OpenAI models require).
	TokenField string
	// CallTimeout bounds one upstream call, inside the caller's deadline.
	CallTimeout time.Duration
	// Retries is how many times a failed call is tried again.
	Retries int
	// RetryBase and RetryMax bound the exponential backoff between tries.
	RetryBase, RetryMax time.Duration
	// MaxConcurrent calls run at once; MaxQueue more may wait for a slot.
	MaxConcurrent, MaxQueue int
	// QueueRetryAfter is the Retry-After sent when the queue is full.
	QueueRetryAfter time.Duration
	// MaxResponseBytes bounds a response body.
	MaxResponseBytes int64
	// HTTPClient carries the calls; nil means a new http.Client.
	HTTPClient *http.Client
	// Observer, if not nil, is told of every call, retry and token count.
	Observer Observer
}

// Observer receives measurements; gateway/metrics implements it.
type Observer interface {
	UpstreamCall(model, outcome string, d time.Duration)
	UpstreamRetry(model, outcome string)
	UpstreamTokens(model string, usage gateway.Usage)
}

// minTemperature stands in for a configured temperature of 0: go-openai
// omits a zero temperature from the request (omitempty), and the server then
// applies its own default, often 1.0. This value is below every server's
// greedy threshold (vLLM switches to greedy under 1e-5).
const minTemperature = 1e-6

// Client is a gateway.Model over one OpenAI-compatible server.
type Client struct {
	api     *openai.Client
	cfg     Config
	limit   *limiter
	formats sync.Map // model name -> format: the richest format it accepts
}

// New returns a client for cfg.
func New(cfg Config) *Client {
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	var oc openai.ClientConfig
	if cfg.Azure {
		oc = openai.DefaultAzureConfig(cfg.APIKey, cfg.BaseURL)
		oc.APIVersion = cfg.AzureAPIVersion
		oc.AzureModelMapperFunc = func(model string) string { return model }
	} else {
		oc = openai.DefaultConfig(cfg.APIKey)
		oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	}
	oc.HTTPClient = doer{client: hc, maxBody: cfg.MaxResponseBytes, now: time.Now}
	return &Client{
		api:   openai.NewClientWithConfig(oc),
		cfg:   cfg,
		limit: newLimiter(cfg.MaxConcurrent, cfg.MaxQueue, cfg.QueueRetryAfter),
	}
}

// IsAzureURL reports whether a base URL points at Azure OpenAI.
func IsAzureURL(base string) bool {
	u, err := url.Parse(base)
	if err != nil {
		return false
	}
	host := strings.ToLower(u.Hostname())
	return strings.HasSuffix(host, ".openai.azure.com") || strings.HasSuffix(host, ".cognitiveservices.azure.com")
}

// Load reports the calls running and waiting, for metrics.
func (c *Client) Load() (inFlight, queued int) { return c.limit.inFlight(), c.limit.queued() }

// Chat runs one completion, with retries.
func (c *Client) Chat(ctx context.Context, req gateway.ChatRequest) (gateway.ChatResponse, error) {
	streamed := false
	if req.Stream != nil {
		stream := req.Stream
		req.Stream = func(d string) {
			streamed = true
			stream(d)
		}
	}
	for attempt := 0; ; attempt++ {
		if streamed && req.Restart != nil {
			req.Restart()
			streamed = false
		}
		resp, info, err := c.attempt(ctx, req)
		if err == nil {
			return resp, nil
		}
		f := classify(ctx, err, info, c.cfg.CallTimeout)
		if !f.retry || attempt >= c.cfg.Retries || (streamed && req.Restart == nil) {
			return gateway.ChatResponse{}, f.err
		}
		wait := c.backoff(attempt, f.err.RetryAfter)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return gateway.ChatResponse{}, f.err // a retry could not finish in time
		}
		if c.cfg.Observer != nil {
			c.cfg.Observer.UpstreamRetry(req.Model, f.outcome)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return gateway.ChatResponse{}, classify(ctx, ctx.Err(), nil, c.cfg.CallTimeout).err
		case <-t.C:
		}
	}
}

// backoff is exponential with full jitter, and never shorter than the
// server's Retry-After.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	ceiling := min(c.cfg.RetryBase<<attempt, c.cfg.RetryMax)
	d := time.Duration(rand.Int64N(int64(ceiling)/2+1)) + ceiling/2
	return max(d, retryAfter)
}

// format is a way of asking for a JSON answer, richest first.
type format int

const (
	formatSchema format = iota // response_format json_schema
	formatObject               // response_format json_object
	formatText                 // no response_format; the prompt asks for JSON
)

// attempt makes one call under the concurrency cap, stepping down the
// answer format when the server refuses it, and remembering what worked.
func (c *Client) attempt(ctx context.Context, req gateway.ChatRequest) (gateway.ChatResponse, *callInfo, error) {
	release, err := c.limit.acquire(ctx)
	if err != nil {
		return gateway.ChatResponse{}, nil, err
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()

	f := formatText
	if req.JSON != nil {
		f = c.format(req.Model)
	}
	for {
		info := &callInfo{}
		start := time.Now()
		resp, err := c.call(withCallInfo(ctx, info), c.request(req, f), req.Stream)
		if c.cfg.Observer != nil {
			outcome := outcomeOK
			if err != nil {
				outcome = classify(ctx, err, info, c.cfg.CallTimeout).outcome
			}
			c.cfg.Observer.UpstreamCall(req.Model, outcome, time.Since(start))
			c.cfg.Observer.UpstreamTokens(req.Model, resp.Usage)
		}
		if err != nil && req.JSON != nil && f < formatText && rejectsFormat(err) {
			f++
			c.formats.Store(req.Model, f)
			continue
		}
		return resp, info, err
	}
}

func (c *Client) format(model string) format {
	if f, ok := c.formats.Load(model); ok {
		return f.(format)
	}
	return formatSchema
}

// request translates a gateway request into go-openai's.
func (c *Client) request(req gateway.ChatRequest, f format) openai.ChatCompletionRequest {
	out := openai.ChatCompletionRequest{
		Model:       req.Model,
		Temperature: float32(c.cfg.Temperature),
		Stream:      req.Stream != nil,
	}
	if out.Temperature == 0 {
		out.Temperature = minTemperature
	}
	for _, m := range req.Messages {
		out.Messages = append(out.Messages, openai.ChatCompletionMessage{Role: m.Role, Content: m.Content})
	}
	if c.cfg.TokenField == MaxCompletionTokens {
		out.MaxCompletionTokens = req.MaxTokens
	} else {
		out.MaxTokens = req.MaxTokens
	}
	if out.Stream {
		out.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	}
	if req.JSON != nil {
		switch f {
		case formatSchema:
			out.ResponseFormat = &openai.ChatCompletionResponseFormat{
				Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
				JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
					Name:   req.JSON.Name,
					Schema: json.RawMessage(req.JSON.Schema),
					Strict: true,
				},
			}
		case formatObject:
			out.ResponseFormat = &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatTypeJSONObject}
		}
	}
	// Reasoning models (o-series, gpt-5) take neither a temperature nor
	// max_tokens; go-openai refuses such requests before sending them, one
	// complaint at a time.
	for range 2 {
		err := openai.NewReasoningValidator().Validate(out)
		switch {
		case errors.Is(err, openai.ErrReasoningModelMaxTokensDeprecated):
			out.MaxCompletionTokens, out.MaxTokens = out.MaxTokens, 0
		case errors.Is(err, openai.ErrReasoningModelLimitationsOther), errors.Is(err, openai.ErrReasoningSamplingUnsupported):
			out.Temperature = 0
		}
	}
	return out
}

// errNoChoices is a 200 response without an answer.
var errNoChoices = errors.New("llm: response has no choices")

// ownCapFactor is how far past the requested token limit a streamed answer
// may run before the gateway stops reading: some servers ignore the limit
// field they do not know, and the gateway must still bound the output.
const ownCapFactor = 1.5

func (c *Client) call(ctx context.Context, req openai.ChatCompletionRequest, stream func(string)) (gateway.ChatResponse, error) {
	if stream == nil {
		resp, err := c.api.CreateChatCompletion(ctx, req)
		if err != nil {
			return gateway.ChatResponse{}, err
		}
		out := gateway.ChatResponse{Usage: gateway.Usage{PromptTokens: resp.Usage.PromptTokens, CompletionTokens: resp.Usage.CompletionTokens}}
		if len(resp.Choices) == 0 {
			return out, errNoChoices
		}
		ch := resp.Choices[0]
		out.Content, out.Refusal, out.FinishReason = ch.Message.Content, ch.Message.Refusal, string(ch.FinishReason)
		return out, nil
	}

	s, err := c.api.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return gateway.ChatResponse{}, err
	}
	defer s.Close()
	var (
		out     gateway.ChatResponse
		content strings.Builder
	)
	limit := max(req.MaxTokens, req.MaxCompletionTokens)
	for {
		chunk, err := s.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, err
		}
		if chunk.Usage != nil {
			out.Usage = gateway.Usage{PromptTokens: chunk.Usage.PromptTokens, CompletionTokens: chunk.Usage.CompletionTokens}
		}
		// The usage chunk of stream_options.include_usage has no choices.
		if len(chunk.Choices) == 0 {
			continue
		}
		ch := chunk.Choices[0]
		if d := ch.Delta.Content; d != "" {
			content.WriteString(d)
			stream(d)
		}
		out.Refusal += ch.Delta.Refusal
		if ch.FinishReason != "" {
			out.FinishReason = string(ch.FinishReason)
		}
		// About four bytes a token in English; stop a runaway answer.
		if limit > 0 && float64(content.Len()/4) > ownCapFactor*float64(limit) {
			out.FinishReason = string(openai.FinishReasonLength)
			break
		}
	}
	out.Content = content.String()
	return out, nil
}
