package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dragoman-news/dragoman/gateway/chat"
)

// platforms fakes the chat platforms' APIs and webhooks: it records every
// request and answers as the platform would, with failures on demand.
type platforms struct {
	*httptest.Server
	mu    sync.Mutex
	posts []posted
	fail  map[string][]int // path prefix -> statuses to answer first
}

type posted struct {
	Method, Path string
	Header       http.Header
	Body         []byte
	Status       int
}

func newPlatforms(t testing.TB) *platforms {
	p := &platforms{fail: map[string][]int{}}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		status := http.StatusOK
		p.mu.Lock()
		for prefix, statuses := range p.fail {
			if strings.HasPrefix(r.URL.Path, prefix) && len(statuses) > 0 {
				status, p.fail[prefix] = statuses[0], statuses[1:]
			}
		}
		p.posts = append(p.posts, posted{r.Method, r.URL.Path, r.Header.Clone(), body, status})
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(status)
			io.WriteString(w, `{"message": "You are being rate limited.", "retry_after": 1}`)
			return
		}
		w.WriteHeader(status)
		switch {
		case strings.HasSuffix(r.URL.Path, "/sendMessage"):
			io.WriteString(w, `{"ok": true, "result": {"message_id": 1, "date": 0, "chat": {"id": 42, "type": "private"}}}`)
		case strings.HasSuffix(r.URL.Path, "/chat.postMessage"):
			io.WriteString(w, `{"ok": true, "channel": "C1", "ts": "1.1"}`)
		default:
			io.WriteString(w, `{}`)
		}
	}))
	t.Cleanup(p.Close)
	return p
}

// received returns the successful posts under a path prefix.
func (p *platforms) received(prefix string) []posted {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []posted
	for _, x := range p.posts {
		if strings.HasPrefix(x.Path, prefix) && x.Status < 300 {
			out = append(out, x)
		}
	}
	return out
}

func (p *platforms) waitFor(t testing.TB, prefix string, n int) []posted {
	t.Helper()
	eventually(t, fmt.Sprintf("%d posts to %s", n, prefix), 20*time.Second, func() bool { return len(p.received(prefix)) >= n })
	return p.received(prefix)
}

// secrets of the test platforms.
type secrets struct {
	discordKey ed25519.PrivateKey
	teamsKey   []byte
	webhookKey []byte
}

const (
	slackSecret   = "slack-signing-secret"
	mmToken       = "mattermost-token"
	tgSecret      = "telegram-secret"
	tgBotToken    = "123456:telegram-bot-token"
	webhookSecret = "d2ViaG9vayBzZWNyZXQga2V5IDMyIGJ5dGVzIQ=="
)

func chatGateway(t testing.TB, p *platforms, extra map[string]string) (*gw, secrets) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	s := secrets{discordKey: priv, teamsKey: []byte("teams outgoing webhook key"), webhookKey: nil}
	s.webhookKey, _ = base64.StdEncoding.DecodeString(webhookSecret)
	env := map[string]string{
		"DRAGOMAN_ALLOW_PRIVATE_URLS":    "true",
		"DRAGOMAN_JOB_POLL_INTERVAL":     "100ms",
		"DRAGOMAN_SLACK_SIGNING_SECRET":  slackSecret,
		"DRAGOMAN_DISCORD_PUBLIC_KEY":    hex.EncodeToString(pub),
		"DRAGOMAN_DISCORD_APP_ID":        "app1",
		"DRAGOMAN_DISCORD_API_URL":       p.URL + "/discord/api",
		"DRAGOMAN_MATTERMOST_TOKEN":      mmToken,
		"DRAGOMAN_TEAMS_HMAC_KEY":        base64.StdEncoding.EncodeToString(s.teamsKey),
		"DRAGOMAN_TEAMS_WEBHOOK_URL":     p.URL + "/teams/workflow",
		"DRAGOMAN_TEAMS_BUDGET":          "500ms",
		"DRAGOMAN_TELEGRAM_BOT_TOKEN":    tgBotToken,
		"DRAGOMAN_TELEGRAM_SECRET_TOKEN": tgSecret,
		"DRAGOMAN_TELEGRAM_API_URL":      p.URL + "/telegram",
		"DRAGOMAN_WEBHOOK_SECRET":        "whsec_" + webhookSecret,
	}
	for k, v := range extra {
		env[k] = v
	}
	return startGateway(t, env), s
}

func now() string { return strconv.FormatInt(time.Now().Unix(), 10) }

