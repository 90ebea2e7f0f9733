package newstest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/dragoman-news/dragoman/cache"
	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/briefing"
	"github.com/dragoman-news/dragoman/gateway/glossary"
	"github.com/dragoman-news/dragoman/gateway/ingest"
	"github.com/dragoman-news/dragoman/gateway/llm"
	"github.com/dragoman-news/dragoman/gateway/llmtest"
	"github.com/dragoman-news/dragoman/gateway/store"
	"github.com/dragoman-news/dragoman/gateway/webfetch"
	"github.com/dragoman-news/dragoman/prompts"
)

// Env is the news pipeline wired to the simulator and a real SQLite file.
type Env struct {
	Dir     string // the data directory
	Fake    *llmtest.Server
	Store   *store.Store
	Service *gateway.Service
	Ingest  *ingest.Ingester
	Builder *briefing.Builder
}

// New wires an Env in a temporary directory, closed when the test ends.
func New(tb testing.TB) *Env {
	tb.Helper()
	ctx := context.Background()
	fake := llmtest.Start(tb)
	dir := tb.TempDir()
	st, err := store.Open(ctx, dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	p, err := prompts.Embedded()
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := gateway.NewService(gateway.Config{
		TranslationModel: "test-model", ChunkTokens: 800, SummaryChunkTokens: 6000, ChunkConcurrency: 4,
		MaxOutputTokens: 4096, Limits: gateway.Limits{MaxTextBytes: 1 << 20},
	}, gateway.Deps{
		Model: llm.New(llm.Config{BaseURL: fake.URL, CallTimeout: 10 * time.Second, Retries: 1, RetryBase: time.Millisecond,
			RetryMax: time.Millisecond, MaxConcurrent: 8, MaxQueue: 1024, MaxResponseBytes: 1 << 22}),
		Prompts: p, Cache: cache.NewLayered(nil, cache.NewMemory(cache.MemoryConfig{TTL: time.Hour, MaxBytes: 1 << 26}), st),
		CacheTTL: time.Hour, Glossary: glossary.Starter(),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &Env{
		Dir: dir, Fake: fake, Store: st, Service: svc,
		Ingest: ingest.New(ingest.Config{Bullets: 3, MaxArticleBytes: 1 << 20}, ingest.Deps{
			Store: st, Translator: svc, NotFound: store.ErrNotFound, BadCursor: store.ErrBadCursor,
			Fetcher: webfetch.New(webfetch.Config{Timeout: 5 * time.Second, MaxBytes: 1 << 20, MaxRedirects: 3, AllowPrivate: true}),
		}),
		Builder: briefing.New(briefing.Config{MaxStories: 10, StoryBullets: 3, Model: "test-model", Concurrency: 4},
			briefing.Deps{Store: st, Writer: svc, NotFound: store.ErrNotFound}),
	}
}

// IngestDay ingests the news day and returns the stored articles by file
// name.
func (e *Env) IngestDay(tb testing.TB) map[string]*gateway.StoredArticle {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	articles, err := Day(wd)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]*gateway.StoredArticle{}
	for _, a := range articles {
		stored, created, err := e.Ingest.Ingest(context.Background(), a.Request)
		if err != nil || !created {
			tb.Fatalf("%s: created=%v %v", a.Name, created, err)
		}
		out[a.Name] = stored
	}
	return out
}
