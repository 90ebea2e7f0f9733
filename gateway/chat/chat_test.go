package chat

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

var now = time.Date(2025, 11, 4, 12, 0, 0, 0, time.UTC)

func ts(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func slackHeader(secret, timestamp string, body []byte) http.Header {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + timestamp + ":" + string(body)))
	return http.Header{"X-Slack-Request-Timestamp": {timestamp}, "X-Slack-Signature": {"v0=" + hex.EncodeToString(m.Sum(nil))}}
}

func TestVerifySlack(t *testing.T) {
	body := []byte("command=%2Fdragoman&text=help")
	ok := slackHeader("s3cret", ts(now), body)
	if err := VerifySlack("s3cret", ok, body, now); err != nil {
		t.Fatal(err)
	}
	for name, tt := range map[string]struct {
		h    http.Header
		body []byte
	}{
		"tampered body": {ok, []byte("command=%2Fdragoman&text=brief")},
		"wrong secret":  {slackHeader("other", ts(now), body), body},
		"stale":         {slackHeader("s3cret", ts(now.Add(-6*time.Minute)), body), body},
		"future":        {slackHeader("s3cret", ts(now.Add(6*time.Minute)), body), body},
		"missing":       {http.Header{}, body},
		"garbage time":  {slackHeader("s3cret", "soon", body), body},
	} {
		if err := VerifySlack("s3cret", tt.h, tt.body, now); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestVerifyDiscord(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	body := []byte(`{"type":1}`)
	sign := func(key ed25519.PrivateKey, timestamp string, b []byte) http.Header {
		return http.Header{"X-Signature-Timestamp": {timestamp}, "X-Signature-Ed25519": {hex.EncodeToString(ed25519.Sign(key, append([]byte(timestamp), b...)))}}
	}
	if err := VerifyDiscord(pub, sign(priv, ts(now), body), body, now); err != nil {
		t.Fatal(err)
	}
	_, other, _ := ed25519.GenerateKey(nil)
	for name, h := range map[string]http.Header{
		"wrong key": sign(other, ts(now), body),
		"stale":     sign(priv, ts(now.Add(-time.Hour)), body),
		"missing":   {},
		"not hex":   {"X-Signature-Timestamp": {ts(now)}, "X-Signature-Ed25519": {"zz"}},
	} {
		if err := VerifyDiscord(pub, h, body, now); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := VerifyDiscord(pub, sign(priv, ts(now), body), []byte(`{"type":2}`), now); !errors.Is(err, ErrSignature) {
		t.Errorf("tampered: %v", err)
	}
}

func TestVerifyTeamsTokenStandard(t *testing.T) {
	key := []byte("teams key bytes")
	body := []byte(`{"type":"message","text":"help"}`)
	m := hmac.New(sha256.New, key)
	m.Write(body)
	good := http.Header{"Authorization": {"HMAC " + base64.StdEncoding.EncodeToString(m.Sum(nil))}}
	if err := VerifyTeams(key, good, body); err != nil {
		t.Fatal(err)
	}
	if err := VerifyTeams(key, good, []byte(`{"text":"x"}`)); !errors.Is(err, ErrSignature) {
		t.Errorf("tampered: %v", err)
	}
	if err := VerifyTeams(key, http.Header{"Authorization": {"Bearer x"}}, body); !errors.Is(err, ErrSignature) {
		t.Errorf("bearer: %v", err)
	}

	if VerifyToken("abc", "abc") != nil || VerifyToken("abc", "abd") == nil || VerifyToken("", "") == nil {
		t.Error("VerifyToken")
	}

	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("standard webhook key"))
	k, err := StandardSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	sig := SignStandard(k, "msg_1", now, body)
	h := http.Header{"Webhook-Id": {"msg_1"}, "Webhook-Timestamp": {ts(now)}, "Webhook-Signature": {"v1,bogus " + sig}}
	if err := VerifyStandard(k, h, body, now); err != nil {
		t.Errorf("one of several signatures: %v", err)
	}
	h.Set("Webhook-Id", "msg_2")
	if err := VerifyStandard(k, h, body, now); !errors.Is(err, ErrSignature) {
		t.Errorf("id not covered: %v", err)
	}
	if _, err := StandardSecret("whsec_!!!"); err == nil {
		t.Error("bad secret accepted")
	}
}

func TestParseCommand(t *testing.T) {
	for in, want := range map[string][2]string{
		"translate قال الرئيس":        {"translate", "قال الرئيس"},
		"/translate@DragomanBot نص":   {"translate", "نص"},
		"  SUMMARIZE https://x.ex/a ": {"summarize", "https://x.ex/a"},
		"brief 2025-11-04":            {"brief", "2025-11-04"},
		"brief":                       {"brief", ""},
		"":                            {"help", ""},
		"/start":                      {"help", ""},
		"dance now":                   {"help", "dance now"},
		"ترجم نص عربي":                {"translate", "نص عربي"},
	} {
		name, arg := ParseCommand(in)
		if name != want[0] || arg != want[1] {
			t.Errorf("ParseCommand(%q) = %q, %q; want %q, %q", in, name, arg, want[0], want[1])
		}
	}
}

func TestDiscordSubcommand(t *testing.T) {
	var in discordgo.Interaction
	body := `{"type":2,"id":"1","token":"t","data":{"name":"dragoman","options":[{"type":1,"name":"translate","options":[{"type":3,"name":"text","value":"قال الرئيس"}]}]}}`
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		t.Fatal(err)
	}
	if name, arg := discordCommand(in.ApplicationCommandData()); name != "translate" || arg != "قال الرئيس" {
		t.Errorf("%q %q", name, arg)
	}
}

func TestSplit(t *testing.T) {
	text := strings.Repeat("كلمة عربية &amp; word ", 700) + "\n\n" + strings.Repeat("x", 5000)
	pieces := split(text, 1000)
	var total int
	for _, p := range pieces {
		if len(p) > 1000 || !utf8.ValidString(p) {
			t.Fatalf("piece of %d bytes, valid %v", len(p), utf8.ValidString(p))
		}
		if strings.HasSuffix(p, "&amp") || strings.HasSuffix(p, "&") {
			t.Fatalf("entity cut: %q", p[len(p)-10:])
		}
		total += len(strings.ReplaceAll(p, " ", ""))
	}
	if want := len(strings.ReplaceAll(strings.ReplaceAll(text, " ", ""), "\n", "")); total != want {
		t.Errorf("split lost text: %d of %d bytes", total, want)
	}
	if got := split("short", 100); len(got) != 1 || got[0] != "short" {
		t.Errorf("%q", got)
	}
}

// hostile is model output that tries every trick.
var hostile = Reply{
	Title: "@everyone <!channel> **bold**",
	Sections: []Section{{
		Heading: "<@U123> [click](https://evil.example/x)",
		Arabic:  "قال الرئيس",
		Text:    "Visit https://evil.example now @here <b>html</b> & more",
		Bullets: []string{"@channel see <https://evil.example|here>", "`code` _it_"},
		Links:   []Link{{Text: "Source", URL: "https://news.example/a"}, {Text: "Bad", URL: "javascript:alert(1)"}},
	}},
	Footer: "Dragoman",
}

func TestRenderersEscape(t *testing.T) {
	all := map[string][][]byte{
		"slack":      SlackMessages(hostile, "in_channel"),
		"discord":    DiscordMessages(hostile),
		"telegram":   TelegramMessages(hostile, "42"),
		"mattermost": MattermostMessages(hostile, ""),
		"teams":      TeamsMessages(hostile),
	}
	for platform, parts := range all {
		joined := ""
		for _, p := range parts {
			var v any
			if err := json.Unmarshal(p, &v); err != nil {
				t.Fatalf("%s: not JSON: %v", platform, err)
			}
			joined += string(p)
		}
		// Decoded, so that JSON escapes (\u003c) do not hide anything.
		var text strings.Builder
		for _, p := range parts {
			var v any
			_ = json.Unmarshal(p, &v)
			collect(v, &text)
		}
		got := text.String()
		bad := []string{"@everyone", "@here", "@channel", "https://evil.example", "javascript:"}
		if platform == "slack" || platform == "discord" {
			bad = append(bad, "<!channel>", "<@U123>") // mention syntax there
		}
		for _, bad := range bad {
			if strings.Contains(got, bad) {
				t.Errorf("%s: %q got through", platform, bad)
			}
		}
		if !strings.Contains(got, "https://news.example/a") {
			t.Errorf("%s: the source link was lost", platform)
		}
		if !strings.Contains(got, "\u2068قال الرئيس\u2069") {
			t.Errorf("%s: Arabic not isolated", platform)
		}
	}
	if strings.Contains(string(all["telegram"][0]), "<b>html</b>") {
		t.Error("telegram: HTML from the model kept")
	}
	var d discordgo.WebhookParams
	_ = json.Unmarshal(DiscordMessages(hostile)[0], &d)
	if d.AllowedMentions == nil || len(d.AllowedMentions.Parse) != 0 {
		t.Error("discord: mentions allowed")
	}
}

func collect(v any, b *strings.Builder) {
	switch x := v.(type) {
	case string:
		b.WriteString(x + "\n")
	case []any:
		for _, e := range x {
			collect(e, b)
		}
	case map[string]any:
		for _, e := range x {
			collect(e, b)
		}
	}
}

func TestRenderersSplitToLimits(t *testing.T) {
	long := Reply{Title: "Translation", Sections: []Section{{Text: strings.Repeat("A sentence of the translation. ", 2000)}}}
	check := func(name string, parts [][]byte, limit func([]byte) error) {
		if len(parts) < 2 {
			t.Errorf("%s: %d parts for 60 KB", name, len(parts))
		}
		for i, p := range parts {
			if err := limit(p); err != nil {
				t.Errorf("%s part %d: %v", name, i, err)
			}
		}
	}
	check("telegram", TelegramMessages(long, "1"), func(p []byte) error {
		var m struct{ Text string }
		_ = json.Unmarshal(p, &m)
		if len(m.Text) > telegramLimit {
			return errors.New("over 4096")
		}
		return nil
	})
	check("discord", DiscordMessages(long), func(p []byte) error {
		var m discordgo.WebhookParams
		_ = json.Unmarshal(p, &m)
		total := 0
		for _, e := range m.Embeds {
			if len(e.Description) > discordEmbedLimit {
				return errors.New("embed over 4096")
			}
			total += len(e.Description) + len(e.Title)
		}
		if len(m.Content) > discordContentLimit || total > discordTotalLimit || len(m.Embeds) > discordEmbedsLimit {
			return errors.New("message over Discord's limits")
		}
		return nil
	})
	check("slack", SlackMessages(Reply{Sections: make([]Section, 60)}, ""), func(p []byte) error {
		var m struct{ Blocks []json.RawMessage }
		_ = json.Unmarshal(p, &m)
		if len(m.Blocks) > slackBlocksLimit {
			return errors.New("over 50 blocks")
		}
		return nil
	})
	for _, p := range SlackMessages(long, "") {
		var m struct {
			Blocks []struct {
				Text struct{ Text string } `json:"text"`
			}
		}
		_ = json.Unmarshal(p, &m)
		for _, b := range m.Blocks {
			if len(b.Text.Text) > slackSectionLimit {
				t.Errorf("slack section of %d", len(b.Text.Text))
			}
		}
	}
	check("teams", TeamsMessages(long), func(p []byte) error {
		if len(p) > 28000 {
			return errors.New("card over 28 KB")
		}
		return nil
	})
}
