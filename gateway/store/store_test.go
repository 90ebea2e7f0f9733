package store

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dragoman-news/dragoman/cache"
	"github.com/dragoman-news/dragoman/gateway"
)

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var day = time.Date(2025, 11, 4, 9, 0, 0, 0, time.UTC)

func article(n int, published time.Time) *gateway.StoredArticle {
	return &gateway.StoredArticle{
		Source: fmt.Sprintf("Outlet %d", n%3), URL: fmt.Sprintf("https://news.example/%d", n),
		CanonicalURL: fmt.Sprintf("https://news.example/%d", n), Title: fmt.Sprintf("عنوان %d", n),
		TitleEn: fmt.Sprintf("Title %d", n), Language: "ar", Text: fmt.Sprintf("نص الخبر رقم %d عن الاقتصاد", n),
		Translation: fmt.Sprintf("Text of story %d about the economy", n), Headline: fmt.Sprintf("Headline %d", n),
		Bullets: []string{"One.", "Two."}, Model: "m", Usage: gateway.Usage{PromptTokens: 10, CompletionTokens: 5},
		Timings: gateway.Timings{TranslateMS: 12, TotalMS: 20}, ContentHash: fmt.Sprintf("hash-%d", n), SimHash: 1<<63 | uint64(n),
		PublishedAt: published, IngestedAt: published.Add(time.Minute),
	}
}

func TestArticlesRoundTripAndDeduplicate(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	a, created, err := s.InsertArticle(ctx, article(1, day), "key-1", "req-1")
	if err != nil || !created || a.ID == 0 || a.StoryID != a.ID {
		t.Fatalf("insert: %+v %v %v", a, created, err)
	}
	got, err := s.Article(ctx, a.ID)
	if err != nil || got.Translation != a.Translation || len(got.Bullets) != 2 || got.SimHash != 1<<63|1 ||
		!got.PublishedAt.Equal(day) || got.Timings.TranslateMS != 12 || got.Usage.PromptTokens != 10 {
		t.Errorf("read back: %+v %v", got, err)
	}
	// Same content hash, or same canonical URL: the existing one comes back.
	dupHash := article(2, day)
	dupHash.ContentHash = "hash-1"
	dupURL := article(3, day)
	dupURL.CanonicalURL = "https://news.example/1"
	for _, d := range []*gateway.StoredArticle{dupHash, dupURL} {
		again, created, err := s.InsertArticle(ctx, d, "", "")
		if err != nil || created || again.ID != a.ID {
			t.Errorf("duplicate stored: %v %v %v", again.ID, created, err)
		}
	}
	if id, hash, err := s.IdempotencyKey(ctx, "key-1"); err != nil || id != a.ID || hash != "req-1" {
		t.Errorf("idempotency key: %v %v %v", id, hash, err)
	}
	if _, _, err := s.IdempotencyKey(ctx, "nope"); err != ErrNotFound {
		t.Errorf("missing key: %v", err)
	}
	// A near copy joins the story of its original.
	copyOf := article(4, day.Add(time.Hour))
	copyOf.StoryID, copyOf.DuplicateOf = a.StoryID, a.ID
	c, _, err := s.InsertArticle(ctx, copyOf, "", "")
	if err != nil || c.StoryID != a.ID || c.DuplicateOf != a.ID {
		t.Errorf("copy: %+v %v", c, err)
	}
}

func TestConcurrentInsertsOfOneArticle(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids, created := map[int64]bool{}, 0
	for range 20 {
		wg.Go(func() {
			a, ok, err := s.InsertArticle(ctx, article(7, day), "", "")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[a.ID] = true
			if ok {
				created++
			}
		})
	}
	wg.Wait()
	if len(ids) != 1 || created != 1 {
		t.Errorf("%d ids, %d created", len(ids), created)
	}
}

