package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/llmtest"
	"github.com/dragoman-news/dragoman/gateway/newstest"
	"github.com/dragoman-news/dragoman/gateway/store"
)

// TestMain lets the test binary stand in for the dragoman binary, so that
// crash tests can kill a real process and start it again.
func TestMain(m *testing.M) {
	if os.Getenv("DRAGOMAN_TEST_AS_BINARY") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// proc is a dragoman serve process.
type proc struct {
	cmd *exec.Cmd
	log *syncBuffer
	url string
}

var listeningJSON = regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)

// startProcess runs `dragoman serve` as a child process with env.
func startProcess(t *testing.T, env map[string]string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = append(os.Environ(), "DRAGOMAN_TEST_AS_BINARY=1", "DRAGOMAN_ADDR=127.0.0.1:0", "DRAGOMAN_LOG_FORMAT=json")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &proc{cmd: cmd, log: &syncBuffer{}}
	cmd.Stderr = p.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := listeningJSON.FindStringSubmatch(p.log.String()); m != nil {
			p.url = "http://" + m[1]
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("process did not start:\n%s", p.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends the process at once, as a crash or an OOM kill does.
func (p *proc) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
}

// stop ends the process gracefully.
func (p *proc) stop(t *testing.T) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("process exited with %v:\n%s", err, p.log.String())
	}
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if v != nil {
		_ = json.NewDecoder(resp.Body).Decode(v)
	}
	return resp.StatusCode
}

func countArticles(t *testing.T, base string) int {
	n, cursor := 0, ""
	for {
		var page struct {
			Articles   []struct{ ID int64 } `json:"articles"`
			NextCursor string               `json:"next_cursor"`
		}
		if getJSON(t, base+"/v1/articles?limit=200&cursor="+cursor, &page) != 200 {
			return -1
		}
		n += len(page.Articles)
		if page.NextCursor == "" {
			return n
		}
		cursor = page.NextCursor
	}
}

