package chat

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/go-telegram/bot/models"

	"github.com/dragoman-news/dragoman/gateway"
)

// Queue runs commands as durable jobs.
type Queue interface {
	EnqueueCommand(ctx context.Context, cmd Command) error
}

// HooksConfig holds each platform's verification secret; a platform
// without one is off.
type HooksConfig struct {
	SlackSigningSecret string
	DiscordPublicKey   ed25519.PublicKey
	DiscordAppID       string
	MattermostToken    string
	TeamsKey           []byte
	TelegramSecret     string
	WebhookKey         []byte
	// TeamsResults is where Teams results too slow for the outgoing
	// webhook's five seconds are posted (a Workflows webhook); empty: the
	// user is told to ask again.
	TeamsResults Target
	// TeamsBudget is how long a Teams request may work before answering.
	TeamsBudget time.Duration
	// WorkTimeout bounds work started for a Teams request.
	WorkTimeout time.Duration
	Now         func() time.Time
}

// Hooks handles inbound webhooks.
type Hooks struct {
	cfg    HooksConfig
	queue  Queue
	runner *Runner
}

// NewHooks returns the inbound handler.
func NewHooks(cfg HooksConfig, queue Queue, runner *Runner) *Hooks {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Hooks{cfg: cfg, queue: queue, runner: runner}
}

// Response is the immediate answer to a webhook.
type Response struct {
	Status      int
	ContentType string
	Body        []byte
}

func jsonResponse(status int, v any) *Response {
	return &Response{Status: status, ContentType: "application/json", Body: mustJSON(v)}
}

// Enabled reports whether a platform is configured.
func (h *Hooks) Enabled(platform string) bool {
	switch platform {
	case Slack:
		return h.cfg.SlackSigningSecret != ""
	case Discord:
		return len(h.cfg.DiscordPublicKey) == ed25519.PublicKeySize
	case Mattermost:
		return h.cfg.MattermostToken != ""
	case Teams:
		return len(h.cfg.TeamsKey) > 0
	case Telegram:
		return h.cfg.TelegramSecret != ""
	case Generic:
		return len(h.cfg.WebhookKey) > 0
	}
	return false
}

// Handle verifies and answers one inbound webhook. Nothing is run or
// queued for a request that fails verification.
func (h *Hooks) Handle(ctx context.Context, platform string, header http.Header, body []byte) (*Response, error) {
	if !h.Enabled(platform) {
		return nil, gateway.Errorf(gateway.CodeNotFound, "The %s hook is not configured.", platform)
	}
	var err error
	now := h.cfg.Now()
	switch platform {
	case Slack:
		err = VerifySlack(h.cfg.SlackSigningSecret, header, body, now)
	case Discord:
		err = VerifyDiscord(h.cfg.DiscordPublicKey, header, body, now)
	case Teams:
		err = VerifyTeams(h.cfg.TeamsKey, header, body)
	case Telegram:
		err = VerifyToken(h.cfg.TelegramSecret, header.Get("X-Telegram-Bot-Api-Secret-Token"))
	case Generic:
		err = VerifyStandard(h.cfg.WebhookKey, header, body, now)
	}
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeUnauthorized, err, "The request's signature or token is missing, wrong or stale.")
	}
	switch platform {
	case Slack:
		return h.slack(ctx, header, body)
	case Discord:
		return h.discord(ctx, body)
	case Mattermost:
		return h.mattermost(ctx, body)
	case Teams:
		return h.teams(ctx, body)
	case Telegram:
		return h.telegram(ctx, body)
	}
	return h.generic(ctx, header, body)
}

// working is the acknowledgement of a queued command.
func working(name string) string {
	return fmt.Sprintf("Working on your %s request; the answer follows here shortly.", name)
}

func badRequest(detail string, args ...any) error {
	return gateway.Errorf(gateway.CodeInvalidField, detail, args...)
}

func (h *Hooks) slack(ctx context.Context, header http.Header, body []byte) (*Response, error) {
	if strings.HasPrefix(header.Get("Content-Type"), "application/json") {
		// The Events API: only its URL verification needs an answer.
		var ev struct{ Type, Challenge string }
		if err := json.Unmarshal(body, &ev); err != nil {
			return nil, badRequest("The Slack event is not JSON.")
		}
		if ev.Type == "url_verification" {
			return jsonResponse(http.StatusOK, map[string]string{"challenge": ev.Challenge}), nil
		}
		return &Response{Status: http.StatusOK}, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, badRequest("The Slack slash command is not a form.")
	}
	return h.slashCommand(ctx, Slack, "Slack", form, body, SlackMessages)
}

