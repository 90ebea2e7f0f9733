package briefing_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/dragoman-news/dragoman/gateway/briefing"
	"github.com/dragoman-news/dragoman/gateway/newstest"
)

// BenchmarkBriefing500 writes the briefing of a day of 500 articles
// (about a hundred stories, many carried by several outlets), against a
// simulator with no latency. Each run rebuilds from scratch: the answer
// cache is bypassed by a fresh environment per run. Run with
//
//	go test ./gateway/briefing -run '^$' -bench Briefing500 -benchtime 3x
func BenchmarkBriefing500(b *testing.B) {
	wd, _ := os.Getwd()
	day, err := newstest.Day(wd)
	if err != nil {
		b.Fatal(err)
	}
	reqs := newstest.Synthetic(day, 500, 2)
	var build time.Duration
	var calls, stories, total int
	for b.Loop() {
		b.StopTimer()
		e := newstest.New(b)
		for _, r := range reqs {
			if _, _, err := e.Ingest.Ingest(context.Background(), r); err != nil {
				b.Fatal(err)
			}
		}
		e.Fake.Reset()
		b.StartTimer()
		start := time.Now()
		brief, _, err := e.Builder.Build(context.Background(), briefing.Request{Date: "2025-11-04", TZ: "UTC", MaxStories: 20}, "UTC", false)
		build += time.Since(start)
		if err != nil || brief.Articles != 500 {
			b.Fatalf("%v (%d articles)", err, brief.Articles)
		}
		calls, stories, total = e.Fake.Calls(), len(brief.Stories), brief.StoriesSeen
	}
	b.ReportMetric(build.Seconds()*1e3/float64(b.N), "build-ms")
	b.ReportMetric(float64(calls), "model-calls")
	b.ReportMetric(float64(stories), "stories-shown")
	b.ReportMetric(float64(total), "stories-found")
}
