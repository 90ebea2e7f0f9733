// Package metrics measures the gateway for Prometheus, in a registry of its
// own (nothing global): HTTP requests, upstream calls, tokens, and any
// counters or gauges the wiring registers as functions (cache, queue).
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dragoman-news/dragoman/gateway"
)

// Metrics holds the gateway's metrics.
type Metrics struct {
	registry        *prometheus.Registry
	requests        *prometheus.CounterVec
	requestSeconds  *prometheus.HistogramVec
	upstreamCalls   *prometheus.CounterVec
	upstreamSeconds *prometheus.HistogramVec
	upstreamRetries *prometheus.CounterVec
	tokens          *prometheus.CounterVec
}

// New returns metrics in a new registry, with Go runtime and process
// metrics included.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dragoman_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		requestSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dragoman_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"route"}),
		upstreamCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dragoman_upstream_calls_total", Help: "Model calls by model and outcome (ok, rate_limited, server_error, timeout, unreachable, bad_response, rejected, canceled, queue_full).",
		}, []string{"model", "outcome"}),
		upstreamSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dragoman_upstream_call_duration_seconds", Help: "Model call latency by model.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 20, 40, 80, 160},
		}, []string{"model"}),
		upstreamRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dragoman_upstream_retries_total", Help: "Model call retries by model and the outcome retried.",
		}, []string{"model", "outcome"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dragoman_tokens_total", Help: "Tokens reported by the model server, by model and kind (prompt, completion).",
		}, []string{"model", "kind"}),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.requestSeconds, m.upstreamCalls, m.upstreamSeconds, m.upstreamRetries, m.tokens,
	)
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Request records one HTTP request.
func (m *Metrics) Request(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.requestSeconds.WithLabelValues(route).Observe(d.Seconds())
}

// UpstreamCall records one model call.
func (m *Metrics) UpstreamCall(model, outcome string, d time.Duration) {
	m.upstreamCalls.WithLabelValues(model, outcome).Inc()
	m.upstreamSeconds.WithLabelValues(model).Observe(d.Seconds())
}

// UpstreamRetry records a retried model call.
func (m *Metrics) UpstreamRetry(model, outcome string) {
	m.upstreamRetries.WithLabelValues(model, outcome).Inc()
}

// UpstreamTokens records the tokens of one model call.
func (m *Metrics) UpstreamTokens(model string, u gateway.Usage) {
	if u.PromptTokens > 0 {
		m.tokens.WithLabelValues(model, "prompt").Add(float64(u.PromptTokens))
	}
	if u.CompletionTokens > 0 {
		m.tokens.WithLabelValues(model, "completion").Add(float64(u.CompletionTokens))
	}
}

// CounterFunc registers a counter read from fn at each scrape.
func (m *Metrics) CounterFunc(name, help string, fn func() float64) {
	m.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, fn))
}

// GaugeFunc registers a gauge read from fn at each scrape.
func (m *Metrics) GaugeFunc(name, help string, fn func() float64) {
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn))
}
