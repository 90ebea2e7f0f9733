package chat

import (
	"context"
	"errors"

	"github.com/dragoman-news/dragoman/gateway"
)

// Destinations are where scheduled (and requested) briefings are posted.
// Each is off when empty.
type Destinations struct {
	SlackWebhookURL      string
	SlackChannel         string // with the bot token, through chat.postMessage
	DiscordWebhookURL    string
	TeamsWebhookURL      string // a Workflows webhook: Adaptive Cards
	MattermostWebhookURL string
	TelegramChatID       string // with the bot token
	WebhookURL           string // any endpoint, signed with Standard Webhooks
}

// Targets lists the configured destinations.
func (d Destinations) Targets() []Target {
	var out []Target
	add := func(on bool, t Target) {
		if on {
			out = append(out, t)
		}
	}
	add(d.SlackWebhookURL != "", Target{Platform: Slack, Name: "Slack webhook", URL: d.SlackWebhookURL})
	add(d.SlackChannel != "", Target{Platform: Slack, Name: "Slack channel " + d.SlackChannel, ChatID: d.SlackChannel})
	add(d.DiscordWebhookURL != "", Target{Platform: Discord, Name: "Discord webhook", URL: d.DiscordWebhookURL})
	add(d.TeamsWebhookURL != "", Target{Platform: Teams, Name: "Teams webhook", URL: d.TeamsWebhookURL})
	add(d.MattermostWebhookURL != "", Target{Platform: Mattermost, Name: "Mattermost webhook", URL: d.MattermostWebhookURL})
	add(d.TelegramChatID != "", Target{Platform: Telegram, Name: "Telegram chat " + d.TelegramChatID, ChatID: d.TelegramChatID})
	add(d.WebhookURL != "", Target{Platform: Generic, Name: "generic webhook", URL: d.WebhookURL})
	return out
}

// BriefingParts renders a briefing for a target: the generic webhook gets
// the briefing as data, chats get it formatted.
func BriefingParts(t Target, b *gateway.Briefing) [][]byte {
	if t.Platform == Generic {
		return [][]byte{GenericMessage("dragoman.briefing", b)}
	}
	return Render(t, briefingReply(b))
}

// Log reads the delivery log.
type Log struct {
	Store interface {
		ListDeliveries(ctx context.Context, limit int, cursor string) ([]gateway.Delivery, string, error)
	}
	// BadCursor is the store's error for a cursor it did not make.
	BadCursor error
}

// List returns a page of deliveries, newest first.
func (l Log) List(ctx context.Context, limit int, cursor string) ([]gateway.Delivery, string, error) {
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > 200 {
		return nil, "", gateway.FieldError(gateway.CodeInvalidField, "limit", "limit must be between 1 and 200.")
	}
	out, next, err := l.Store.ListDeliveries(ctx, limit, cursor)
	if errors.Is(err, l.BadCursor) {
		return nil, "", gateway.FieldError(gateway.CodeInvalidField, "cursor", "The cursor is not one this server gave.")
	}
	return out, next, err
}
