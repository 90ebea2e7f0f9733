package briefing_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/briefing"
	"github.com/dragoman-news/dragoman/gateway/llmtest"
	"github.com/dragoman-news/dragoman/gateway/newstest"
)

type env struct {
	*newstest.Env
	fake    *llmtest.Server
	builder *briefing.Builder
	day     map[string]*gateway.StoredArticle // by file name
}

// newDay ingests the news day through the real pipeline, against the
// simulator, into a real SQLite file.
func newDay(t testing.TB) *env {
	t.Helper()
	e := newstest.New(t)
	return &env{Env: e, fake: e.Fake, builder: e.Builder, day: e.IngestDay(t)}
}

func TestSyndicatedCopiesJoinOneStoryAtIngestion(t *testing.T) {
	e := newDay(t)
	wire := e.day["a1-xinhua"]
	for _, name := range []string{"a2-alghad", "a3-alwatan", "a4-skynews", "a5-rt", "a6-xinhua-update"} {
		if a := e.day[name]; a.StoryID != wire.StoryID || a.DuplicateOf == 0 {
			t.Errorf("%s: story %d (wire %d), duplicate of %d", name, a.StoryID, wire.StoryID, a.DuplicateOf)
		}
	}
	for name, a := range e.day {
		if !strings.HasPrefix(name, "a") && a.StoryID == wire.StoryID {
			t.Errorf("%s joined the wire story", name)
		}
		if !strings.HasPrefix(name, "a") && a.DuplicateOf != 0 {
			t.Errorf("%s marked as a copy of %d", name, a.DuplicateOf)
		}
	}
}

func TestBriefingOfTheDay(t *testing.T) {
	e := newDay(t)
	e.fake.Reset()
	ctx := context.Background()
	b, saved, err := e.builder.Build(ctx, briefing.Request{Date: "2025-11-04", TZ: "Asia/Riyadh"}, "UTC", false)
	if err != nil || !saved {
		t.Fatalf("%v %v", saved, err)
	}
	calls := e.fake.Calls()
	if b.Articles != 28 {
		t.Errorf("%d articles in the Riyadh day, want 28", b.Articles)
	}
	if len(b.Bullets) < 3 || len(b.Bullets) > 5 || b.Title == "" {
		t.Errorf("top line: %q %v", b.Title, b.Bullets)
	}
	first := b.Stories[0]
	var firstIDs []int64
	for _, s := range first.Sources {
		firstIDs = append(firstIDs, s.ArticleID)
	}
	for _, name := range []string{"a1-xinhua", "a2-alghad", "a3-alwatan", "a4-skynews", "a5-rt", "a6-xinhua-update"} {
		if !slices.Contains(firstIDs, e.day[name].ID) {
			t.Errorf("top story lacks %s", name)
		}
	}
	if len(first.Sources) != 6 || first.HeadlineAr == "" || len(first.Bullets) != 3 {
		t.Errorf("top story: %d sources, arabic %q, %d bullets", len(first.Sources), first.HeadlineAr, len(first.Bullets))
	}
	// Reports of one event in other words are one story.
	storyOf := map[int64]int{}
	for i, st := range b.Stories {
		for _, s := range st.Sources {
			storyOf[s.ArticleID] = i
		}
	}
	for _, pair := range [][]string{{"b1-anadolu", "b2-aljazeera", "b3-alarabiya"}, {"c1-ahram", "c2-enterprise"}, {"d1-spa", "d2-asharq"}, {"f1-hespress", "f2-le360"}, {"j1-ina", "j2-rudaw"}} {
		for _, name := range pair[1:] {
			if storyOf[e.day[name].ID] != storyOf[e.day[pair[0]].ID] {
				t.Errorf("%s and %s are in different stories", pair[0], name)
			}
		}
	}
	if b.Stories[1].Sources[0].ArticleID != e.day["b1-anadolu"].ID {
		t.Errorf("second story is %q, want the earthquake (3 outlets)", b.Stories[1].Headline)
	}
	all, _, err := e.builder.Build(ctx, briefing.Request{Date: "2025-11-04", TZ: "Asia/Riyadh", MaxStories: 50}, "UTC", false)
	if err != nil {
		t.Fatal(err)
	}
	storyOfAll := map[int64]int{}
	for i, st := range all.Stories {
		for _, s := range st.Sources {
			storyOfAll[s.ArticleID] = i
		}
	}
	for _, apart := range [][2]string{{"m1-sudan-tribune", "q1-alquds-early"}, {"d1-spa", "j1-ina"}, {"c1-ahram", "e1-kooora"}} {
		if storyOfAll[e.day[apart[0]].ID] == storyOfAll[e.day[apart[1]].ID] {
			t.Errorf("%s and %s were merged", apart[0], apart[1])
		}
	}
	if len(all.Stories) != 17 {
		t.Errorf("%d stories in the day, want 17 (28 articles: a wire story in 6, one event in 3, four in 2, eleven alone)", len(all.Stories))
	}
	// Only merges of several outlets and the top line call the model.
	multi := 0
	for _, st := range b.Stories {
		outlets := map[string]bool{}
		for _, s := range st.Sources {
			outlets[s.Source] = true
		}
		if len(outlets) > 1 {
			multi++
		}
	}
	if calls != multi+1 || b.ModelCalls != multi+1 {
		t.Errorf("%d model calls (briefing says %d) for %d merged stories and a top line", calls, b.ModelCalls, multi)
	}
	if len(b.Stories) != 10 || b.StoriesSeen < 15 {
		t.Errorf("%d stories shown of %d", len(b.Stories), b.StoriesSeen)
	}

	// Built again: the merges come from the cache.
	e.fake.Reset()
	again, _, err := e.builder.Build(ctx, briefing.Request{Date: "2025-11-04", TZ: "Asia/Riyadh"}, "UTC", false)
	if err != nil || e.fake.Calls() != 0 || again.ModelCalls != 0 {
		t.Errorf("rebuild called the model %d times: %v", e.fake.Calls(), err)
	}
}

