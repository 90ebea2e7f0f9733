package gateway_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/arabic"
	"github.com/dragoman-news/dragoman/gateway/llmtest"
)

func TestLongArticleIsChunkedInOrder(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config, _ *gateway.Deps) { c.ChunkTokens = 400 })
	text := readFile(t, "article-long-ar.txt")
	tr, err := translate(t, e, gateway.Article{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	paras := arabic.Paragraphs(arabic.Normalize(text))
	out := strings.Split(tr.Translation, "\n\n")
	if len(paras) < 40 || len(out) != len(paras) || tr.Paragraphs != len(paras) {
		t.Fatalf("%d paragraphs in, %d out", len(paras), len(out))
	}
	reqs := e.fake.Requests()
	if len(reqs) < 3 {
		t.Fatalf("%d calls; a %d-paragraph article at 400 tokens a chunk needs several", len(reqs), len(paras))
	}
	// Every paragraph was sent exactly once, and each answer paragraph
	// renders its own source paragraph (the simulator keeps numbers).
	var sent []string
	for _, r := range reqs {
		sent = append(sent, strings.Split(r.Article(), "\n\n")...)
	}
	if len(sent) != len(paras) {
		t.Errorf("%d paragraphs sent for %d", len(sent), len(paras))
	}
	for i, p := range paras {
		for _, n := range []string{"52", "398", "2026", "6.7", "280", "2027"} {
			if strings.Contains(p, n) && !strings.Contains(out[i], n) {
				t.Errorf("paragraph %d: %q lost in %q", i+1, n, out[i])
			}
		}
	}
	// Chunks after the first (calls arrive in any order) carry the previous
	// chunk's last sentence and the title, for consistency.
	for _, r := range reqs {
		if strings.HasPrefix(r.Article(), paras[0]) {
			continue // the first chunk holds the title itself
		}
		if system := r.Messages[0].Content; !strings.Contains(system, "The sentence just before this part") || !strings.Contains(system, "The article's title: منتدى الرياض") {
			t.Errorf("a later chunk lacks its context:\n%s", system)
		}
	}
	golden(t, "translate-long.en.txt", tr.Translation+"\n")
}

func TestLongParagraphIsSplitBetweenSentences(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config, _ *gateway.Deps) { c.ChunkTokens = 60 })
	long := strings.Repeat("قال المتحدث إن الاجتماع عقد يوم 3 مايو في القاهرة بحضور الوزراء. ", 12)
	tr, err := translate(t, e, gateway.Article{Text: "عنوان الخبر\n\n" + long + "\n\nفقرة أخيرة قصيرة."})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Paragraphs != 3 || len(strings.Split(tr.Translation, "\n\n")) != 3 {
		t.Errorf("paragraph structure lost: %d paragraphs\n%s", tr.Paragraphs, tr.Translation)
	}
	if e.fake.Calls() < 3 {
		t.Errorf("%d calls: the long paragraph was not split", e.fake.Calls())
	}
}

func TestChunksRunInParallel(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config, _ *gateway.Deps) { c.ChunkTokens = 400 })
	e.fake.SetLatency(150*time.Millisecond, 0)
	start := time.Now()
	if _, err := translate(t, e, gateway.Article{Text: readFile(t, "article-long-ar.txt")}); err != nil {
		t.Fatal(err)
	}
	calls := e.fake.Calls()
	// Correctness, not speed: serial calls would take calls*150ms; with 4
	// in parallel it cannot reach that unless they were serialized.
	if elapsed := time.Since(start); calls >= 4 && elapsed >= time.Duration(calls)*150*time.Millisecond {
		t.Errorf("%d calls took %v: not parallel", calls, elapsed)
	}
}

func TestOneFailingChunkFailsTheWhole(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config, _ *gateway.Deps) { c.ChunkTokens = 400; c.ChunkConcurrency = 1 })
	// The second call refuses twice: its retry too.
	e.fake.FailKinds(0, llmtest.Refusal, llmtest.Refusal)
	_, err := translate(t, e, gateway.Article{Text: readFile(t, "article-long-ar.txt")})
	if gateway.CodeOf(err) != gateway.CodeModelRefused {
		t.Fatalf("got %v, want model_refused: a refused chunk must never be dropped silently", err)
	}
}

