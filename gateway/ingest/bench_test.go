package ingest_test

import (
	"context"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dragoman-news/dragoman/gateway/newstest"
)

// BenchmarkIngest ingests distinct articles from parallel clients against
// a simulator with no latency, into a real SQLite file: what it measures
// is the gateway's own cost per article (normalizing, two model calls
// through the HTTP client, near-duplicate search, the write). Run with
//
//	go test ./gateway/ingest -run '^$' -bench Ingest -benchtime 300x
func BenchmarkIngest(b *testing.B) {
	e := newstest.New(b)
	wd, _ := os.Getwd()
	day, err := newstest.Day(wd)
	if err != nil {
		b.Fatal(err)
	}
	reqs := newstest.Synthetic(day, b.N, 1)
	var next atomic.Int64
	start := time.Now()
	b.ResetTimer()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := reqs[next.Add(1)-1]
			if _, _, err := e.Ingest.Ingest(context.Background(), req); err != nil {
				b.Error(err)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "articles/s")
	b.ReportMetric(float64(e.Fake.Calls())/float64(b.N), "model-calls/article")
}