func TestTimeZoneDecidesTheDay(t *testing.T) {
	e := newDay(t)
	ctx := context.Background()
	ids := func(tz string) []int64 {
		b, _, err := e.builder.Build(ctx, briefing.Request{Date: "2025-11-04", TZ: tz, MaxStories: 50}, "UTC", false)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, st := range b.Stories {
			for _, s := range st.Sources {
				out = append(out, s.ArticleID)
			}
		}
		return out
	}
	riyadh, utc := ids("Asia/Riyadh"), ids("UTC")
	early, late := e.day["q1-alquds-early"].ID, e.day["r1-nextday"].ID
	if !slices.Contains(riyadh, early) || slices.Contains(riyadh, late) {
		t.Errorf("Riyadh day: early %v, late %v", slices.Contains(riyadh, early), slices.Contains(riyadh, late))
	}
	if slices.Contains(utc, early) || !slices.Contains(utc, late) {
		t.Errorf("UTC day: early %v, late %v", slices.Contains(utc, early), slices.Contains(utc, late))
	}
}

func TestRequestValidation(t *testing.T) {
	e := newDay(t)
	ctx := context.Background()
	for _, tt := range []struct {
		req  briefing.Request
		code gateway.Code
	}{
		{briefing.Request{Date: "04/11/2025"}, gateway.CodeInvalidField},
		{briefing.Request{Date: "2025-11-04", TZ: "Mars/Olympus"}, gateway.CodeInvalidField},
		{briefing.Request{Date: "2025-11-04", MaxStories: 500}, gateway.CodeInvalidField},
		{briefing.Request{Date: "2025-12-25"}, gateway.CodeNoArticles},
		{briefing.Request{Date: "2025-11-04", Sources: []string{"No Such Outlet"}}, gateway.CodeNoArticles},
	} {
		if _, _, err := e.builder.Build(ctx, tt.req, "UTC", false); gateway.CodeOf(err) != tt.code {
			t.Errorf("%+v: %v, want %s", tt.req, err, tt.code)
		}
	}
	b, _, err := e.builder.Build(ctx, briefing.Request{Date: "2025-11-04", TZ: "Asia/Riyadh", Sources: []string{"الجزيرة نت", "العربية"}}, "UTC", false)
	if err != nil || b.Articles != 2 || len(b.Stories) != 1 {
		t.Errorf("sources filter: %v, %d articles, %d stories", err, b.Articles, len(b.Stories))
	}
}

func TestRendering(t *testing.T) {
	e := newDay(t)
	b, _, err := e.builder.Build(context.Background(), briefing.Request{Date: "2025-11-04", TZ: "Asia/Riyadh"}, "UTC", false)
	if err != nil {
		t.Fatal(err)
	}
	md := briefing.Markdown(b)
	for _, s := range b.Stories[0].Sources {
		if !strings.Contains(md, s.URL) {
			t.Errorf("markdown lacks source %s", s.URL)
		}
	}
	if !strings.Contains(md, "\u2067"+b.Stories[0].HeadlineAr+"\u2069") {
		t.Error("Arabic headline not isolated on its own line")
	}

	page, err := briefing.HTML(b)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(strings.NewReader(string(page)))
	if err != nil {
		t.Fatal(err)
	}
	var rtl, links int
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			attrs := map[string]string{}
			for _, a := range n.Attr {
				attrs[a.Key] = a.Val
			}
			if n.Data == "html" && (attrs["lang"] != "en" || attrs["dir"] != "ltr") {
				t.Errorf("page is lang=%q dir=%q", attrs["lang"], attrs["dir"])
			}
			if attrs["dir"] == "rtl" && attrs["lang"] == "ar" {
				rtl++
			}
			if n.Data == "a" && strings.HasPrefix(attrs["href"], "https://") {
				links++
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	sources := 0
	for _, st := range b.Stories {
		sources += len(st.Sources)
	}
	if rtl != len(b.Stories) || links != sources {
		t.Errorf("%d right-to-left Arabic headlines for %d stories, %d links for %d sources", rtl, len(b.Stories), links, sources)
	}
}

func TestRenderingEscapesModelOutput(t *testing.T) {
	b := &gateway.Briefing{
		Date: "2025-11-04", TZ: "UTC", Title: `<script>alert(1)</script>`,
		Bullets: []string{"[click](javascript:alert(1)) and ![img](http://x/y.png)"},
		Stories: []gateway.BriefingStory{{
			Headline: "*bold* <b>", Bullets: []string{"x"},
			Sources: []gateway.BriefingSource{{Source: "Evil", URL: "javascript:alert(1)"}, {Source: "Good", URL: "https://good.example/a b"}},
		}},
	}
	md := briefing.Markdown(b)
	if strings.Contains(md, "](javascript") || strings.Contains(md, "<script>") || strings.Contains(md, "![img]") || !strings.Contains(md, "Evil 00:00 ·") {
		t.Errorf("markdown lets markup through:\n%s", md)
	}
	page, _ := briefing.HTML(b)
	if strings.Contains(string(page), "<script>alert") || strings.Contains(string(page), `href="javascript`) {
		t.Errorf("HTML lets markup through:\n%s", page)
	}
}