func TestParagraphMemorySendsOnlyWhatChanged(t *testing.T) {
	e := newEnv(t)
	paras := arabic.Paragraphs(arabic.Normalize(readFile(t, "article-long-ar.txt")))[:10]
	first, err := translate(t, e, gateway.Article{Text: strings.Join(paras, "\n\n")})
	if err != nil {
		t.Fatal(err)
	}
	firstTokens := first.Usage.PromptTokens
	e.fake.Reset()

	edited := append([]string(nil), paras...)
	edited[6] = "وقالت الشركة في بيان جديد إن قيمة المشروع ارتفعت إلى 12 مليار دولار."
	second, err := translate(t, e, gateway.Article{Text: strings.Join(edited, "\n\n")})
	if err != nil {
		t.Fatal(err)
	}
	if second.Cached {
		t.Fatal("an edited article was served whole from the cache")
	}
	reqs := e.fake.Requests()
	if len(reqs) != 1 || reqs[0].Article() != edited[6] {
		t.Fatalf("sent %d calls; first article: %q", len(reqs), reqs[0].Article())
	}
	if second.Usage.PromptTokens >= firstTokens {
		t.Errorf("prompt tokens %d after one edit vs %d for the whole", second.Usage.PromptTokens, firstTokens)
	}
	out, prev := strings.Split(second.Translation, "\n\n"), strings.Split(first.Translation, "\n\n")
	for i := range paras {
		if i != 6 && out[i] != prev[i] {
			t.Errorf("paragraph %d changed", i)
		}
	}
	if !strings.Contains(out[6], "12") {
		t.Errorf("edited paragraph: %q", out[6])
	}
}

// recorder collects stream events and checks they add up.
type recorder struct {
	mu     sync.Mutex
	events []gateway.StreamEvent
}

func (r *recorder) add(e gateway.StreamEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var deltas []string
	for _, e := range r.events {
		if e.Rewind {
			deltas = deltas[:e.Keep]
		} else {
			deltas = append(deltas, e.Text)
		}
	}
	return strings.Join(deltas, "")
}

func TestStreamAddsUpToTheAnswer(t *testing.T) {
	tests := []struct {
		name   string
		faults []llmtest.FaultKind
	}{
		{"clean", nil},
		{"reasoning block hidden", []llmtest.FaultKind{llmtest.Think}},
		{"retried chunk rewound", []llmtest.FaultKind{llmtest.Arabic}},
		{"dropped connection", []llmtest.FaultKind{llmtest.Disconnect}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *gateway.Config, _ *gateway.Deps) { c.ChunkTokens = 400 })
			e.fake.FailKinds(tt.faults...)
			var rec recorder
			tr, err := e.svc.Translate(context.Background(), gateway.TranslateRequest{Article: gateway.Article{Text: readFile(t, "article-long-ar.txt")}}, rec.add)
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.events) < 10 {
				t.Errorf("only %d events", len(rec.events))
			}
			if got := rec.text(); got != tr.Translation {
				t.Errorf("stream adds up to\n%.200q\nnot\n%.200q", got, tr.Translation)
			}
			for _, ev := range rec.events {
				if strings.Contains(ev.Text, "<think>") {
					t.Error("a reasoning block was streamed")
				}
			}
		})
	}
}

func TestStreamFromCacheSendsNoEvents(t *testing.T) {
	e := newEnv(t)
	text := readFile(t, "article-ar.txt")
	if _, err := translate(t, e, gateway.Article{Text: text}); err != nil {
		t.Fatal(err)
	}
	var rec recorder
	tr, err := e.svc.Translate(context.Background(), gateway.TranslateRequest{Article: gateway.Article{Text: text}}, rec.add)
	if err != nil || !tr.Cached || len(rec.events) != 0 {
		t.Errorf("cached=%v events=%d err=%v", tr != nil && tr.Cached, len(rec.events), err)
	}
}

func TestCoalescedStreamsShareEvents(t *testing.T) {
	e := newEnv(t)
	e.fake.SetLatency(0, 2*time.Millisecond)
	text := readFile(t, "article-ar.txt")
	var wg sync.WaitGroup
	recs := make([]*recorder, 3)
	results := make([]*gateway.Translation, 3)
	for i := range recs {
		recs[i] = &recorder{}
		wg.Go(func() {
			tr, err := e.svc.Translate(context.Background(), gateway.TranslateRequest{Article: gateway.Article{Text: text}}, recs[i].add)
			if err != nil {
				t.Error(err)
			}
			results[i] = tr
		})
		time.Sleep(20 * time.Millisecond) // join mid-stream
	}
	wg.Wait()
	if e.fake.Calls() != 1 {
		t.Errorf("%d calls", e.fake.Calls())
	}
	for i, r := range recs {
		if results[i] == nil {
			continue
		}
		if got := r.text(); got != results[i].Translation {
			t.Errorf("stream %d adds up to %.60q", i, got)
		}
	}
}

func TestClientGoneCancelsUpstreamWork(t *testing.T) {
	e := newEnv(t)
	e.fake.FailKinds(llmtest.Hang)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := e.svc.Translate(ctx, gateway.TranslateRequest{Article: gateway.Article{Text: readFile(t, "article-ar.txt")}}, func(gateway.StreamEvent) {})
		done <- err
	}()
	for e.fake.Calls() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; gateway.CodeOf(err) != gateway.CodeClientClosed {
		t.Errorf("got %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.svc.CacheCounts().InFlight != 0 {
		if time.Now().After(deadline) {
			t.Fatal("upstream work goes on after its only client left")
		}
		time.Sleep(time.Millisecond)
	}
}
