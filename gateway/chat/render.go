package chat

import (
	"encoding/json"
	"fmt"
	"html"
	"strings"

	"github.com/bwmarrin/discordgo"
	"github.com/slack-go/slack"
)

// Limits of each platform, in bytes of text (a platform counting in
// characters allows at least as many).
const (
	slackSectionLimit   = 3000 // text of a section block
	slackHeaderLimit    = 150  // a header block's plain text
	slackBlocksLimit    = 50   // blocks in a message
	discordContentLimit = 2000 // a message's content
	discordEmbedLimit   = 4096 // an embed's description
	discordTitleLimit   = 256  // an embed's title
	discordEmbedsLimit  = 10   // embeds in a message
	discordTotalLimit   = 6000 // all embeds of a message together
	telegramLimit       = 4096 // a message's text
	mattermostLimit     = 16000
	teamsCardLimit      = 20000 // of card JSON; Teams refuses payloads near 28 KB
)

var mdSpecial = strings.NewReplacer(
	`\`, `\\`, "*", `\*`, "_", `\_`, "~", `\~`, "`", "\\`", "|", `\|`, ">", `\>`, "<", `\<`,
	"[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`, "#", `\#`,
)

// slackText escapes text for Slack mrkdwn: with <, > and & escaped, no
// mention (<!channel>, <@U…>) and no link can be written.
func slackText(s string) string {
	return unmention(defang(strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)))
}

// discordText escapes Markdown and breaks mass mentions; the payload also
// allows no mentions at all.
func discordText(s string) string { return unmention(defang(mdSpecial.Replace(s))) }

func mattermostText(s string) string { return unmention(defang(mdSpecial.Replace(s))) }

func telegramText(s string) string { return html.EscapeString(unmention(defang(s))) }

// teamsText keeps Adaptive Card Markdown (which has no escapes) from
// forming links.
func teamsText(s string) string { return strings.ReplaceAll(unmention(defang(s)), "](", "]\u200b(") }

// lines renders a section as lines of already escaped text.
func (sec Section) lines(esc func(string) string, bold func(string) string, bullet string, link func(Link) string) []string {
	var out []string
	if sec.Heading != "" {
		out = append(out, bold(esc(sec.Heading)))
	}
	if sec.Arabic != "" {
		out = append(out, isolate(esc(sec.Arabic)))
	}
	if sec.Text != "" {
		for p := range strings.SplitSeq(sec.Text, "\n\n") {
			out = append(out, esc(p), "")
		}
		out = out[:len(out)-1]
	}
	for _, b := range sec.Bullets {
		out = append(out, bullet+esc(b))
	}
	var links []string
	for _, l := range sec.Links {
		if safeURL(l.URL) != "" {
			links = append(links, link(l))
		}
	}
	if len(links) > 0 {
		out = append(out, strings.Join(links, " · "))
	}
	return out
}

// SlackMessages renders a reply as Slack messages of Block Kit blocks, for
// a response_url or an incoming webhook. responseType is "in_channel",
// "ephemeral", or "" for a webhook.
func SlackMessages(r Reply, responseType string) [][]byte {
	var blocks []slack.Block
	if r.Title != "" {
		title := slackText(r.Title)
		if len(title) > slackHeaderLimit {
			title = split(title, slackHeaderLimit-3)[0] + "..."
		}
		blocks = append(blocks, slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, title, false, false)))
	}
	for i, sec := range r.Sections {
		if i > 0 {
			blocks = append(blocks, slack.NewDividerBlock())
		}
		text := strings.Join(sec.lines(slackText, func(s string) string { return "*" + s + "*" }, "• ", func(l Link) string {
			return "<" + safeURL(l.URL) + "|" + slackText(l.Text) + ">"
		}), "\n")
		for _, piece := range split(text, slackSectionLimit) {
			blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, piece, false, false), nil, nil))
		}
	}
	if r.Footer != "" {
		blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, slackText(r.Footer), false, false)))
	}
	var out [][]byte
	for start := 0; start < len(blocks); start += slackBlocksLimit {
		end := min(start+slackBlocksLimit, len(blocks))
		msg := slack.WebhookMessage{
			Text:         slackText(firstNonEmpty(r.Title, "Dragoman")), // notification fallback
			Blocks:       &slack.Blocks{BlockSet: blocks[start:end]},
			ResponseType: responseType,
		}
		out = append(out, mustJSON(msg))
	}
	return out
}

// DiscordMessages renders a reply as Discord messages: the title as
// content, each section an embed, split to Discord's limits.
func DiscordMessages(r Reply) [][]byte {
	noMentions := &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
	var embeds []*discordgo.MessageEmbed
	for _, sec := range r.Sections {
		heading := discordText(sec.Heading)
		sec.Heading = ""
		text := strings.Join(sec.lines(discordText, func(s string) string { return "**" + s + "**" }, "• ", func(l Link) string {
			return "[" + discordText(l.Text) + "](" + safeURL(l.URL) + ")"
		}), "\n")
		for i, piece := range split(text, discordEmbedLimit) {
			e := &discordgo.MessageEmbed{Description: piece, Color: 0x1f6feb}
			if i == 0 && heading != "" {
				e.Title = split(heading, discordTitleLimit)[0]
			}
			embeds = append(embeds, e)
		}
	}
	if r.Footer != "" && len(embeds) > 0 {
		embeds[len(embeds)-1].Footer = &discordgo.MessageEmbedFooter{Text: r.Footer}
	}
	content := split(discordText(r.Title), discordContentLimit)
	var out [][]byte
	msg := &discordgo.WebhookParams{Content: content[0], AllowedMentions: noMentions}
	size := 0
	for _, e := range embeds {
		n := len(e.Title) + len(e.Description)
		if e.Footer != nil {
			n += len(e.Footer.Text)
		}
		if len(msg.Embeds) == discordEmbedsLimit || size+n > discordTotalLimit {
			out = append(out, mustJSON(msg))
			msg, size = &discordgo.WebhookParams{AllowedMentions: noMentions}, 0
		}
		msg.Embeds = append(msg.Embeds, e)
		size += n
	}
	out = append(out, mustJSON(msg))
	for _, more := range content[1:] {
		out = append(out, mustJSON(&discordgo.WebhookParams{Content: more, AllowedMentions: noMentions}))
	}
	return out
}