// slashCommand answers the slash-command protocol Slack and Mattermost
// share: help at once, anything else acknowledged and queued, its answer
// posted to response_url.
func (h *Hooks) slashCommand(ctx context.Context, platform, title string, form url.Values, body []byte, messages func(Reply, string) [][]byte) (*Response, error) {
	name, arg := ParseCommand(form.Get("text"))
	if name == "help" {
		return &Response{Status: http.StatusOK, ContentType: "application/json", Body: messages(helpReply(arg), "ephemeral")[0]}, nil
	}
	if form.Get("response_url") == "" {
		return nil, badRequest("The %s command has no response_url.", title)
	}
	cmd := Command{
		ID: platform + ":" + firstNonEmpty(form.Get("trigger_id"), digest(body)), Name: name, Arg: arg, User: form.Get("user_id"),
		Reply: Target{Platform: platform, Name: title + " response_url", URL: form.Get("response_url"), ResponseType: "in_channel"},
	}
	if err := h.queue.EnqueueCommand(ctx, cmd); err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusOK, map[string]string{"response_type": "ephemeral", "text": working(name)}), nil
}

// discordCommand reads a slash command: /dragoman translate text:…, or
// /translate text:….
func discordCommand(data discordgo.ApplicationCommandInteractionData) (string, string) {
	name, opts := data.Name, data.Options
	if name == "dragoman" && len(opts) > 0 && opts[0].Type == discordgo.ApplicationCommandOptionSubCommand {
		name, opts = opts[0].Name, opts[0].Options
	}
	var arg string
	for _, o := range opts {
		if s, ok := o.Value.(string); ok {
			arg = strings.TrimSpace(arg + " " + s)
		}
	}
	return ParseCommand(name + " " + arg)
}

func (h *Hooks) discord(ctx context.Context, body []byte) (*Response, error) {
	var in discordgo.Interaction
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, badRequest("The Discord interaction is not JSON.")
	}
	switch in.Type {
	case discordgo.InteractionPing:
		return jsonResponse(http.StatusOK, discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong}), nil
	case discordgo.InteractionApplicationCommand:
	default:
		return nil, badRequest("Only slash commands are handled.")
	}
	name, arg := discordCommand(in.ApplicationCommandData())
	if name == "help" {
		msgs := DiscordMessages(helpReply(arg))
		var data discordgo.InteractionResponseData
		_ = json.Unmarshal(msgs[0], &data)
		data.Flags = discordgo.MessageFlagsEphemeral
		return jsonResponse(http.StatusOK, discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: &data}), nil
	}
	user := ""
	if in.Member != nil && in.Member.User != nil {
		user = in.Member.User.ID
	} else if in.User != nil {
		user = in.User.ID
	}
	cmd := Command{
		ID: "discord:" + in.ID, Name: name, Arg: arg, User: user,
		Reply: Target{Platform: Discord, Name: "Discord interaction", AppID: firstNonEmpty(in.AppID, h.cfg.DiscordAppID), Token: in.Token},
	}
	if err := h.queue.EnqueueCommand(ctx, cmd); err != nil {
		return nil, err
	}
	// Deferred: Discord shows "thinking…" until the answer edits it.
	return jsonResponse(http.StatusOK, discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}), nil
}

func (h *Hooks) mattermost(ctx context.Context, body []byte) (*Response, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, badRequest("The Mattermost command is not a form.")
	}
	if err := VerifyToken(h.cfg.MattermostToken, form.Get("token")); err != nil {
		return nil, gateway.Wrap(gateway.CodeUnauthorized, err, "The Mattermost token is missing or wrong.")
	}
	return h.slashCommand(ctx, Mattermost, "Mattermost", form, body, MattermostMessages)
}

var (
	atMention = regexp.MustCompile(`(?s)<at>.*?</at>`)
	htmlTag   = regexp.MustCompile(`<[^>]*>`)
)

