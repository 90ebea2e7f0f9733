package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dragoman-news/dragoman/gateway/newstest"
)

func TestEndToEndArticles(t *testing.T) {
	g := startGateway(t, nil)
	body := articleJSON(t, map[string]any{"text": seed(t), "title": "شي يلتقي ميشوستين", "source": "الغد",
		"url": "https://alghad.example/a", "published_at": "2025-11-04T10:05:00+03:00", "bullets": 4})
	r := g.post(t, "/v1/articles", "application/json", body, "Idempotency-Key", "k-1")
	if r.status != 201 || r.header.Get("Location") == "" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	a := r.json(t)
	for _, field := range []string{"id", "story_id", "title_en", "translation", "headline", "bullets", "language", "timings", "usage", "published_at"} {
		if _, ok := a[field]; !ok {
			t.Errorf("article lacks %q", field)
		}
	}
	if bullets := a["bullets"].([]any); len(bullets) != 4 {
		t.Errorf("%d bullets", len(bullets))
	}
	if r := g.post(t, "/v1/articles", "application/json", body, "Idempotency-Key", "k-1"); r.status != 200 || r.json(t)["id"] != a["id"] {
		t.Errorf("retried key: %d", r.status)
	}
	if r := g.post(t, "/v1/articles", "application/json", articleJSON(t, map[string]any{"text": seed(t)})); r.status != 200 {
		t.Errorf("same text: %d", r.status)
	}
	other := articleJSON(t, map[string]any{"text": "نص آخر مختلف تماما عن الخبر الأول في كل شيء."})
	if r := g.post(t, "/v1/articles", "application/json", other, "Idempotency-Key", "k-1"); r.status != 422 || r.json(t)["code"] != "idempotency_key_reused" {
		t.Errorf("key reused: %d %s", r.status, r.body)
	}
	id := strings.TrimPrefix(r.header.Get("Location"), "/v1/articles/")
	if r := g.get(t, "/v1/articles/"+id); r.status != 200 || r.json(t)["translation"] != a["translation"] {
		t.Errorf("get: %d", r.status)
	}
	for _, path := range []string{"/v1/articles/999", "/v1/articles/abc"} {
		if r := g.get(t, path); r.status != 404 || r.json(t)["code"] != "not_found" {
			t.Errorf("%s: %d", path, r.status)
		}
	}
	for name, tt := range map[string]struct {
		body, code string
		status     int
	}{
		"nothing":       {`{}`, "missing_field", 400},
		"unknown field": {`{"text": "نص", "colour": 1}`, "unknown_field", 400},
		"bad date":      {`{"text": "نص", "published_at": "today"}`, "invalid_field", 400},
		"bad url":       {`{"url": "file:///etc/passwd"}`, "url_forbidden", 400},
	} {
		if r := g.post(t, "/v1/articles", "application/json", tt.body); r.status != tt.status || r.json(t)["code"] != tt.code {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	if r := g.post(t, "/v1/articles", "text/plain", "نص"); r.status != 415 {
		t.Errorf("text/plain: %d", r.status)
	}

	// A URL on this machine: refused unless DRAGOMAN_ALLOW_PRIVATE_URLS.
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<html><body><article><p>" + seed(t) + "</p></article></body></html>"))
	}))
	defer page.Close()
	r = g.post(t, "/v1/articles", "application/json", `{"url": "`+page.URL+`/x"}`)
	if r.status != 400 || r.json(t)["code"] != "url_forbidden" {
		t.Errorf("private URL: %d %s", r.status, r.body)
	}
	open := startGateway(t, map[string]string{"DRAGOMAN_ALLOW_PRIVATE_URLS": "true"})
	if r := open.post(t, "/v1/articles", "application/json", `{"url": "`+page.URL+`/x"}`); r.status != 201 {
		t.Errorf("allowed private URL: %d %s", r.status, r.body)
	}
}

