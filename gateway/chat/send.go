package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot"
	"github.com/slack-go/slack"
)

// RetryAfter is a delivery the platform rate limited: try again after.
type RetryAfter struct {
	After time.Duration
	Err   error
}

func (e *RetryAfter) Error() string {
	return fmt.Sprintf("rate limited, retry after %v: %v", e.After, e.Err)
}
func (e *RetryAfter) Unwrap() error { return e.Err }

// Permanent is a delivery the platform refused for good (a 4xx other than
// 429: an expired response_url, a removed webhook).
type Permanent struct{ Err error }

func (e *Permanent) Error() string { return e.Err.Error() }
func (e *Permanent) Unwrap() error { return e.Err }

// SenderConfig configures the senders.
type SenderConfig struct {
	// HTTP carries every delivery; give it the SSRF guard.
	HTTP             *http.Client
	SlackAPI         string // https://slack.com/api/
	SlackBotToken    string
	DiscordAPI       string // https://discord.com/api/v10
	TelegramAPI      string // https://api.telegram.org
	TelegramBotToken string
	// WebhookKey signs generic deliveries (Standard Webhooks).
	WebhookKey []byte
	Now        func() time.Time
}

// Sender posts rendered messages to their targets.
type Sender struct {
	cfg      SenderConfig
	slack    *slack.Client
	telegram *bot.Bot
}

// NewSender returns a sender; platforms without their token cannot be
// sent to.
func NewSender(cfg SenderConfig) (*Sender, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Sender{cfg: cfg}
	if cfg.SlackBotToken != "" {
		s.slack = slack.New(cfg.SlackBotToken, slack.OptionAPIURL(strings.TrimRight(cfg.SlackAPI, "/")+"/"), slack.OptionHTTPClient(cfg.HTTP))
	}
	if cfg.TelegramBotToken != "" {
		b, err := bot.New(cfg.TelegramBotToken, bot.WithServerURL(strings.TrimRight(cfg.TelegramAPI, "/")),
			bot.WithHTTPClient(time.Minute, cfg.HTTP), bot.WithSkipGetMe())
		if err != nil {
			return nil, fmt.Errorf("chat: telegram: %v", redact(err, cfg.TelegramBotToken))
		}
		s.telegram = b
	}
	return s, nil
}

// Send posts part number index of a delivery (id) to t.
func (s *Sender) Send(ctx context.Context, t Target, id string, index int, part []byte) error {
	switch {
	case t.Platform == Discord && t.Token != "":
		base := strings.TrimRight(s.cfg.DiscordAPI, "/") + "/webhooks/" + t.AppID + "/" + t.Token
		if index == 0 { // the deferred answer is the interaction's original message
			return s.post(ctx, t, http.MethodPatch, base+"/messages/@original", part, nil)
		}
		return s.post(ctx, t, http.MethodPost, base, part, nil)
	case t.Platform == Telegram:
		return s.sendTelegram(ctx, part)
	case t.Platform == Slack && t.URL == "":
		return s.sendSlackBot(ctx, t, part)
	case t.Platform == Generic:
		msgID := fmt.Sprintf("msg_%s_%d", id, index)
		now := s.cfg.Now()
		return s.post(ctx, t, http.MethodPost, t.URL, part, http.Header{
			"webhook-id":        {msgID},
			"webhook-timestamp": {strconv.FormatInt(now.Unix(), 10)},
			"webhook-signature": {SignStandard(s.cfg.WebhookKey, msgID, now, part)},
		})
	case t.Platform == Discord:
		return s.post(ctx, t, http.MethodPost, withQuery(t.URL, "wait=true"), part, nil)
	}
	return s.post(ctx, t, http.MethodPost, t.URL, part, nil) // Slack and Mattermost webhooks, Teams Workflows
}

