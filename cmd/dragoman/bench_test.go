package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/dragoman-news/dragoman/gateway/chat"
)

// Benchmarks of the whole gateway over HTTP, against the simulator with no
// latency: what they measure is the gateway itself. Run with
//
//	go test ./cmd/dragoman -run '^$' -bench . -benchtime 3s
//
// Results are in docs/benchmarks.md.

func benchGateway(b *testing.B) *gw {
	b.Helper()
	return startGateway(b, map[string]string{"DRAGOMAN_MAX_CONCURRENT": "64", "DRAGOMAN_MAX_QUEUE": "4096"})
}

func post(client *http.Client, url, body string, header ...string) (int, error) {
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// BenchmarkCacheHit serves the seed article's translation from the cache,
// from parallel clients, and reports requests per second, beside the same
// clients calling /healthz (the cost of HTTP alone) in the same run.
func BenchmarkCacheHit(b *testing.B) {
	g := benchGateway(b)
	text := seed(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	if status, err := post(client, g.url+"/v1/translate", text); err != nil || status != 200 {
		b.Fatal(status, err)
	}
	measure := func(fn func() (int, error)) float64 {
		var n atomic.Int64
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if status, err := fn(); err != nil || status != 200 {
					b.Error(status, err)
					return
				}
				n.Add(1)
			}
		})
		return float64(n.Load()) / time.Since(start).Seconds()
	}
	b.ResetTimer()
	hit := measure(func() (int, error) { return post(client, g.url+"/v1/translate", text) })
	health := measure(func() (int, error) {
		resp, err := client.Get(g.url + "/healthz")
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	})
	b.ReportMetric(hit, "hits/s")
	b.ReportMetric(health, "healthz/s")
	b.ReportMetric(hit/health, "hit/healthz")
}

// BenchmarkMissOverhead compares, call by call in one run, a translation
// through the gateway (a miss, forced with Cache-Control: no-cache) with the
// same chat completion sent to the simulator directly.
func BenchmarkMissOverhead(b *testing.B) {
	g := benchGateway(b)
	text := seed(b)
	client := &http.Client{}
	// The prompt the gateway sends, captured once, replayed directly.
	if status, err := post(client, g.url+"/v1/translate", text); err != nil || status != 200 {
		b.Fatal(status, err)
	}
	sent := g.fake.Requests()[0]
	cfg := openai.DefaultConfig("")
	cfg.BaseURL = g.fake.URL
	direct := openai.NewClientWithConfig(cfg)
	req := openai.ChatCompletionRequest{Model: sent.Model, Temperature: 1e-6, MaxTokens: 4096}
	for _, m := range sent.Messages {
		req.Messages = append(req.Messages, openai.ChatCompletionMessage{Role: m.Role, Content: m.Content})
	}
	var viaGateway, viaDirect time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := direct.CreateChatCompletion(context.Background(), req); err != nil {
			b.Fatal(err)
		}
		viaDirect += time.Since(start)
		start = time.Now()
		if status, err := post(client, g.url+"/v1/translate", text, "Cache-Control", "no-cache"); err != nil || status != 200 {
			b.Fatal(status, err)
		}
		viaGateway += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(float64(viaGateway.Microseconds())/n, "gateway-µs/op")
	b.ReportMetric(float64(viaDirect.Microseconds())/n, "direct-µs/op")
	b.ReportMetric(float64(viaGateway-viaDirect)/n/1e3, "overhead-µs/op")
	b.ReportMetric(float64(viaGateway)/float64(viaDirect), "gateway/direct")
}

// BenchmarkCoalescing sends 200 identical requests at once for an article
// not yet cached, and reports how many upstream calls they caused.
func BenchmarkCoalescing(b *testing.B) {
	g := benchGateway(b)
	g.fake.SetLatency(20*time.Millisecond, 0) // all 200 arrive while the first is in flight
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200, MaxConnsPerHost: 0}}
	const concurrent = 200
	var calls int
	round := 0
	b.ResetTimer()
	for b.Loop() {
		round++
		text := strings.ReplaceAll(seed(b), "\n\n", fmt.Sprintf(" (%d)\n\n", round))
		before := g.fake.Calls()
		var wg sync.WaitGroup
		for range concurrent {
			wg.Go(func() {
				if status, err := post(client, g.url+"/v1/translate", text); err != nil || status != 200 {
					b.Error(status, err)
				}
			})
		}
		wg.Wait()
		calls += g.fake.Calls() - before
	}
	b.ReportMetric(float64(calls)/float64(b.N), "upstream-calls/200-requests")
}

// BenchmarkChatAck sends signed Slack slash commands to a gateway whose
// model takes a second per call, and reports the time to the
// acknowledgement (Slack allows 3 s) and to the answer posted to the
// command's response_url, beside /healthz in the same run.
func BenchmarkChatAck(b *testing.B) {
	p := newPlatforms(b)
	g, s := chatGateway(b, p, nil)
	g.fake.SetLatency(time.Second, 0)
	var ack, answer, health time.Duration
	for i := 0; b.Loop(); i++ {
		id := fmt.Sprintf("bench%d", i)
		ct, body, h := signed(b, p, s, chat.Slack, fmt.Sprintf("translate قال الرئيس إن الاجتماع رقم %d انتهى.", i), id)
		start := time.Now()
		if r := g.hook(b, chat.Slack, ct, body, h); r.status != 200 {
			b.Fatalf("%d %s", r.status, r.body)
		}
		ack += time.Since(start)
		for len(p.received(answerPath(chat.Slack, id))) == 0 {
			if time.Since(start) > 20*time.Second {
				b.Fatal("no answer at the response_url")
			}
			time.Sleep(time.Millisecond)
		}
		answer += time.Since(start)
		start = time.Now()
		if r := g.get(b, "/healthz"); r.status != 200 {
			b.Fatal(r.status)
		}
		health += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(float64(ack.Microseconds())/n/1e3, "ack-ms")
	b.ReportMetric(float64(answer.Microseconds())/n/1e3, "answer-ms")
	b.ReportMetric(float64(ack)/float64(health), "ack/healthz")
}
