package gateway_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tiktoken-go/tokenizer"

	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/arabic"
)

// Benchmarks of the pipeline (no HTTP), against the simulator. Run with
//
//	go test ./gateway -run '^$' -bench . -benchtime 5x
//
// Results are in docs/benchmarks.md.

// perToken is the simulated generation speed: 4 ms a token piece, about
// what a hosted model streams.
const perToken = 4 * time.Millisecond

// BenchmarkLongArticle translates the 43-paragraph article as parallel
// chunks and as one call, alternately in one run, against a simulator that
// takes perToken for every token it writes.
func BenchmarkLongArticle(b *testing.B) {
	text := readFile(b, "article-long-ar.txt")
	chunked := newEnv(b, func(c *gateway.Config, _ *gateway.Deps) { c.ChunkTokens = 400; c.ChunkConcurrency = 8 })
	single := newEnv(b, func(c *gateway.Config, _ *gateway.Deps) { c.ChunkTokens = 100_000 })
	chunked.fake.SetLatency(0, perToken)
	single.fake.SetLatency(0, perToken)
	run := func(e *env) time.Duration {
		start := time.Now()
		tr, err := e.svc.Translate(context.Background(), gateway.TranslateRequest{Article: gateway.Article{Text: text}, Refresh: true}, nil)
		if err != nil || tr.Paragraphs < 40 {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var tChunked, tSingle time.Duration
	for b.Loop() {
		tChunked += run(chunked)
		tSingle += run(single)
	}
	n := float64(b.N)
	b.ReportMetric(tChunked.Seconds()/n, "chunked-s")
	b.ReportMetric(tSingle.Seconds()/n, "one-call-s")
	b.ReportMetric(float64(tSingle)/float64(tChunked), "speedup")
	b.ReportMetric(float64(chunked.fake.Calls())/n, "chunked-calls")
}

// BenchmarkTimeToFirstByte streams the long article and compares the time
// to the first delta with the time to the full answer.
func BenchmarkTimeToFirstByte(b *testing.B) {
	text := readFile(b, "article-long-ar.txt")
	e := newEnv(b, func(c *gateway.Config, _ *gateway.Deps) { c.ChunkTokens = 400; c.ChunkConcurrency = 8 })
	e.fake.SetLatency(0, perToken)
	var first, full time.Duration
	for b.Loop() {
		start := time.Now()
		var once sync.Once
		_, err := e.svc.Translate(context.Background(), gateway.TranslateRequest{Article: gateway.Article{Text: text}, Refresh: true},
			func(gateway.StreamEvent) { once.Do(func() { first += time.Since(start) }) })
		if err != nil {
			b.Fatal(err)
		}
		full += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(first.Seconds()*1e3/n, "first-byte-ms")
	b.ReportMetric(full.Seconds()*1e3/n, "full-ms")
	b.ReportMetric(float64(full)/float64(first), "full/first")
}

// BenchmarkPromptTokens counts, with o200k, the prompt sent for the seed
// article: how much of it is the article and how much the instructions.
func BenchmarkPromptTokens(b *testing.B) {
	e := newEnv(b)
	text := readFile(b, "article-ar.txt")
	o200k := gateway.O200k()
	cl100k, err := tokenizer.Get(tokenizer.Cl100kBase)
	if err != nil {
		b.Fatal(err)
	}
	var system, user, article, articleCL int
	for b.Loop() {
		e.fake.Reset()
		if _, err := e.svc.Translate(context.Background(), gateway.TranslateRequest{Article: gateway.Article{Text: text}, Refresh: true}, nil); err != nil {
			b.Fatal(err)
		}
		r := e.fake.Requests()[0]
		system = o200k.Count(r.Messages[0].Content)
		user = o200k.Count(r.Messages[1].Content)
		article = o200k.Count(r.Article())
		articleCL, _ = cl100k.Count(r.Article())
	}
	total := system + user
	b.ReportMetric(float64(total), "prompt-tokens")
	b.ReportMetric(float64(article), "article-tokens")
	b.ReportMetric(float64(articleCL), "article-tokens-cl100k")
	b.ReportMetric(100*float64(total-article)/float64(total), "instructions-%")
}

// BenchmarkParagraphMemory translates ten paragraphs, changes one, and
// translates again: it reports the prompt tokens (o200k) sent each time.
func BenchmarkParagraphMemory(b *testing.B) {
	paras := arabic.Paragraphs(arabic.Normalize(readFile(b, "article-long-ar.txt")))[1:11]
	o200k := gateway.O200k()
	sent := func(e *env) int {
		n := 0
		for _, r := range e.fake.Requests() {
			for _, m := range r.Messages {
				n += o200k.Count(m.Content)
			}
		}
		return n
	}
	var first, second int
	for i := 0; b.Loop(); i++ {
		e := newEnv(b)
		if _, err := translate2(e, strings.Join(paras, "\n\n")); err != nil {
			b.Fatal(err)
		}
		first = sent(e)
		e.fake.Reset()
		edited := append([]string(nil), paras...)
		edited[4] = "وقال الوزير في بيان جديد إن حجم التبادل التجاري ارتفع إلى 410 مليارات دولار."
		if _, err := translate2(e, strings.Join(edited, "\n\n")); err != nil {
			b.Fatal(err)
		}
		second = sent(e)
	}
	b.ReportMetric(float64(first), "first-tokens")
	b.ReportMetric(float64(second), "after-edit-tokens")
	b.ReportMetric(100*float64(second)/float64(first), "after-edit-%")
}

func translate2(e *env, text string) (*gateway.Translation, error) {
	return e.svc.Translate(context.Background(), gateway.TranslateRequest{Article: gateway.Article{Text: text}}, nil)
}