func TestListArticles(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	for i := range 25 {
		if _, _, err := s.InsertArticle(ctx, article(i, day.Add(time.Duration(i)*time.Hour)), "", ""); err != nil {
			t.Fatal(err)
		}
	}
	var all []int64
	cursor := ""
	for {
		page, next, err := s.ListArticles(ctx, gateway.ArticleQuery{Limit: 10, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page {
			all = append(all, a.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(all) != 25 || all[0] != 25 || all[24] != 1 {
		t.Errorf("pages gave %v", all)
	}
	dayOnly, _, _ := s.ListArticles(ctx, gateway.ArticleQuery{From: day, To: day.Add(12 * time.Hour), Limit: 100})
	if len(dayOnly) != 12 {
		t.Errorf("date range: %d", len(dayOnly))
	}
	bySource, _, _ := s.ListArticles(ctx, gateway.ArticleQuery{Source: "Outlet 1", Limit: 100})
	if len(bySource) != 8 {
		t.Errorf("source: %d", len(bySource))
	}
	for q, want := range map[string]int{"story 13": 1, "story 7": 2, "الخبر رقم 13": 1, "ECONOMY": 25, "100%_": 0} {
		found, _, err := s.ListArticles(ctx, gateway.ArticleQuery{Search: q, Limit: 100})
		if err != nil || len(found) != want {
			t.Errorf("q=%q: %d results, want %d (%v)", q, len(found), want, err)
		}
	}
	if _, _, err := s.ListArticles(ctx, gateway.ArticleQuery{Cursor: "!!", Limit: 10}); err != ErrBadCursor {
		t.Errorf("bad cursor: %v", err)
	}
	between, err := s.ArticlesBetween(ctx, day, day.Add(5*time.Hour), []string{"Outlet 0", "Outlet 2"})
	if err != nil || len(between) != 3 {
		t.Errorf("between: %d %v", len(between), err)
	}
}

func TestScheduledBriefingOncePerDay(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	b := &gateway.Briefing{Date: "2025-11-04", TZ: "Asia/Riyadh", Title: "first"}
	if ok, err := s.SaveBriefing(ctx, b, "", true); !ok || err != nil {
		t.Fatalf("first scheduled: %v %v", ok, err)
	}
	b2 := &gateway.Briefing{Date: "2025-11-04", TZ: "Asia/Riyadh", Title: "second"}
	if ok, err := s.SaveBriefing(ctx, b2, "", true); ok || err != nil {
		t.Errorf("second scheduled run saved: %v %v", ok, err)
	}
	if got, _ := s.Briefing(ctx, "2025-11-04", "Asia/Riyadh", ""); got.Title != "first" {
		t.Errorf("stored %q", got.Title)
	}
	// On demand, a briefing is rebuilt and replaced.
	if ok, err := s.SaveBriefing(ctx, b2, "", false); !ok || err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Briefing(ctx, "2025-11-04", "Asia/Riyadh", ""); got.Title != "second" {
		t.Errorf("stored %q", got.Title)
	}
	if ran, _ := s.ScheduledRun(ctx, "2025-11-04", "Asia/Riyadh"); !ran {
		t.Error("run not recorded")
	}
	if n, _ := s.BriefingCount(ctx, "2025-11-04"); n != 1 {
		t.Errorf("%d briefings", n)
	}
	if _, err := s.Briefing(ctx, "2025-11-05", "Asia/Riyadh", ""); err != ErrNotFound {
		t.Errorf("missing: %v", err)
	}
}

func TestFeedItems(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	a, _, _ := s.InsertArticle(ctx, article(1, day), "", "")
	if done, _ := s.FeedItemDone(ctx, "f", "k"); done {
		t.Error("new item done")
	}
	_ = s.MarkFeedItem(ctx, "f", "k", 0, fmt.Errorf("timeout"))
	if done, _ := s.FeedItemDone(ctx, "f", "k"); done {
		t.Error("failed item done")
	}
	_ = s.MarkFeedItem(ctx, "f", "k", a.ID, nil)
	if done, _ := s.FeedItemDone(ctx, "f", "k"); !done {
		t.Error("ingested item not done")
	}
	if n, _ := s.FeedItemCount(ctx, "f"); n != 1 {
		t.Errorf("count %d", n)
	}
}

func TestCacheTierSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	k := cache.NewKey(cache.Parts{Task: "t", Text: "x"})
	if err := s.Set(ctx, k, []byte("value"), time.Hour); err != nil {
		t.Fatal(err)
	}
	expired := cache.NewKey(cache.Parts{Task: "t", Text: "old"})
	_ = s.Set(ctx, expired, []byte("old"), time.Millisecond)
	s.Close()

	s2 := open(t, dir) // migrations run again: a no-op
	if v, ok, err := s2.Get(ctx, k); !ok || err != nil || string(v) != "value" {
		t.Errorf("after reopen: %q %v %v", v, ok, err)
	}
	time.Sleep(5 * time.Millisecond)
	if _, ok, _ := s2.Get(ctx, expired); ok {
		t.Error("expired entry served")
	}
	if n, err := s2.DeleteExpiredCache(ctx); n != 1 || err != nil {
		t.Errorf("swept %d, %v", n, err)
	}
}

func TestCacheTierInBatches(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	// More keys than one query may bind, half of them stored.
	keys := make([]cache.Key, 2*maxKeysPerQuery+7)
	var entries []cache.Entry
	for i := range keys {
		keys[i] = cache.NewKey(cache.Parts{Task: "paragraph", Text: strconv.Itoa(i)})
		if i%2 == 0 {
			entries = append(entries, cache.Entry{Key: keys[i], Value: []byte("v" + strconv.Itoa(i))})
		}
	}
	if err := s.SetMany(ctx, entries, time.Hour); err != nil {
		t.Fatal(err)
	}
	found, err := s.GetMany(ctx, keys)
	if err != nil || len(found) != len(entries) {
		t.Fatalf("found %d of %d: %v", len(found), len(entries), err)
	}
	for _, e := range entries {
		if string(found[e.Key]) != string(e.Value) {
			t.Fatalf("%s = %q, want %q", e.Key, found[e.Key], e.Value)
		}
	}
	// A rewrite replaces the value and its expiry.
	if err := s.SetMany(ctx, []cache.Entry{{Key: keys[0], Value: []byte("new")}}, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if found, _ := s.GetMany(ctx, keys[:2]); len(found) != 0 {
		t.Errorf("expired rewrite served: %q", found)
	}
	if err := s.SetMany(ctx, nil, time.Hour); err != nil {
		t.Errorf("empty batch: %v", err)
	}
}