func (g *gw) hook(t testing.TB, platform, contentType string, body []byte, header http.Header) response {
	t.Helper()
	req, _ := http.NewRequest("POST", g.url+"/v1/hooks/"+platform, strings.NewReader(string(body)))
	req.Header = header.Clone()
	req.Header.Set("Content-Type", contentType)
	return send(t, req)
}

// signed builds each platform's request for a command text, signed.
func signed(t testing.TB, p *platforms, s secrets, platform, text, id string) (string, []byte, http.Header) {
	switch platform {
	case chat.Slack:
		form := url.Values{"command": {"/dragoman"}, "text": {text}, "response_url": {p.URL + "/slack/response/" + id},
			"trigger_id": {id}, "user_id": {"U1"}}
		body := []byte(form.Encode())
		ts := now()
		m := hmac.New(sha256.New, []byte(slackSecret))
		m.Write([]byte("v0:" + ts + ":" + string(body)))
		return "application/x-www-form-urlencoded", body, http.Header{"X-Slack-Request-Timestamp": {ts}, "X-Slack-Signature": {"v0=" + hex.EncodeToString(m.Sum(nil))}}
	case chat.Discord:
		name, arg, _ := strings.Cut(text, " ")
		body, _ := json.Marshal(map[string]any{"type": 2, "id": id, "application_id": "app1", "token": "tok-" + id,
			"data": map[string]any{"name": "dragoman", "options": []any{map[string]any{"type": 1, "name": name,
				"options": []any{map[string]any{"type": 3, "name": "text", "value": arg}}}}}})
		ts := now()
		sig := ed25519.Sign(s.discordKey, append([]byte(ts), body...))
		return "application/json", body, http.Header{"X-Signature-Timestamp": {ts}, "X-Signature-Ed25519": {hex.EncodeToString(sig)}}
	case chat.Mattermost:
		form := url.Values{"token": {mmToken}, "text": {text}, "response_url": {p.URL + "/mattermost/response/" + id}, "trigger_id": {id}}
		return "application/x-www-form-urlencoded", []byte(form.Encode()), http.Header{}
	case chat.Teams:
		body, _ := json.Marshal(map[string]any{"type": "message", "id": id, "text": "<at>Dragoman</at> " + text, "from": map[string]string{"name": "Ana"}})
		m := hmac.New(sha256.New, s.teamsKey)
		m.Write(body)
		return "application/json", body, http.Header{"Authorization": {"HMAC " + base64.StdEncoding.EncodeToString(m.Sum(nil))}}
	case chat.Telegram:
		n, _ := strconv.Atoi(strings.TrimPrefix(id, "c"))
		body, _ := json.Marshal(map[string]any{"update_id": 1000 + n, "message": map[string]any{"message_id": 1, "date": 0,
			"chat": map[string]any{"id": 42, "type": "private"}, "text": "/" + text}})
		return "application/json", body, http.Header{"X-Telegram-Bot-Api-Secret-Token": {tgSecret}}
	}
	name, arg, _ := strings.Cut(text, " ")
	body, _ := json.Marshal(map[string]string{"command": name, "text": arg, "reply_url": p.URL + "/generic/reply/" + id})
	ts := time.Now()
	msgID := "msg_" + id
	return "application/json", body, http.Header{"webhook-id": {msgID}, "webhook-timestamp": {now()},
		"webhook-signature": {chat.SignStandard(s.webhookKey, msgID, ts, body)}}
}

// answerPath is where each platform's answer to a command arrives.
func answerPath(platform, id string) string {
	switch platform {
	case chat.Slack:
		return "/slack/response/" + id
	case chat.Discord:
		return "/discord/api/webhooks/app1/tok-" + id
	case chat.Mattermost:
		return "/mattermost/response/" + id
	case chat.Teams:
		return "/teams/workflow"
	case chat.Telegram:
		return "/telegram/bot" + tgBotToken + "/sendMessage"
	}
	return "/generic/reply/" + id
}

