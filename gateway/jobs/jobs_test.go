package jobs_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/briefing"
	"github.com/dragoman-news/dragoman/gateway/ingest"
	"github.com/dragoman-news/dragoman/gateway/jobs"
	"github.com/dragoman-news/dragoman/gateway/newstest"
	"github.com/dragoman-news/dragoman/gateway/store"
)

func TestDailySchedule(t *testing.T) {
	d, err := jobs.ParseDaily("07:00", "Asia/Riyadh")
	if err != nil {
		t.Fatal(err)
	}
	riyadh, _ := time.LoadLocation("Asia/Riyadh")
	now := time.Date(2025, 11, 5, 6, 59, 0, 0, riyadh)
	if got := d.Next(now); !got.Equal(time.Date(2025, 11, 5, 7, 0, 0, 0, riyadh)) {
		t.Errorf("Next = %v", got)
	}
	if got := d.Next(time.Date(2025, 11, 5, 7, 0, 0, 0, riyadh)); !got.Equal(time.Date(2025, 11, 6, 7, 0, 0, 0, riyadh)) {
		t.Errorf("Next at the hour = %v", got)
	}
	// Berlin leaves summer time on 26 October 2025: still 07:00 local.
	b, _ := jobs.ParseDaily("07:00", "Europe/Berlin")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if got := b.Next(time.Date(2025, 10, 25, 8, 0, 0, 0, berlin)); got.Hour() != 7 || got.Day() != 26 || got.UTC().Hour() != 6 {
		t.Errorf("across DST: %v (%v UTC)", got, got.UTC())
	}
	if got := d.Due(now, 1, 3); !slices.Equal(got, []string{"2025-11-03", "2025-11-02"}) {
		t.Errorf("due before today's run: %v", got)
	}
	if got := d.Due(now.Add(2*time.Minute), 1, 3); !slices.Equal(got, []string{"2025-11-04", "2025-11-03", "2025-11-02"}) {
		t.Errorf("due after today's run: %v", got)
	}
	for _, bad := range []string{"7am", "24:00", "07:60", ""} {
		if _, err := jobs.ParseDaily(bad, "UTC"); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := jobs.ParseDaily("07:00", "Nowhere/City"); err == nil {
		t.Error("unknown zone accepted")
	}
}

// countingBriefer counts the briefings each replica saved.
type countingBriefer struct {
	jobs.Briefer
	saved, built *atomic.Int32
}

func (c countingBriefer) Build(ctx context.Context, req briefing.Request, tz string, scheduled bool) (*gateway.Briefing, bool, error) {
	c.built.Add(1)
	b, saved, err := c.Briefer.Build(ctx, req, tz, scheduled)
	if saved {
		c.saved.Add(1)
	}
	return b, saved, err
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func config() jobs.Config {
	return jobs.Config{
		BriefingAt: "07:00", BriefingTZ: "Asia/Riyadh", DaysBack: 1, CatchUpDays: 3,
		FeedInterval: time.Hour, CacheSweep: time.Hour, Workers: 4,
		JobTimeout: time.Minute, RescueAfter: 2 * time.Minute, PollInterval: 200 * time.Millisecond,
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestScheduledBriefingCatchesUpOnceAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	e := newstest.New(t)
	e.IngestDay(t)
	// The gateway was down on the 5th and 6th: it comes back on the 7th at
	// 08:00, past the run time. The briefing of the 4th must be made up.
	riyadh, _ := time.LoadLocation("Asia/Riyadh")
	now := func() time.Time { return time.Date(2025, 11, 7, 8, 0, 0, 0, riyadh) }
	var saved, built atomic.Int32

	var runners []*jobs.Runner
	for i := range 2 {
		st := e.Store
		if i == 1 { // a second replica: its own connections to the same file
			var err error
			if st, err = store.Open(ctx, e.Dir); err != nil {
				t.Fatal(err)
			}
			defer st.Close()
		}
		b := briefing.New(briefing.Config{MaxStories: 10, StoryBullets: 3, Model: "test-model"},
			briefing.Deps{Store: st, Writer: e.Service, NotFound: store.ErrNotFound})
		r, err := jobs.Start(ctx, config(), jobs.Deps{
			DB: st.DB(), Briefer: countingBriefer{Briefer: b, saved: &saved, built: &built}, Store: st, Logger: quiet(), Now: now,
		})
		if err != nil {
			t.Fatal(err)
		}
		runners = append(runners, r)
	}
	waitFor(t, "the scheduled briefing of 4 November", func() bool {
		done, _ := e.Store.ScheduledRun(ctx, "2025-11-04", "Asia/Riyadh")
		return done
	})
	time.Sleep(time.Second) // room for a duplicate to show up
	for _, r := range runners {
		if err := r.Stop(ctx); err != nil {
			t.Error(err)
		}
	}
	// Due: the 6th, 5th and 4th. The 5th has one article (just after
	// midnight in Riyadh), the 6th none.
	if saved.Load() != 2 {
		t.Errorf("scheduled briefings saved %d times (built %d times), want 2", saved.Load(), built.Load())
	}
	for _, day := range []string{"2025-11-04", "2025-11-05"} {
		if n, _ := e.Store.BriefingCount(ctx, day); n != 1 {
			t.Errorf("%d briefings stored for %s", n, day)
		}
	}
	b, err := e.Store.Briefing(ctx, "2025-11-04", "Asia/Riyadh", "")
	if err != nil || len(b.Stories) == 0 || b.Articles != 28 {
		t.Fatalf("stored briefing: %v", err)
	}
	// A day without articles is tried and skipped, not failed.
	if done, _ := e.Store.ScheduledRun(ctx, "2025-11-06", "Asia/Riyadh"); done {
		t.Error("2025-11-06 has a briefing")
	}

	// A restart on the same day does not write it again.
	r, err := jobs.Start(ctx, config(), jobs.Deps{
		DB: e.Store.DB(), Briefer: countingBriefer{Briefer: e.Builder, saved: &saved, built: &built}, Store: e.Store, Logger: quiet(), Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	_ = r.Stop(ctx)
	if saved.Load() != 2 {
		t.Errorf("restart wrote a briefing again: saved %d times", saved.Load())
	}
}

// feedServer serves an RSS feed of articles of the day, each on its own
// page, and one broken link.
func feedServer(t *testing.T, articles []newstest.Article) (*httptest.Server, *atomic.Int32) {
	var pageHits atomic.Int32
	mux := http.NewServeMux()
	var items strings.Builder
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	for _, a := range articles {
		link := srv.URL + "/a/" + a.Name
		published, _ := time.Parse(time.RFC3339, a.PublishedAt)
		fmt.Fprintf(&items, "<item><title>%s</title><link>%s</link><guid>%s</guid><pubDate>%s</pubDate><description>%s</description></item>\n",
			a.Title, link, link, published.Format(time.RFC1123Z), "مقتطف قصير.")
		page := "<html><head><title>" + a.Title + "</title></head><body><article><h1>" + a.Title + "</h1><p>" +
			strings.ReplaceAll(a.Text, "\n\n", "</p><p>") + "</p></article></body></html>"
		mux.HandleFunc("/a/"+a.Name, func(w http.ResponseWriter, r *http.Request) {
			pageHits.Add(1)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, page)
		})
	}
	fmt.Fprintf(&items, "<item><title>broken</title><link>%s/missing</link><guid>broken-1</guid></item>\n", srv.URL)
	mux.HandleFunc("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Test Wire</title>%s</channel></rss>`, items.String())
	})
	return srv, &pageHits
}

func TestFeedsAreIngestedOnce(t *testing.T) {
	ctx := context.Background()
	e := newstest.New(t)
	wd, _ := os.Getwd()
	day, err := newstest.Day(wd)
	if err != nil {
		t.Fatal(err)
	}
	day = day[:8]
	srv, pageHits := feedServer(t, day)
	cfg := config()
	cfg.BriefingAt = ""
	cfg.Feeds = []ingest.Feed{{Name: "Test Wire", URL: srv.URL + "/feed.xml"}}
	deps := jobs.Deps{DB: e.Store.DB(), Feeds: e.Ingest, Store: e.Store, Logger: quiet()}

	run := func() {
		r, err := jobs.Start(ctx, cfg, deps)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the feed's items", func() bool {
			n, _ := e.Store.FeedItemCount(ctx, srv.URL+"/feed.xml")
			return n == len(day)
		})
		time.Sleep(500 * time.Millisecond)
		if err := r.Stop(ctx); err != nil {
			t.Error(err)
		}
	}
	run()
	hits := pageHits.Load()
	run() // a second poll (a restart polls at once) finds nothing new
	if pageHits.Load() != hits {
		t.Errorf("the second poll fetched %d pages again", pageHits.Load()-hits)
	}
	arts, _, err := e.Store.ListArticles(ctx, gateway.ArticleQuery{Limit: 100})
	if err != nil || len(arts) != len(day) {
		t.Fatalf("%d articles for %d items: %v", len(arts), len(day), err)
	}
	for _, a := range arts {
		if a.Source != "Test Wire" || !strings.HasPrefix(a.URL, srv.URL+"/a/") || a.Translation == "" {
			t.Errorf("article %d: source %q url %q", a.ID, a.Source, a.URL)
		}
	}
	if done, _ := e.Store.FeedItemDone(ctx, srv.URL+"/feed.xml", "broken-1"); done {
		t.Error("the broken item counts as ingested")
	}
}