// post sends JSON and sorts the answer: 2xx done, 429 RetryAfter, other
// 4xx Permanent, anything else an error worth retrying. Errors name the
// target, never its URL: webhook URLs and interaction tokens are secrets.
func (s *Sender) post(ctx context.Context, t Target, method, u string, body []byte, header http.Header) error {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return &Permanent{Err: fmt.Errorf("%s: invalid URL", t.Name)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Dragoman")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := s.cfg.HTTP.Do(req)
	if err != nil {
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) && ue.Unwrap() != nil {
			err = ue.Unwrap() // a *url.Error repeats the URL
		}
		return fmt.Errorf("%s: %w", t.Name, err)
	}
	defer resp.Body.Close()
	detail, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests:
		return &RetryAfter{After: retryAfter(resp.Header, detail), Err: fmt.Errorf("%s: status 429", t.Name)}
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusRequestTimeout:
		return &Permanent{Err: fmt.Errorf("%s: status %d: %s", t.Name, resp.StatusCode, clip(strings.TrimSpace(string(detail)), 200))}
	}
	return fmt.Errorf("%s: status %d", t.Name, resp.StatusCode)
}

// retryAfter reads Retry-After, or the retry_after (seconds) of a
// Discord-style JSON body.
func retryAfter(h http.Header, body []byte) time.Duration {
	if s, err := strconv.ParseFloat(strings.TrimSpace(h.Get("Retry-After")), 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	var b struct {
		RetryAfter float64 `json:"retry_after"`
	}
	if json.Unmarshal(body, &b) == nil && b.RetryAfter > 0 {
		return time.Duration(b.RetryAfter * float64(time.Second))
	}
	return 5 * time.Second
}

func withQuery(u, q string) string {
	if strings.Contains(u, "?") {
		return u + "&" + q
	}
	return u + "?" + q
}

func (s *Sender) sendTelegram(ctx context.Context, part []byte) error {
	if s.telegram == nil {
		return &Permanent{Err: errors.New("telegram: DRAGOMAN_TELEGRAM_BOT_TOKEN is not set")}
	}
	var params bot.SendMessageParams
	if err := json.Unmarshal(part, &params); err != nil {
		return &Permanent{Err: fmt.Errorf("telegram: %w", err)}
	}
	_, err := s.telegram.SendMessage(ctx, &params)
	var tooMany *bot.TooManyRequestsError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooMany):
		return &RetryAfter{After: time.Duration(max(tooMany.RetryAfter, 1)) * time.Second, Err: redact(err, s.cfg.TelegramBotToken)}
	case errors.Is(err, bot.ErrorBadRequest), errors.Is(err, bot.ErrorForbidden), errors.Is(err, bot.ErrorUnauthorized), errors.Is(err, bot.ErrorNotFound):
		return &Permanent{Err: redact(err, s.cfg.TelegramBotToken)}
	}
	return redact(err, s.cfg.TelegramBotToken)
}

func (s *Sender) sendSlackBot(ctx context.Context, t Target, part []byte) error {
	if s.slack == nil {
		return &Permanent{Err: errors.New("slack: DRAGOMAN_SLACK_BOT_TOKEN is not set")}
	}
	var msg slack.WebhookMessage
	if err := json.Unmarshal(part, &msg); err != nil {
		return &Permanent{Err: fmt.Errorf("slack: %w", err)}
	}
	opts := []slack.MsgOption{slack.MsgOptionText(msg.Text, false)}
	if msg.Blocks != nil {
		opts = append(opts, slack.MsgOptionBlocks(msg.Blocks.BlockSet...))
	}
	_, _, err := s.slack.PostMessageContext(ctx, t.ChatID, opts...)
	var limited *slack.RateLimitedError
	var slackErr slack.SlackErrorResponse
	switch {
	case err == nil:
		return nil
	case errors.As(err, &limited):
		return &RetryAfter{After: limited.RetryAfter, Err: fmt.Errorf("%s: rate limited", t.Name)}
	case errors.As(err, &slackErr):
		return &Permanent{Err: fmt.Errorf("%s: %s", t.Name, slackErr.Err)}
	}
	return redact(fmt.Errorf("%s: %w", t.Name, err), s.cfg.SlackBotToken)
}

// redact removes a secret from an error's text.
func redact(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, "***"))
}
