package gateway_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/llmtest"
)

func summarize(t *testing.T, e *env, req gateway.SummarizeRequest) (*gateway.Summary, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return e.svc.Summarize(ctx, req)
}

func TestSummarizeSeedArticle(t *testing.T) {
	e := newEnv(t)
	text := readFile(t, "article-ar.txt")
	for _, n := range []int{1, 5, 10} {
		sum, err := summarize(t, e, gateway.SummarizeRequest{Article: gateway.Article{Text: text}, Bullets: n})
		if err != nil {
			t.Fatalf("%d bullets: %v", n, err)
		}
		if len(sum.Bullets) != n || sum.Headline == "" {
			t.Errorf("%d bullets asked, got %d, headline %q", n, len(sum.Bullets), sum.Headline)
		}
		for _, b := range sum.Bullets {
			if !strings.HasSuffix(b, ".") || strings.HasPrefix(b, "-") {
				t.Errorf("bullet is not a clean sentence: %q", b)
			}
		}
	}
	req := e.fake.Requests()[0]
	if req.ResponseFormat != "json_schema" || !strings.Contains(string(req.Schema), `"maxItems":1`) {
		t.Errorf("format %q, schema %s", req.ResponseFormat, req.Schema)
	}
	sum, err := summarize(t, e, gateway.SummarizeRequest{Article: gateway.Article{Text: text}})
	if err != nil || len(sum.Bullets) != gateway.DefaultBullets {
		t.Fatalf("default bullets: %v, %v", sum, err)
	}
	b, _ := json.MarshalIndent(sum, "", "  ")
	golden(t, "summarize-seed.json", string(b)+"\n")
	golden(t, "summarize-seed.prompt.txt", e.fake.Requests()[e.fake.Calls()-1].Messages[0].Content+"\n")

	cached, err := summarize(t, e, gateway.SummarizeRequest{Article: gateway.Article{Text: text}})
	if err != nil || !cached.Cached {
		t.Errorf("second summary not cached: %v", err)
	}
}

func TestSummaryChecks(t *testing.T) {
	text := readFile(t, "article-ar.txt")
	notJSON := func(llmtest.Request) string { return "Here are the bullets:\n- China and Russia met.\n- Trade grew." }
	arabicBullets := func(llmtest.Request) string {
		return `{"headline": "لقاء في بكين", "bullets": ["اجتمع الرئيس الصيني مع رئيس الوزراء الروسي", "b", "c"]}`
	}
	extraField := func(llmtest.Request) string {
		return `{"headline": "Talks", "bullets": ["A.", "B.", "C."], "comment": "extra"}`
	}
	tests := []struct {
		name    string
		faults  []llmtest.FaultKind
		respond llmtest.Responder
		code    gateway.Code
		calls   int
	}{
		{"wrong count corrected", []llmtest.FaultKind{llmtest.WrongBullets}, nil, "", 2},
		{"wrong count twice", []llmtest.FaultKind{llmtest.WrongBullets, llmtest.WrongBullets}, nil, gateway.CodeWrongBulletCount, 2},
		{"reasoning block and preamble stripped", []llmtest.FaultKind{llmtest.Think}, nil, "", 1},
		{"not JSON", nil, notJSON, gateway.CodeInvalidAnswer, 2},
		{"field outside the schema", nil, extraField, gateway.CodeInvalidAnswer, 2},
		{"in Arabic", nil, arabicBullets, gateway.CodeWrongLanguage, 2},
		{"truncated", []llmtest.FaultKind{llmtest.Truncated, llmtest.Truncated}, nil, gateway.CodeAnswerTruncated, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.fake.FailKinds(tt.faults...)
			e.fake.Respond(tt.respond)
			_, err := summarize(t, e, gateway.SummarizeRequest{Article: gateway.Article{Text: text}, Bullets: 3})
			if got := gateway.CodeOf(err); got != tt.code {
				t.Errorf("code = %q (%v), want %q", got, err, tt.code)
			}
			if e.fake.Calls() != tt.calls {
				t.Errorf("calls = %d, want %d", e.fake.Calls(), tt.calls)
			}
		})
	}
}

func TestSummaryWhenTheServerRefusesJSONSchema(t *testing.T) {
	e := newEnv(t)
	e.fake.RejectJSONSchema(true)
	sum, err := summarize(t, e, gateway.SummarizeRequest{Article: gateway.Article{Text: readFile(t, "article-ar.txt")}, Bullets: 4})
	if err != nil || len(sum.Bullets) != 4 {
		t.Fatalf("%v, %v", sum, err)
	}
	var formats []string
	for _, r := range e.fake.Requests() {
		formats = append(formats, r.ResponseFormat)
	}
	if strings.Join(formats, ",") != "json_schema,json_object" {
		t.Errorf("formats = %v", formats)
	}
}

func TestLongSummaryMapsThenReduces(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config, _ *gateway.Deps) { c.SummaryChunkTokens = 600 })
	sum, err := summarize(t, e, gateway.SummarizeRequest{Article: gateway.Article{Text: readFile(t, "article-long-ar.txt")}, Bullets: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Bullets) != 5 {
		t.Errorf("%d bullets", len(sum.Bullets))
	}
	reqs := e.fake.Requests()
	if len(reqs) < 3 {
		t.Fatalf("%d calls: no map step", len(reqs))
	}
	for _, r := range reqs[:len(reqs)-1] {
		if !strings.Contains(r.Messages[0].Content, "taking notes on one part") || !strings.Contains(string(r.Schema), "notes") {
			t.Errorf("map call is not a notes call: %.100q", r.Messages[0].Content)
		}
	}
	final := reqs[len(reqs)-1]
	if !strings.Contains(final.Messages[0].Content, "notes on a long article") || !strings.HasPrefix(final.Article(), "- ") {
		t.Errorf("reduce call does not summarize the notes: %.200q", final.Article())
	}
	if sum.Usage.PromptTokens < 100*len(reqs) { // every call's prompt is over 100 tokens
		t.Errorf("usage %+v does not sum %d calls", sum.Usage, len(reqs))
	}
}

func TestBulletLimits(t *testing.T) {
	e := newEnv(t)
	for _, n := range []int{-1, 11, 100} {
		_, err := summarize(t, e, gateway.SummarizeRequest{Article: gateway.Article{Text: "نص عربي"}, Bullets: n})
		if ge := gateway.AsError(err); ge.Code != gateway.CodeInvalidField || ge.Field != "bullets" {
			t.Errorf("bullets %d: %v", n, err)
		}
	}
}