// TelegramMessages renders a reply as Telegram sendMessage calls in HTML.
func TelegramMessages(r Reply, chatID string) [][]byte {
	var lines []string
	if r.Title != "" {
		lines = append(lines, "<b>"+telegramText(r.Title)+"</b>", "")
	}
	for _, sec := range r.Sections {
		lines = append(lines, sec.lines(telegramText, func(s string) string { return "<b>" + s + "</b>" }, "• ", func(l Link) string {
			return `<a href="` + html.EscapeString(safeURL(l.URL)) + `">` + telegramText(l.Text) + "</a>"
		})...)
		lines = append(lines, "")
	}
	if r.Footer != "" {
		lines = append(lines, "<i>"+telegramText(r.Footer)+"</i>")
	}
	var out [][]byte
	for _, piece := range split(strings.Join(lines, "\n"), telegramLimit) {
		out = append(out, mustJSON(map[string]any{
			"chat_id": chatID, "text": piece, "parse_mode": "HTML",
			"link_preview_options": map[string]bool{"is_disabled": true},
		}))
	}
	return out
}

// MattermostMessages renders a reply as Mattermost posts in Markdown.
// responseType is "in_channel" or "ephemeral" for a slash command, "" for
// an incoming webhook.
func MattermostMessages(r Reply, responseType string) [][]byte {
	var lines []string
	if r.Title != "" {
		lines = append(lines, "#### "+mattermostText(r.Title), "")
	}
	for _, sec := range r.Sections {
		lines = append(lines, sec.lines(mattermostText, func(s string) string { return "**" + s + "**" }, "- ", func(l Link) string {
			return "[" + mattermostText(l.Text) + "](" + safeURL(l.URL) + ")"
		})...)
		lines = append(lines, "")
	}
	if r.Footer != "" {
		lines = append(lines, "_"+mattermostText(r.Footer)+"_")
	}
	var out [][]byte
	for _, piece := range split(strings.Join(lines, "\n"), mattermostLimit) {
		msg := map[string]any{"text": piece}
		if responseType != "" {
			msg["response_type"] = responseType
		}
		out = append(out, mustJSON(msg))
	}
	return out
}

// TeamsCards renders a reply as Adaptive Cards.
func TeamsCards(r Reply) []map[string]any {
	text := func(s string, extra map[string]any) map[string]any {
		b := map[string]any{"type": "TextBlock", "text": s, "wrap": true}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	var items []map[string]any
	if r.Title != "" {
		items = append(items, text(teamsText(r.Title), map[string]any{"size": "Large", "weight": "Bolder"}))
	}
	for _, sec := range r.Sections {
		if sec.Heading != "" {
			items = append(items, text(teamsText(sec.Heading), map[string]any{"weight": "Bolder", "spacing": "Large"}))
		}
		if sec.Arabic != "" {
			items = append(items, map[string]any{"type": "Container", "rtl": true,
				"items": []any{text(isolate(teamsText(sec.Arabic)), map[string]any{"isSubtle": true})}})
		}
		if sec.Text != "" {
			for _, piece := range split(teamsText(sec.Text), teamsCardLimit/2) {
				items = append(items, text(piece, nil))
			}
		}
		if len(sec.Bullets) > 0 {
			var b strings.Builder
			for _, bullet := range sec.Bullets {
				b.WriteString("- " + teamsText(bullet) + "\n")
			}
			items = append(items, text(strings.TrimSpace(b.String()), nil))
		}
		var links []string
		for _, l := range sec.Links {
			if u := safeURL(l.URL); u != "" {
				links = append(links, "["+teamsText(l.Text)+"]("+u+")")
			}
		}
		if len(links) > 0 {
			items = append(items, text(strings.Join(links, " · "), map[string]any{"size": "Small"}))
		}
	}
	if r.Footer != "" {
		items = append(items, text(teamsText(r.Footer), map[string]any{"size": "Small", "isSubtle": true}))
	}
	var cards []map[string]any
	card := newCard()
	size := 0
	for _, it := range items {
		n := len(mustJSON(it))
		if size+n > teamsCardLimit && size > 0 {
			cards = append(cards, card)
			card, size = newCard(), 0
		}
		card["body"] = append(card["body"].([]any), it)
		size += n
	}
	return append(cards, card)
}

func newCard() map[string]any {
	return map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard", "version": "1.5", "body": []any{},
	}
}

// TeamsMessages wraps cards as messages for a Workflows webhook.
func TeamsMessages(r Reply) [][]byte {
	var out [][]byte
	for _, card := range TeamsCards(r) {
		out = append(out, mustJSON(map[string]any{
			"type": "message",
			"attachments": []any{map[string]any{
				"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": nil, "content": card,
			}},
		}))
	}
	return out
}

// GenericMessage renders a reply as one Standard Webhooks event.
func GenericMessage(eventType string, data any) []byte {
	return mustJSON(map[string]any{"type": eventType, "data": data})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("chat: encoding a payload: %v", err)) // only maps, strings and library types
	}
	return b
}
