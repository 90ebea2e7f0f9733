package ingest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/ingest"
	"github.com/dragoman-news/dragoman/gateway/newstest"
	"github.com/dragoman-news/dragoman/gateway/store"
	"github.com/dragoman-news/dragoman/gateway/webfetch"
)

func seed(t *testing.T) string {
	b, err := os.ReadFile("../../testdata/article-ar.txt")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestIngestText(t *testing.T) {
	e := newstest.New(t)
	ctx := context.Background()
	req := ingest.Request{Text: seed(t), Title: "الرئيس الصيني يلتقي ميشوستين", Source: "الغد", URL: "https://alghad.example/a?utm_source=x", PublishedAt: "2025-11-04T10:05:00+03:00"}
	a, created, err := e.Ingest.Ingest(ctx, req)
	if err != nil || !created {
		t.Fatalf("%v %v", created, err)
	}
	if a.ID == 0 || a.StoryID != a.ID || a.Language != "ar" || a.Translation == "" || a.TitleEn == "" || len(a.Bullets) != 3 ||
		a.Headline == "" || a.Usage.PromptTokens == 0 || a.Timings.TotalMS < 0 || a.Model != "test-model" ||
		!a.PublishedAt.Equal(time.Date(2025, 11, 4, 7, 5, 0, 0, time.UTC)) || a.CanonicalURL != "https://alghad.example/a" {
		t.Errorf("stored %+v", a)
	}
	// The title was translated in the same call as the text, not in its own.
	if e.Fake.Calls() != 2 {
		t.Errorf("%d model calls, want 2 (translation, summary)", e.Fake.Calls())
	}
	if strings.HasPrefix(a.Translation, a.TitleEn) {
		t.Error("the title's translation was left in the article's")
	}

	again := []ingest.Request{
		{Text: seed(t)}, // same text
		{Text: seed(t) + "\n\nفقرة أخرى مختلفة.", URL: "https://alghad.example/a#comments"}, // same URL
		{Text: "  " + strings.ReplaceAll(seed(t), "\n", "\r\n")},                            // same text, other white space
	}
	for i, r := range again {
		b, created, err := e.Ingest.Ingest(ctx, r)
		if err != nil || created || b.ID != a.ID {
			t.Errorf("request %d: created=%v id=%d %v", i, created, b.ID, err)
		}
	}
	if e.Fake.Calls() != 2 {
		t.Errorf("the same article was paid for again: %d calls", e.Fake.Calls())
	}
}

func TestIdempotencyKey(t *testing.T) {
	e := newstest.New(t)
	ctx := context.Background()
	req := ingest.Request{Text: seed(t), IdempotencyKey: "req-42"}
	a, created, err := e.Ingest.Ingest(ctx, req)
	if err != nil || !created {
		t.Fatal(err)
	}
	b, created, err := e.Ingest.Ingest(ctx, req)
	if err != nil || created || b.ID != a.ID {
		t.Errorf("retry: %v %v", created, err)
	}
	other := ingest.Request{Text: "نص مختلف تماما عن الخبر الأول.", IdempotencyKey: "req-42"}
	if _, _, err := e.Ingest.Ingest(ctx, other); gateway.CodeOf(err) != gateway.CodeIdempotencyKeyReused {
		t.Errorf("key reused with another body: %v", err)
	}
}

func TestIngestConcurrentCopiesOnce(t *testing.T) {
	e := newstest.New(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	created, ids := 0, map[int64]bool{}
	for range 20 {
		wg.Go(func() {
			a, c, err := e.Ingest.Ingest(context.Background(), ingest.Request{Text: seed(t)})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[a.ID] = true
			if c {
				created++
			}
		})
	}
	wg.Wait()
	if created != 1 || len(ids) != 1 || e.Fake.Calls() != 2 {
		t.Errorf("created %d, ids %d, model calls %d", created, len(ids), e.Fake.Calls())
	}
}

func TestIngestHTMLAndURL(t *testing.T) {
	e := newstest.New(t)
	ctx := context.Background()
	page := `<html><head><title>زلزال في ملاطية</title><link rel="canonical" href="/news/quake">
<meta property="article:published_time" content="2025-11-04T06:45:00+03:00"></head>
<body><nav>الرئيسية</nav><article><p>ضرب زلزال بقوة 5.8 درجات ولاية ملاطية شرقي تركيا، فجر الثلاثاء، وفق ما أعلنته إدارة الكوارث والطوارئ التركية.</p>
<p>وأعلن وزير الداخلية التركي إصابة 14 شخصا بجروح طفيفة، وانهيار 3 مبان قديمة كانت خالية من السكان.</p></article></body></html>`
	var hits int
	mux := http.NewServeMux()
	mux.HandleFunc("/news/quake-amp", func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	})
	mux.HandleFunc("/missing", http.NotFound)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	a, created, err := e.Ingest.Ingest(ctx, ingest.Request{URL: srv.URL + "/news/quake-amp", Source: "الأناضول"})
	if err != nil || !created {
		t.Fatal(err)
	}
	if a.Title != "زلزال في ملاطية" || a.CanonicalURL != srv.URL+"/news/quake" || a.PublishedAt.Format(time.RFC3339) != "2025-11-04T03:45:00Z" ||
		strings.Contains(a.Text, "الرئيسية") || !strings.Contains(a.Text, "14 شخصا") || a.Timings.FetchMS < 0 {
		t.Errorf("from the URL: %+v", a)
	}
	// The canonical URL identifies it: its own HTML, sent with it, is the same article.
	b, created, err := e.Ingest.Ingest(ctx, ingest.Request{HTML: page, URL: srv.URL + "/news/quake"})
	if err != nil || created || b.ID != a.ID {
		t.Errorf("same canonical URL: %v %v", created, err)
	}
	if _, _, err := e.Ingest.Ingest(ctx, ingest.Request{URL: srv.URL + "/missing"}); gateway.CodeOf(err) != gateway.CodeFetchFailed {
		t.Errorf("404 page: %v", err)
	}

	guarded := ingest.New(ingest.Config{Bullets: 3, MaxArticleBytes: 1 << 20}, ingest.Deps{
		Store: e.Store, Translator: e.Service, NotFound: store.ErrNotFound,
		Fetcher: webfetch.New(webfetch.Config{Timeout: time.Second, MaxBytes: 1 << 20}),
	})
	_, _, err = guarded.Ingest(ctx, ingest.Request{URL: srv.URL + "/news/quake-amp?x=1"})
	if ge := gateway.AsError(err); ge.Code != gateway.CodeURLForbidden || ge.Status() != 400 || !strings.Contains(ge.Detail, "DRAGOMAN_ALLOW_PRIVATE_URLS") {
		t.Errorf("private URL: %v", err)
	}
	if hits != 1 {
		t.Errorf("page fetched %d times", hits)
	}
}

func TestIngestValidation(t *testing.T) {
	e := newstest.New(t)
	for _, tt := range []struct {
		req  ingest.Request
		code gateway.Code
	}{
		{ingest.Request{}, gateway.CodeMissingField},
		{ingest.Request{Text: "نص", HTML: "<p>نص</p>"}, gateway.CodeInvalidField},
		{ingest.Request{Text: "نص", PublishedAt: "yesterday"}, gateway.CodeInvalidField},
		{ingest.Request{Text: "نص", Bullets: 11}, gateway.CodeInvalidField},
		{ingest.Request{Text: strings.Repeat("نص ", 1<<19)}, gateway.CodeTextTooLong},
		{ingest.Request{URL: "file:///etc/passwd"}, gateway.CodeURLForbidden},
		{ingest.Request{Text: "\u200b \n"}, gateway.CodeEmptyText},
		{ingest.Request{Text: "English only, no Arabic at all."}, gateway.CodeNotArabic},
		{ingest.Request{Text: "نص \xff"}, gateway.CodeInvalidUTF8},
		{ingest.Request{HTML: "<script>x()</script>"}, gateway.CodeEmptyText},
	} {
		if _, _, err := e.Ingest.Ingest(context.Background(), tt.req); gateway.CodeOf(err) != tt.code {
			t.Errorf("%.60v: %v, want %s", tt.req, err, tt.code)
		}
	}
	if e.Fake.Calls() != 0 {
		t.Errorf("invalid requests reached the model %d times", e.Fake.Calls())
	}
}

func TestList(t *testing.T) {
	e := newstest.New(t)
	e.IngestDay(t)
	ctx := context.Background()
	all, next, err := e.Ingest.List(ctx, gateway.ArticleQuery{Limit: 10})
	if err != nil || len(all) != 10 || next == "" {
		t.Fatalf("%d %q %v", len(all), next, err)
	}
	if _, _, err := e.Ingest.List(ctx, gateway.ArticleQuery{Limit: 1000}); gateway.CodeOf(err) != gateway.CodeInvalidField {
		t.Errorf("limit 1000: %v", err)
	}
	if _, _, err := e.Ingest.List(ctx, gateway.ArticleQuery{Cursor: "nonsense"}); gateway.CodeOf(err) != gateway.CodeInvalidField {
		t.Errorf("bad cursor: %v", err)
	}
	found, _, err := e.Ingest.List(ctx, gateway.ArticleQuery{Search: "زلزال"})
	if err != nil || len(found) != 3 {
		t.Errorf("search زلزال: %d %v", len(found), err)
	}
	none, _, _ := e.Ingest.List(ctx, gateway.ArticleQuery{Search: "nothing-matches-this"})
	if none == nil || len(none) != 0 {
		t.Errorf("empty result: %#v", none)
	}
	if _, err := e.Ingest.Article(ctx, 9999); gateway.CodeOf(err) != gateway.CodeNotFound {
		t.Errorf("missing article: %v", err)
	}
}

func TestCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"HTTPS://News.Example:443/a/b/?utm_source=x&id=2&fbclid=y#top": "https://news.example/a/b?id=2",
		"http://news.example:80/":                                      "http://news.example/",
		"https://news.example/a?b=2&a=1":                               "https://news.example/a?a=1&b=2",
		"https://user@news.example/x":                                  "https://news.example/x",
		"not a url":                                                    "",
	} {
		if got := ingest.Canonical(in); got != want {
			t.Errorf("Canonical(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseFeeds(t *testing.T) {
	feeds, err := ingest.ParseFeeds(" Al Jazeera=https://aj.example/rss , https://bbc.example/arabic/rss.xml,")
	if err != nil || len(feeds) != 2 || feeds[0].Name != "Al Jazeera" || feeds[0].URL != "https://aj.example/rss" || feeds[1].Name != "" {
		t.Errorf("%+v %v", feeds, err)
	}
	for _, bad := range []string{"ftp://x/feed", "Name=not a url", "relative/feed.xml"} {
		if _, err := ingest.ParseFeeds(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseFile(t *testing.T) {
	r, err := ingest.ParseFile("source: الغد\r\nurl: https://x.example/a\r\ntitle: عنوان\r\npublished_at: 2025-11-04T10:05:00+03:00\r\n\r\nالنص.\r\n")
	if err != nil || r.Source != "الغد" || r.URL != "https://x.example/a" || r.Title != "عنوان" || r.Text != "النص." {
		t.Errorf("%+v %v", r, err)
	}
	for _, bad := range []string{"no header break", "colour: red\n\ntext"} {
		if _, err := ingest.ParseFile(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestFeedItemWithFullContent(t *testing.T) {
	e := newstest.New(t)
	item := ingest.Item{Feed: "https://feed.example/rss", Source: "Wire", Key: "k1", Link: "https://wire.example/a1",
		Title: "عنوان", Published: time.Date(2025, 11, 4, 8, 0, 0, 0, time.UTC), Content: "<p>" + seed(t) + "</p>"}
	a, created, err := e.Ingest.IngestItem(context.Background(), item)
	if err != nil || !created || a.Source != "Wire" || a.URL != "https://wire.example/a1" || !a.PublishedAt.Equal(item.Published) {
		t.Errorf("%+v %v %v", a, created, err)
	}
}
