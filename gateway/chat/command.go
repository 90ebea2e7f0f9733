// Package chat connects Dragoman to chat tools: slash commands and bots in
// Slack, Discord, Mattermost, Microsoft Teams and Telegram, and a generic
// signed webhook. Each request is verified (signatures checked in constant
// time against an injected clock), acknowledged at once, run as a durable
// job, and answered by deliveries formatted natively for the platform,
// escaped, and split to its limits. Scheduled briefings go out the same way.
package chat

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/briefing"
	"github.com/dragoman-news/dragoman/gateway/ingest"
)

// Platforms.
const (
	Slack      = "slack"
	Discord    = "discord"
	Mattermost = "mattermost"
	Teams      = "teams"
	Telegram   = "telegram"
	Generic    = "generic"
)

// Command is a request from a chat, as the job that runs it sees it.
type Command struct {
	// ID is unique per request (the platform's trigger, interaction or
	// update id), so that a retried request is run once.
	ID    string `json:"id"`
	Name  string `json:"name"` // translate, summarize, brief, help
	Arg   string `json:"arg"`
	User  string `json:"user,omitempty"`
	Reply Target `json:"reply"`
}

// Target is where a reply or a briefing goes.
type Target struct {
	Platform string `json:"platform"`
	// Name describes the target in the delivery log without its secrets.
	Name string `json:"name"`
	// URL is a response_url, a webhook URL, or a reply_url.
	URL string `json:"url,omitempty"`
	// ChatID is a Telegram chat, or a Slack channel with the bot token.
	ChatID string `json:"chat_id,omitempty"`
	// AppID and Token answer a Discord interaction.
	AppID string `json:"app_id,omitempty"`
	Token string `json:"token,omitempty"`
	// ResponseType is Slack's and Mattermost's: "in_channel" or "ephemeral".
	ResponseType string `json:"response_type,omitempty"`
}

// ParseCommand reads "translate <text or URL>", "summarize …", "brief
// [date]" or "help".
func ParseCommand(text string) (name, arg string) {
	text = strings.TrimSpace(text)
	first, rest, _ := strings.Cut(text, " ")
	name = strings.ToLower(strings.TrimPrefix(first, "/"))
	if at := strings.Index(name, "@"); at > 0 { // Telegram's /translate@SomeBot
		name = name[:at]
	}
	switch name {
	case "translate", "tr", "ترجم":
		return "translate", strings.TrimSpace(rest)
	case "summarize", "summarise", "sum", "لخص":
		return "summarize", strings.TrimSpace(rest)
	case "brief", "briefing":
		return "brief", strings.TrimSpace(rest)
	case "", "help", "start":
		return "help", ""
	}
	return "help", text // unknown: the help reply says so
}

// Translator, Ingester and Briefer are what commands call.
type Translator interface {
	Translate(ctx context.Context, req gateway.TranslateRequest, stream func(gateway.StreamEvent)) (*gateway.Translation, error)
	Summarize(ctx context.Context, req gateway.SummarizeRequest) (*gateway.Summary, error)
}

// Ingester stores articles fetched from URLs.
type Ingester interface {
	Ingest(ctx context.Context, req ingest.Request) (*gateway.StoredArticle, bool, error)
}

// Briefer writes and reads briefings.
type Briefer interface {
	Build(ctx context.Context, req briefing.Request, defaultTZ string, scheduled bool) (*gateway.Briefing, bool, error)
	Stored(ctx context.Context, req briefing.Request, defaultTZ string) (*gateway.Briefing, error)
}

// Runner runs commands.
type Runner struct {
	translate Translator
	ingest    Ingester
	brief     Briefer
	tz        string
	now       func() time.Time
}

// NewRunner returns a runner; tz is the zone of briefing days.
func NewRunner(t Translator, i Ingester, b Briefer, tz string, now func() time.Time) *Runner {
	if now == nil {
		now = time.Now
	}
	return &Runner{translate: t, ingest: i, brief: b, tz: tz, now: now}
}