func TestChatCommandsAckFirstAnswerLater(t *testing.T) {
	p := newPlatforms(t)
	g, s := chatGateway(t, p, nil)
	text := "translate " + strings.SplitN(seed(t), "\n\n", 3)[1] // one paragraph: quick to check
	for i, platform := range []string{chat.Slack, chat.Discord, chat.Mattermost, chat.Teams, chat.Telegram, chat.Generic} {
		t.Run(platform, func(t *testing.T) {
			id := fmt.Sprintf("c%d", i+1)
			release := g.fake.Hold() // the model does not answer until released
			defer release()
			ct, body, header := signed(t, p, s, platform, text+fmt.Sprintf(" (%d)", i), id)
			r := g.hook(t, platform, ct, body, header)
			// The acknowledgement came while the model was still held.
			switch platform {
			case chat.Discord:
				if r.status != 200 || r.json(t)["type"] != 5.0 {
					t.Fatalf("ack %d %s", r.status, r.body)
				}
			case chat.Generic:
				if r.status != 202 {
					t.Fatalf("ack %d %s", r.status, r.body)
				}
			case chat.Teams:
				if r.status != 200 || !strings.Contains(string(r.body), "longer than Teams waits") {
					t.Fatalf("ack %d %s", r.status, r.body)
				}
			default:
				if r.status != 200 {
					t.Fatalf("ack %d %s", r.status, r.body)
				}
			}
			if len(p.received(answerPath(platform, id))) != 0 {
				t.Fatal("answered before the model did")
			}
			release()
			answer := p.waitFor(t, answerPath(platform, id), 1)[0]
			if !strings.Contains(string(answer.Body), "Xinhua") {
				t.Errorf("answer lacks the translation: %.300s", answer.Body)
			}
			if platform == chat.Discord && answer.Method != http.MethodPatch {
				t.Errorf("Discord answer by %s, want PATCH of @original", answer.Method)
			}
			if platform == chat.Generic {
				key, _ := base64.StdEncoding.DecodeString(webhookSecret)
				if err := chat.VerifyStandard(key, answer.Header, answer.Body, time.Now()); err != nil {
					t.Errorf("generic answer not signed: %v", err)
				}
			}
		})
	}
}

func TestChatRejectsBadSignatures(t *testing.T) {
	p := newPlatforms(t)
	g, s := chatGateway(t, p, nil)
	tamper := func(platform string) (string, []byte, http.Header) {
		ct, body, header := signed(t, p, s, platform, "translate نص عربي", "bad")
		return ct, append(body, ' '), header // the body no longer matches
	}
	stale := func(platform string) (string, []byte, http.Header) {
		ct, body, header := signed(t, p, s, platform, "translate نص عربي", "stale")
		old := strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10)
		switch platform {
		case chat.Slack:
			m := hmac.New(sha256.New, []byte(slackSecret))
			m.Write([]byte("v0:" + old + ":" + string(body)))
			header.Set("X-Slack-Request-Timestamp", old)
			header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
		case chat.Discord:
			header.Set("X-Signature-Timestamp", old)
			header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(s.discordKey, append([]byte(old), body...))))
		case chat.Generic:
			oldTime := time.Now().Add(-10 * time.Minute)
			header.Set("webhook-timestamp", old)
			header.Set("webhook-signature", chat.SignStandard(s.webhookKey, header.Get("webhook-id"), oldTime, body))
		}
		return ct, body, header
	}
	missing := func(platform string) (string, []byte, http.Header) {
		ct, body, _ := signed(t, p, s, platform, "translate نص عربي", "missing")
		if platform == chat.Mattermost {
			form, _ := url.ParseQuery(string(body))
			form.Del("token")
			body = []byte(form.Encode())
		}
		return ct, body, http.Header{}
	}
	for _, platform := range []string{chat.Slack, chat.Discord, chat.Mattermost, chat.Teams, chat.Telegram, chat.Generic} {
		cases := map[string]func(string) (string, []byte, http.Header){"tampered": tamper, "missing": missing}
		if platform == chat.Slack || platform == chat.Discord || platform == chat.Generic {
			cases["stale"] = stale
		}
		if platform == chat.Telegram || platform == chat.Mattermost {
			delete(cases, "tampered") // a shared token signs nothing
			cases["wrong token"] = func(platform string) (string, []byte, http.Header) {
				ct, body, header := signed(t, p, s, platform, "translate نص عربي", "wrong")
				header.Set("X-Telegram-Bot-Api-Secret-Token", "guess")
				body = []byte(strings.Replace(string(body), "token="+mmToken, "token=guess", 1))
				return ct, body, header
			}
		}
		for name, build := range cases {
			ct, body, header := build(platform)
			r := g.hook(t, platform, ct, body, header)
			if r.status != 401 || r.json(t)["code"] != "unauthorized" {
				t.Errorf("%s %s: %d %s", platform, name, r.status, r.body)
			}
		}
	}
	time.Sleep(time.Second) // anything queued would have run by now
	if g.fake.Calls() != 0 || len(p.received("/")) != 0 {
		t.Errorf("rejected requests were processed: %d model calls, %d posts", g.fake.Calls(), len(p.received("/")))
	}
	if r := g.post(t, "/v1/hooks/slack", "application/json", "{}"); r.status != 401 {
		t.Errorf("unsigned JSON: %d", r.status)
	}
}