func eventually(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestCrashDuringSynchronousIngest(t *testing.T) {
	t.Parallel()
	fake := llmtest.Start(t)
	dir := t.TempDir()
	env := map[string]string{"OPENAI_BASE_URL": fake.URL, "DRAGOMAN_MODEL": "m", "DRAGOMAN_DATA_DIR": dir}
	p := startProcess(t, env)
	release := fake.Hold() // the model never answers: the request is in flight when the process dies
	body := fmt.Sprintf(`{"text": %q, "source": "Test"}`, seed(t))
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequest("POST", p.url+"/v1/articles", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "ingest-1")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	eventually(t, "the model call", 10*time.Second, func() bool { return fake.Calls() > 0 })
	p.kill()
	<-done
	release()

	// The client retries with the same key against the restarted gateway:
	// one article, created once.
	p = startProcess(t, env)
	for i := range 2 {
		req, _ := http.NewRequest("POST", p.url+"/v1/articles", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "ingest-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := []int{201, 200}[i]; resp.StatusCode != want {
			t.Errorf("retry %d: status %d, want %d", i, resp.StatusCode, want)
		}
	}
	if n := countArticles(t, p.url); n != 1 {
		t.Errorf("%d articles after the crash and retries", n)
	}
	p.stop(t)
}

func TestCrashDuringFeedIngest(t *testing.T) {
	t.Parallel()
	fake := llmtest.Start(t)
	fake.SetLatency(300*time.Millisecond, 0)
	wd, _ := os.Getwd()
	day, err := newstest.Day(wd)
	if err != nil {
		t.Fatal(err)
	}
	day = day[:12]
	feed := feedFor(t, day)
	dir := t.TempDir()
	env := map[string]string{
		"OPENAI_BASE_URL": fake.URL, "DRAGOMAN_MODEL": "m", "DRAGOMAN_DATA_DIR": dir,
		"DRAGOMAN_FEEDS": "Wire=" + feed, "DRAGOMAN_ALLOW_PRIVATE_URLS": "true",
		"DRAGOMAN_JOB_WORKERS": "2", "DRAGOMAN_JOB_TIMEOUT": "3s", "DRAGOMAN_JOB_RESCUE_AFTER": "3s",
	}
	p := startProcess(t, env)
	eventually(t, "the first articles", 30*time.Second, func() bool { return countArticles(t, p.url) >= 3 })
	p.kill() // ingest jobs are running now
	if n := countArticlesIn(t, dir); n >= len(day) {
		t.Fatalf("all %d items were in before the crash: nothing was interrupted", n)
	}

	p = startProcess(t, env)
	eventually(t, "every feed item", 90*time.Second, func() bool { return countArticles(t, p.url) == len(day) })
	time.Sleep(2 * time.Second) // room for a duplicate to show up
	if n := countArticles(t, p.url); n != len(day) {
		t.Errorf("%d articles for %d feed items", n, len(day))
	}
	p.stop(t)
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n, _ := st.FeedItemCount(context.Background(), feed); n != len(day) {
		t.Errorf("%d feed items recorded as ingested, want %d", n, len(day))
	}
}

func TestCrashDuringScheduledBriefing(t *testing.T) {
	t.Parallel()
	fake := llmtest.Start(t)
	dir := t.TempDir()
	base := map[string]string{"OPENAI_BASE_URL": fake.URL, "DRAGOMAN_MODEL": "m", "DRAGOMAN_DATA_DIR": dir}

	// Yesterday's news (UTC), ingested by a first process.
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	p := startProcess(t, base)
	wd, _ := os.Getwd()
	day, err := newstest.Day(wd)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range day {
		published, _ := time.Parse(time.RFC3339, a.PublishedAt)
		a.PublishedAt = yesterday + "T" + published.UTC().Format("15:04:05") + "Z"
		b, _ := json.Marshal(a.Request)
		resp, err := http.Post(p.url+"/v1/articles", "application/json", strings.NewReader(string(b)))
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("%s: %v %v", a.Name, resp.Status, err)
		}
		resp.Body.Close()
	}
	p.stop(t)

	// The scheduled briefing starts (its time, 00:00 UTC, has passed) and
	// the process dies in the middle of the story merges.
	fake.Reset()
	fake.SetLatency(1500*time.Millisecond, 0)
	scheduled := map[string]string{
		"DRAGOMAN_BRIEFING_AT": "00:00", "DRAGOMAN_BRIEFING_TZ": "UTC",
		"DRAGOMAN_JOB_TIMEOUT": "6s", "DRAGOMAN_JOB_RESCUE_AFTER": "6s", "DRAGOMAN_CHUNK_CONCURRENCY": "2",
	}
	for k, v := range base {
		scheduled[k] = v
	}
	p = startProcess(t, scheduled)
	eventually(t, "story merges to start", 30*time.Second, func() bool { return fake.Calls() >= 2 })
	time.Sleep(300 * time.Millisecond)
	p.kill()
	callsBefore := fake.Calls()

	fake.SetLatency(0, 0)
	fake.Reset()
	p = startProcess(t, scheduled)
	var b struct {
		Stories []struct {
			Sources []struct{ ArticleID int64 } `json:"sources"`
		} `json:"stories"`
		Articles int `json:"articles"`
	}
	eventually(t, "the scheduled briefing", 90*time.Second, func() bool {
		return getJSON(t, p.url+"/v1/briefings/"+yesterday+"?tz=UTC", &b) == 200
	})
	time.Sleep(2 * time.Second)
	p.stop(t)
	if len(b.Stories) == 0 || len(b.Stories[0].Sources) != 6 {
		t.Errorf("briefing after the crash: %d stories", len(b.Stories))
	}
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n, _ := st.BriefingCount(context.Background(), yesterday); n != 1 {
		t.Errorf("%d briefings for %s", n, yesterday)
	}
	if done, _ := st.ScheduledRun(context.Background(), yesterday, "UTC"); !done {
		t.Error("the scheduled run is not recorded")
	}
	t.Logf("model calls: %d before the crash, %d after (merges finished before it come from the durable cache)", callsBefore, fake.Calls())
}

// feedFor serves an RSS feed of articles, each on its own page.
func feedFor(t *testing.T, day []newstest.Article) string {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	var items strings.Builder
	for _, a := range day {
		link := srv.URL + "/a/" + a.Name
		fmt.Fprintf(&items, "<item><title>%s</title><link>%s</link><guid>%s</guid></item>", a.Title, link, link)
		page := "<html><head><title>" + a.Title + "</title></head><body><article><p>" + strings.ReplaceAll(a.Text, "\n\n", "</p><p>") + "</p></article></body></html>"
		mux.HandleFunc("/a/"+a.Name, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, page)
		})
	}
	mux.HandleFunc("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Wire</title>%s</channel></rss>`, items.String())
	})
	return srv.URL + "/feed.xml"
}

// countArticlesIn reads the database file of a stopped process.
func countArticlesIn(t *testing.T, dir string) int {
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	arts, _, err := st.ListArticles(context.Background(), gatewayQuery())
	if err != nil {
		t.Fatal(err)
	}
	return len(arts)
}

func gatewayQuery() gateway.ArticleQuery { return gateway.ArticleQuery{Limit: 1000} }
