package chat

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/briefing"
	"github.com/dragoman-news/dragoman/gateway/ingest"
)

func FuzzSplit(f *testing.F) {
	f.Add("كلمة عربية &amp; word\n\nparagraph", 16)
	f.Add(strings.Repeat("x", 100)+" &lt;y&gt;", 20)
	f.Add("\n\n\n  \n", 17)
	f.Fuzz(func(t *testing.T, text string, limit int) {
		if !utf8.ValidString(text) || limit < 16 || limit > 5000 {
			t.Skip()
		}
		pieces := split(text, limit)
		for _, p := range pieces {
			if len(p) > limit || !utf8.ValidString(p) {
				t.Fatalf("piece of %d bytes over %d, or invalid UTF-8: %q", len(p), limit, p)
			}
		}
		// Only blanks, at a cut or at the end, may go.
		words := func(s string) string { return strings.Join(strings.Fields(s), "") }
		if got, want := words(strings.Join(pieces, "")), words(text); got != want {
			t.Fatalf("split changed the text:\n got %q\nwant %q", got, want)
		}
	})
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"translate نص", "/tr@Bot x", "لخص", "brief today", "", "help me", "@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		name, arg := ParseCommand(text)
		switch name {
		case "translate", "summarize", "brief":
			if !strings.Contains(text, arg) {
				t.Fatalf("argument %q is not in %q", arg, text)
			}
		case "help":
		default:
			t.Fatalf("command %q from %q", name, text)
		}
	})
}

// recorder is a queue that records what it is given.
type recorder struct {
	mu   sync.Mutex
	cmds []Command
}

func (r *recorder) EnqueueCommand(_ context.Context, cmd Command) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cmds = append(r.cmds, cmd)
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.cmds)
}

// unavailable answers every command with a 503, as a gateway without a
// model does.
type unavailable struct{}

var errUnavailable = gateway.Errorf(gateway.CodeModelNotConfigured, "No model is configured.")

func (unavailable) Translate(context.Context, gateway.TranslateRequest, func(gateway.StreamEvent)) (*gateway.Translation, error) {
	return nil, errUnavailable
}

func (unavailable) Summarize(context.Context, gateway.SummarizeRequest) (*gateway.Summary, error) {
	return nil, errUnavailable
}

func (unavailable) Ingest(context.Context, ingest.Request) (*gateway.StoredArticle, bool, error) {
	return nil, false, errUnavailable
}

func (unavailable) Build(context.Context, briefing.Request, string, bool) (*gateway.Briefing, bool, error) {
	return nil, false, errUnavailable
}

func (unavailable) Stored(context.Context, briefing.Request, string) (*gateway.Briefing, error) {
	return nil, errUnavailable
}

// FuzzHooks sends correctly signed requests with arbitrary bodies to every
// platform: none may panic or fail as the gateway's own fault, and a
// request refused is never queued.
func FuzzHooks(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	teamsKey, webhookKey := []byte("teams key"), []byte("standard webhook key")
	const slackSecret, mmToken, tgSecret = "slack secret", "mm-token", "tg-secret"
	seeds := map[string][]string{
		Slack:      {"command=%2Fdragoman&text=translate+%D9%86%D8%B5&response_url=https%3A%2F%2Fhooks.example%2Fr&trigger_id=1", `{"type":"url_verification","challenge":"c"}`},
		Discord:    {`{"type":1}`, `{"type":2,"id":"1","token":"t","data":{"name":"dragoman","options":[{"type":1,"name":"translate","options":[{"type":3,"name":"text","value":"نص"}]}]}}`, `{"type":2}`},
		Mattermost: {"text=help&response_url=https%3A%2F%2Fmm.example%2Fr"},
		Teams:      {`{"type":"message","text":"<at>Dragoman</at> help"}`, `{"type":"message","text":"translate نص"}`},
		Telegram:   {`{"update_id":1,"message":{"message_id":1,"date":0,"chat":{"id":42,"type":"private"},"text":"/translate نص"}}`},
		Generic:    {`{"command":"brief","text":"today","reply_url":"https://hooks.example/r"}`},
	}
	platforms := []string{Slack, Discord, Mattermost, Teams, Telegram, Generic}
	for i, p := range platforms {
		for _, body := range seeds[p] {
			f.Add(uint8(i), body, false)
			f.Add(uint8(i), body, true)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, body string, form bool) {
		platform := platforms[int(which)%len(platforms)]
		queue := &recorder{}
		hooks := NewHooks(HooksConfig{
			SlackSigningSecret: slackSecret, DiscordPublicKey: pub, DiscordAppID: "app",
			MattermostToken: mmToken, TeamsKey: teamsKey, TelegramSecret: tgSecret, WebhookKey: webhookKey,
			TeamsBudget: 50e6, WorkTimeout: 100e6, Now: func() time.Time { return now },
		}, queue, NewRunner(unavailable{}, unavailable{}, unavailable{}, "UTC", func() time.Time { return now }))

		header := http.Header{}
		switch platform {
		case Slack:
			header = slackHeader(slackSecret, ts(now), []byte(body))
			if !form {
				header.Set("Content-Type", "application/json")
			}
		case Discord:
			header.Set("X-Signature-Timestamp", ts(now))
			header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(priv, []byte(ts(now)+body))))
		case Mattermost:
			body = "token=" + mmToken + "&" + body
		case Teams:
			m := hmac.New(sha256.New, teamsKey)
			m.Write([]byte(body))
			header.Set("Authorization", "HMAC "+base64.StdEncoding.EncodeToString(m.Sum(nil)))
		case Telegram:
			header.Set("X-Telegram-Bot-Api-Secret-Token", tgSecret)
		case Generic:
			header.Set("webhook-id", "msg_1")
			header.Set("webhook-timestamp", ts(now))
			header.Set("webhook-signature", SignStandard(webhookKey, "msg_1", now, []byte(body)))
		}
		resp, err := hooks.Handle(context.Background(), platform, header, []byte(body))
		if err != nil {
			if status := gateway.AsError(err).Status(); status >= 500 || status == http.StatusUnauthorized {
				t.Fatalf("%s: %d for a signed request: %v", platform, status, err)
			}
			if queue.count() > 0 {
				t.Fatalf("%s: refused (%v) but queued %+v", platform, err, queue.cmds)
			}
			return
		}
		if resp == nil || resp.Status >= 300 {
			t.Fatalf("%s: answer %+v with no error", platform, resp)
		}
		for _, cmd := range queue.cmds {
			if cmd.ID == "" || cmd.Reply.Platform != platform {
				t.Fatalf("%s: queued %+v", platform, cmd)
			}
		}
	})
}