func TestChatPingsHelpAndOffPlatforms(t *testing.T) {
	p := newPlatforms(t)
	g, s := chatGateway(t, p, nil)
	// Discord's endpoint check: PING, signed.
	body := []byte(`{"type": 1, "id": "p1"}`)
	ts := now()
	r := g.hook(t, chat.Discord, "application/json", body, http.Header{"X-Signature-Timestamp": {ts},
		"X-Signature-Ed25519": {hex.EncodeToString(ed25519.Sign(s.discordKey, append([]byte(ts), body...)))}})
	if r.status != 200 || string(r.body) != `{"type":1}` {
		t.Errorf("ping: %d %s", r.status, r.body)
	}
	// Slack's Events API URL verification.
	ev := []byte(`{"type": "url_verification", "challenge": "abc123"}`)
	m := hmac.New(sha256.New, []byte(slackSecret))
	m.Write([]byte("v0:" + ts + ":" + string(ev)))
	r = g.hook(t, chat.Slack, "application/json", ev, http.Header{"X-Slack-Request-Timestamp": {ts}, "X-Slack-Signature": {"v0=" + hex.EncodeToString(m.Sum(nil))}})
	if r.status != 200 || r.json(t)["challenge"] != "abc123" {
		t.Errorf("url_verification: %d %s", r.status, r.body)
	}
	// help answers at once, on every platform.
	for _, platform := range []string{chat.Slack, chat.Discord, chat.Mattermost, chat.Teams, chat.Telegram} {
		ct, body, header := signed(t, p, s, platform, "help", "h-"+platform)
		if r := g.hook(t, platform, ct, body, header); r.status != 200 || !strings.Contains(string(r.body), "translate") {
			t.Errorf("%s help: %d %.200s", platform, r.status, r.body)
		}
	}
	// A platform without its secret is off.
	off := startGateway(t, nil)
	if r := off.post(t, "/v1/hooks/slack", "application/x-www-form-urlencoded", "text=help"); r.status != 404 {
		t.Errorf("unconfigured slack: %d", r.status)
	}
}

func TestChatLongAnswersAreSplitAndEscaped(t *testing.T) {
	p := newPlatforms(t)
	g, s := chatGateway(t, p, nil)
	long, err := os.ReadFile("../../testdata/article-long-ar.txt")
	if err != nil {
		t.Fatal(err)
	}
	text := "translate " + strings.ReplaceAll(string(long), "\n", " ") + " @everyone <!channel> https://evil.example/x"
	for _, platform := range []string{chat.Telegram, chat.Discord} {
		ct, body, header := signed(t, p, s, platform, text, "long-"+platform)
		if r := g.hook(t, platform, ct, body, header); r.status != 200 {
			t.Fatalf("%s: %d %s", platform, r.status, r.body)
		}
	}
	tg := p.waitFor(t, answerPath(chat.Telegram, ""), 3)
	var all strings.Builder
	for _, post := range tg {
		text := formField(t, post, "text")
		if len([]rune(text)) > 4096 {
			t.Errorf("telegram message of %d characters", len([]rune(text)))
		}
		if formField(t, post, "parse_mode") != "HTML" || formField(t, post, "chat_id") != "42" {
			t.Errorf("telegram message: parse_mode %q, chat %q", formField(t, post, "parse_mode"), formField(t, post, "chat_id"))
		}
		all.WriteString(text)
	}
	for _, n := range []string{"52", "398", "2026", "2027"} {
		if !strings.Contains(all.String(), n) {
			t.Errorf("telegram answer lost %s", n)
		}
	}
	if strings.Contains(all.String(), "@everyone") || strings.Contains(all.String(), "https://evil.example") {
		t.Error("telegram: mention or link from the text kept")
	}
	dc := p.waitFor(t, answerPath(chat.Discord, "long-discord"), 2)
	if dc[0].Method != http.MethodPatch || dc[1].Method != http.MethodPost {
		t.Errorf("discord: %s then %s", dc[0].Method, dc[1].Method)
	}
	for _, post := range dc {
		var m struct {
			Content         string
			Embeds          []struct{ Description string }
			AllowedMentions struct{ Parse []string } `json:"allowed_mentions"`
		}
		_ = json.Unmarshal(post.Body, &m)
		for _, e := range m.Embeds {
			if len([]rune(e.Description)) > 4096 || strings.Contains(e.Description, "@everyone") || strings.Contains(e.Description, "<!channel>") {
				t.Errorf("discord embed: %d characters, mentions kept: %v", len([]rune(e.Description)), strings.Contains(e.Description, "@everyone"))
			}
		}
		if m.AllowedMentions.Parse == nil || len(m.AllowedMentions.Parse) != 0 {
			t.Errorf("discord: allowed_mentions %v", m.AllowedMentions.Parse)
		}
	}
}