func TestEndToEndBriefing(t *testing.T) {
	g := startGateway(t, map[string]string{"DRAGOMAN_BRIEFING_TZ": "Asia/Riyadh"})
	g.ingestDay(t)
	// Listing: the Riyadh day, page by page.
	seen, cursor := 0, ""
	for {
		var page struct {
			Articles   []json.RawMessage `json:"articles"`
			NextCursor string            `json:"next_cursor"`
		}
		r := g.get(t, "/v1/articles?date=2025-11-04&limit=10&cursor="+cursor)
		if err := json.Unmarshal(r.body, &page); err != nil || r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		seen += len(page.Articles)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if seen != 28 {
		t.Errorf("%d articles on 2025-11-04 in Riyadh, want 28", seen)
	}
	var found struct{ Articles []json.RawMessage }
	_ = json.Unmarshal(g.get(t, "/v1/articles?q="+urlQuery("زلزال")).body, &found)
	if len(found.Articles) != 3 {
		t.Errorf("q=زلزال: %d", len(found.Articles))
	}
	for _, bad := range []string{"date=4-11-2025", "limit=0", "limit=ten", "limit=201"} {
		if r := g.get(t, "/v1/articles?"+bad); r.status != 400 {
			t.Errorf("%s: %d", bad, r.status)
		}
	}
	if r := g.get(t, "/v1/briefings/2025-11-04?max_stories=0"); r.status != 400 {
		t.Errorf("max_stories=0: %d", r.status)
	}

	if r := g.get(t, "/v1/briefings/2025-11-04"); r.status != 404 {
		t.Errorf("before writing: %d", r.status)
	}
	r := g.post(t, "/v1/briefings", "application/json", `{"date": "2025-11-04"}`)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	b := r.json(t)
	stories := b["stories"].([]any)
	if b["tz"] != "Asia/Riyadh" || len(stories) != 10 || len(stories[0].(map[string]any)["sources"].([]any)) != 6 {
		t.Errorf("briefing: tz %v, %d stories", b["tz"], len(stories))
	}
	if r := g.get(t, "/v1/briefings/2025-11-04"); r.status != 200 || r.json(t)["title"] != b["title"] {
		t.Errorf("json: %d", r.status)
	}
	md := g.get(t, "/v1/briefings/2025-11-04?format=md")
	if md.status != 200 || md.header.Get("Content-Type") != "text/markdown; charset=utf-8" || !strings.Contains(string(md.body), "https://arabic.xinhua.example/2025-11/04/c_1.htm") {
		t.Errorf("markdown: %d %s", md.status, md.header.Get("Content-Type"))
	}
	page := g.get(t, "/v1/briefings/2025-11-04?tz=Asia/Riyadh&format=html")
	if page.status != 200 || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") || !strings.Contains(string(page.body), `dir="rtl"`) ||
		page.header.Get("Content-Security-Policy") == "" {
		t.Errorf("html: %d %s", page.status, page.header.Get("Content-Type"))
	}
	if r := g.get(t, "/v1/briefings/2025-11-04?format=pdf"); r.status != 400 {
		t.Errorf("pdf: %d", r.status)
	}
	if r := g.get(t, "/v1/briefings/2025-11-04?max_stories=3"); r.status != 404 {
		t.Errorf("other options, not written: %d", r.status)
	}
	if r := g.post(t, "/v1/briefings", "application/json", `{"date": "2025-11-04", "max_stories": 3, "sources": ["الجزيرة نت", "العربية", "الأهرام"]}`); r.status != 201 || len(r.json(t)["stories"].([]any)) != 2 {
		t.Errorf("filtered: %d %s", r.status, r.body)
	}
	for name, tt := range map[string]struct {
		body, code string
		status     int
	}{
		"no date":     {`{}`, "missing_field", 400},
		"bad zone":    {`{"date": "2025-11-04", "tz": "Moon/Base"}`, "invalid_field", 400},
		"empty day":   {`{"date": "2024-01-01"}`, "no_articles", 422},
		"bad stories": {`{"date": "2025-11-04", "max_stories": 0.5}`, "invalid_field", 400},
	} {
		if r := g.post(t, "/v1/briefings", "application/json", tt.body); r.status != tt.status || r.json(t)["code"] != tt.code {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
}

func urlQuery(s string) string { return url.QueryEscape(s) }

func TestIngestAndBriefCommands(t *testing.T) {
	env := map[string]string{"DRAGOMAN_DEMO": "true", "DRAGOMAN_LOG_LEVEL": "error", "DRAGOMAN_DATA_DIR": t.TempDir()}
	getenv := func(k string) string { return env[k] }
	files, _ := filepath.Glob("../../testdata/day/*.txt")
	var out, errOut bytes.Buffer
	if err := run(context.Background(), append([]string{"dragoman", "ingest"}, files...), getenv, nil, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if n := strings.Count(out.String(), ": stored as article"); n != len(files) {
		t.Errorf("%d of %d stored:\n%s", n, len(files), out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"dragoman", "ingest", files[0]}, getenv, nil, &out, &errOut); err != nil || !strings.Contains(out.String(), "already stored") {
		t.Errorf("again: %v %s", err, out.String())
	}
	out.Reset()
	err := run(context.Background(), []string{"dragoman", "brief", "--date", "2025-11-04", "--tz", "Asia/Riyadh", "--format", "json"}, getenv, nil, &out, &errOut)
	var b struct {
		Demo     bool
		Articles int
		Stories  []json.RawMessage
	}
	if err != nil || json.Unmarshal(out.Bytes(), &b) != nil || !b.Demo || b.Articles != 28 || len(b.Stories) != 10 {
		t.Errorf("brief --format json: %v %+v", err, b)
	}
	out.Reset()
	if err := run(context.Background(), []string{"dragoman", "brief", "--date", "2025-11-04", "--tz", "Asia/Riyadh"}, getenv, nil, &out, &errOut); err != nil || !strings.HasPrefix(out.String(), "# ") {
		t.Errorf("brief markdown: %v %.100s", err, out.String())
	}
	if err := run(context.Background(), []string{"dragoman", "brief"}, getenv, nil, &out, &errOut); err == nil {
		t.Error("brief without a date")
	}
	if err := run(context.Background(), []string{"dragoman", "brief", "--date", "2024-01-01"}, getenv, nil, &out, &errOut); err == nil || !strings.Contains(err.Error(), "no_articles") {
		t.Errorf("empty day: %v", err)
	}
}

// ingestDay posts every article of the realistic day in testdata/day.
func (g *gw) ingestDay(t testing.TB) {
	t.Helper()
	wd, _ := os.Getwd()
	day, err := newstest.Day(wd)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range day {
		b, _ := json.Marshal(a.Request)
		if r := g.post(t, "/v1/articles", "application/json", string(b)); r.status != 201 {
			t.Fatalf("%s: %d %s", a.Name, r.status, r.body)
		}
	}
}