// Reply runs a command. It never fails: an error becomes a reply that says
// what went wrong, in words fit for a chat.
func (r *Runner) Reply(ctx context.Context, cmd Command) Reply {
	reply, err := r.run(ctx, cmd)
	if err != nil {
		return errorReply(cmd, err)
	}
	return reply
}

// summaryBullets is the length of summaries asked for in chats.
const summaryBullets = 5

func (r *Runner) run(ctx context.Context, cmd Command) (Reply, error) {
	switch cmd.Name {
	case "translate", "summarize":
		if cmd.Arg == "" {
			return Reply{}, gateway.FieldError(gateway.CodeMissingField, "text", "Give the Arabic text or a URL after %q.", cmd.Name)
		}
		if isURL(cmd.Arg) {
			a, _, err := r.ingest.Ingest(ctx, ingest.Request{URL: cmd.Arg, Bullets: summaryBullets})
			if err != nil {
				return Reply{}, err
			}
			return articleReply(a, cmd.Name == "translate"), nil
		}
		article := gateway.Article{Text: cmd.Arg}
		if cmd.Name == "translate" {
			t, err := r.translate.Translate(ctx, gateway.TranslateRequest{Article: article}, nil)
			if err != nil {
				return Reply{}, err
			}
			return translationReply(t), nil
		}
		s, err := r.translate.Summarize(ctx, gateway.SummarizeRequest{Article: article, Bullets: summaryBullets})
		if err != nil {
			return Reply{}, err
		}
		return summaryReply(s), nil
	case "brief":
		req := briefing.Request{Date: r.day(cmd.Arg), TZ: r.tz}
		b, err := r.brief.Stored(ctx, req, r.tz)
		if gateway.CodeOf(err) == gateway.CodeNotFound {
			b, _, err = r.brief.Build(ctx, req, r.tz, false)
		}
		if err != nil {
			return Reply{}, err
		}
		return briefingReply(b), nil
	}
	return helpReply(cmd.Arg), nil
}

// day reads a briefing day: a date, "today", or yesterday by default.
func (r *Runner) day(arg string) string {
	now := r.now().In(zone(r.tz))
	switch strings.ToLower(strings.TrimSpace(arg)) {
	case "", "yesterday":
		return now.AddDate(0, 0, -1).Format(time.DateOnly)
	case "today":
		return now.Format(time.DateOnly)
	}
	return strings.TrimSpace(arg)
}

func isURL(s string) bool {
	if strings.ContainsAny(s, " \n") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// errorReply tells the user what went wrong, with the public detail only.
func errorReply(cmd Command, err error) Reply {
	e := gateway.AsError(err)
	detail := e.Detail
	if errors.Is(err, context.DeadlineExceeded) {
		detail = "The answer took too long; try again in a moment."
	}
	return Reply{
		Title:    fmt.Sprintf("Dragoman could not %s that", cmd.Name),
		Sections: []Section{{Text: detail}},
		Footer:   "error " + string(e.Code),
	}
}

func helpReply(unknown string) Reply {
	text := "translate <Arabic text or URL>: an English translation\n\n" +
		"summarize <Arabic text or URL>: a headline and bullets\n\n" +
		"brief [YYYY-MM-DD | today | yesterday]: the day's briefing (yesterday by default)\n\n" +
		"help: this message"
	r := Reply{Title: "Dragoman: Arabic news in English", Sections: []Section{{Text: text}}}
	if unknown != "" {
		r.Title = fmt.Sprintf("Unknown command %q", clip(unknown, 40))
	}
	return r
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// Render formats a reply for a target.
func Render(t Target, r Reply) [][]byte {
	switch t.Platform {
	case Slack:
		return SlackMessages(r, t.ResponseType)
	case Discord:
		return DiscordMessages(r)
	case Mattermost:
		return MattermostMessages(r, t.ResponseType)
	case Teams:
		return TeamsMessages(r)
	case Telegram:
		return TelegramMessages(r, t.ChatID)
	}
	return [][]byte{GenericMessage("dragoman.reply", r)}
}