func TestBriefingDeliveredEverywhereOnce(t *testing.T) {
	p := newPlatforms(t)
	g, _ := chatGateway(t, p, map[string]string{
		"DRAGOMAN_BRIEFING_TZ":            "Asia/Riyadh",
		"DRAGOMAN_SLACK_WEBHOOK_URL":      p.URL + "/slack/webhook",
		"DRAGOMAN_SLACK_BOT_TOKEN":        "xoxb-test",
		"DRAGOMAN_SLACK_CHANNEL":          "C1",
		"DRAGOMAN_SLACK_API_URL":          p.URL + "/slack/api/",
		"DRAGOMAN_DISCORD_WEBHOOK_URL":    p.URL + "/discord/hook",
		"DRAGOMAN_MATTERMOST_WEBHOOK_URL": p.URL + "/mattermost/hook",
		"DRAGOMAN_TELEGRAM_CHAT_ID":       "42",
		"DRAGOMAN_WEBHOOK_URL":            p.URL + "/generic/hook",
	})
	g.ingestDay(t)
	// Discord rate limits the first post, and one Slack webhook post fails.
	p.mu.Lock()
	p.fail["/discord/hook"] = []int{429}
	p.fail["/slack/webhook"] = []int{502}
	p.mu.Unlock()
	r := g.post(t, "/v1/briefings", "application/json", `{"date": "2025-11-04", "deliver": true}`)
	if r.status != 201 || len(r.json(t)["deliveries"].([]any)) != 7 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, path := range []string{"/slack/webhook", "/slack/api/chat.postMessage", "/discord/hook", "/teams/workflow", "/mattermost/hook",
		"/telegram/bot" + tgBotToken + "/sendMessage", "/generic/hook"} {
		p.waitFor(t, path, 1)
	}
	var log struct {
		Deliveries []struct {
			Destination, Status string
			Parts               int
			PartsSent           int `json:"parts_sent"`
			Attempts            int
		}
	}
	eventually(t, "every delivery delivered", 20*time.Second, func() bool {
		_ = json.Unmarshal(g.get(t, "/v1/deliveries").body, &log)
		for _, d := range log.Deliveries {
			if d.Status != "delivered" {
				return false
			}
		}
		return len(log.Deliveries) == 7
	})
	time.Sleep(time.Second)
	for _, d := range log.Deliveries {
		// Each part arrived once, whatever was retried.
		prefix := map[string]string{"Discord webhook": "/discord/hook", "Slack webhook": "/slack/webhook"}[d.Destination]
		if prefix != "" {
			if got := len(p.received(prefix)); got != d.Parts {
				t.Errorf("%s: %d parts received for %d", d.Destination, got, d.Parts)
			}
			if d.Attempts < 2 {
				t.Errorf("%s: %d attempts; the failure was not retried", d.Destination, d.Attempts)
			}
		}
	}
	hook := p.received("/discord/hook")[0]
	if !strings.Contains(string(hook.Body), "https://arabic.xinhua.example/2025-11/04/c_1.htm") || !strings.Contains(string(hook.Body), "\u2068") {
		t.Errorf("discord briefing lacks its sources or isolated Arabic: %.300s", hook.Body)
	}
	if r := g.get(t, "/v1/deliveries?limit=0"); r.status != 400 {
		t.Errorf("limit 0: %d", r.status)
	}
}

// formField reads a field of a multipart form, as go-telegram/bot sends.
func formField(t *testing.T, p posted, name string) string {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("content type %q: %v", p.Header.Get("Content-Type"), err)
	}
	form, err := multipart.NewReader(bytes.NewReader(p.Body), params["boundary"]).ReadForm(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(form.Value[name], "")
}