// teams answers an outgoing webhook, which must answer within five
// seconds and cannot answer later. The command runs at once; if it
// finishes within the budget the answer is the result, otherwise the
// result goes to the configured Teams webhook (the work goes on, and what
// it computes is cached for a second ask).
func (h *Hooks) teams(ctx context.Context, body []byte) (*Response, error) {
	var act struct {
		ID   string `json:"id"`
		Text string `json:"text"`
		From struct {
			Name string `json:"name"`
		} `json:"from"`
	}
	if err := json.Unmarshal(body, &act); err != nil {
		return nil, badRequest("The Teams activity is not JSON.")
	}
	text := html.UnescapeString(htmlTag.ReplaceAllString(atMention.ReplaceAllString(act.Text, ""), " "))
	name, arg := ParseCommand(text)
	cmd := Command{ID: "teams:" + firstNonEmpty(act.ID, digest(body)), Name: name, Arg: arg, User: act.From.Name, Reply: h.cfg.TeamsResults}

	done := make(chan Reply, 1)
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cfg.WorkTimeout)
	go func() {
		defer cancel()
		done <- h.runner.Reply(work, cmd)
	}()
	budget := time.NewTimer(h.cfg.TeamsBudget)
	defer budget.Stop()
	select {
	case r := <-done:
		var attachments []any
		for _, card := range TeamsCards(r) {
			attachments = append(attachments, map[string]any{"contentType": "application/vnd.microsoft.card.adaptive", "content": card})
		}
		return jsonResponse(http.StatusOK, map[string]any{"type": "message", "attachments": attachments}), nil
	case <-budget.C:
	}
	if h.cfg.TeamsResults.URL == "" {
		return jsonResponse(http.StatusOK, map[string]string{"type": "message",
			"text": "This takes longer than Teams waits. Ask again in a minute: the answer is being prepared and will be ready."}), nil
	}
	if err := h.queue.EnqueueCommand(ctx, cmd); err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusOK, map[string]string{"type": "message", "text": "This takes longer than Teams waits; the answer will be posted to this channel."}), nil
}

func (h *Hooks) telegram(ctx context.Context, body []byte) (*Response, error) {
	var up models.Update
	if err := json.Unmarshal(body, &up); err != nil {
		return nil, badRequest("The Telegram update is not JSON.")
	}
	if up.Message == nil || !strings.HasPrefix(up.Message.Text, "/") {
		return &Response{Status: http.StatusOK}, nil // not a command: nothing to do
	}
	chatID := fmt.Sprint(up.Message.Chat.ID)
	name, arg := ParseCommand(up.Message.Text)
	if name == "help" {
		// A webhook may answer with one Bot API call of its own.
		var call map[string]any
		_ = json.Unmarshal(TelegramMessages(helpReply(arg), chatID)[0], &call)
		call["method"] = "sendMessage"
		return jsonResponse(http.StatusOK, call), nil
	}
	user := ""
	if up.Message.From != nil {
		user = fmt.Sprint(up.Message.From.ID)
	}
	cmd := Command{
		ID: fmt.Sprintf("telegram:%d", up.ID), Name: name, Arg: arg, User: user,
		Reply: Target{Platform: Telegram, Name: "Telegram chat " + chatID, ChatID: chatID},
	}
	if err := h.queue.EnqueueCommand(ctx, cmd); err != nil {
		return nil, err
	}
	return &Response{Status: http.StatusOK}, nil
}

// generic is a command over Standard Webhooks: {"command": "translate",
// "text": "…", "reply_url": "https://…"}. The result goes to reply_url,
// signed the same way.
func (h *Hooks) generic(ctx context.Context, header http.Header, body []byte) (*Response, error) {
	var in struct {
		Command  string `json:"command"`
		Text     string `json:"text"`
		ReplyURL string `json:"reply_url"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, badRequest("The webhook body must be JSON: {\"command\", \"text\", \"reply_url\"}.")
	}
	if safeURL(in.ReplyURL) == "" {
		return nil, gateway.FieldError(gateway.CodeMissingField, "reply_url", "reply_url must be an http(s) URL to post the result to.")
	}
	name, arg := ParseCommand(in.Command + " " + in.Text)
	cmd := Command{
		ID: "generic:" + header.Get("webhook-id"), Name: name, Arg: arg,
		Reply: Target{Platform: Generic, Name: "generic reply_url", URL: in.ReplyURL},
	}
	if err := h.queue.EnqueueCommand(ctx, cmd); err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusAccepted, map[string]string{"id": cmd.ID, "status": "accepted"}), nil
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}
