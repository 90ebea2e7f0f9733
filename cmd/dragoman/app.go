package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/dragoman-news/dragoman/cache"
	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/briefing"
	"github.com/dragoman-news/dragoman/gateway/chat"
	"github.com/dragoman-news/dragoman/gateway/glossary"
	"github.com/dragoman-news/dragoman/gateway/httpapi"
	"github.com/dragoman-news/dragoman/gateway/ingest"
	"github.com/dragoman-news/dragoman/gateway/jobs"
	"github.com/dragoman-news/dragoman/gateway/llm"
	"github.com/dragoman-news/dragoman/gateway/llmsim"
	"github.com/dragoman-news/dragoman/gateway/metrics"
	"github.com/dragoman-news/dragoman/gateway/store"
	"github.com/dragoman-news/dragoman/gateway/webfetch"
	"github.com/dragoman-news/dragoman/prompts"
)

// app is the wired gateway: every component, built from a config.
type app struct {
	cfg      *config
	log      *slog.Logger
	service  *gateway.Service
	memory   *cache.Memory
	tiers    *cache.Layered
	metrics  *metrics.Metrics
	model    *llm.Client // nil when no model is configured
	store    *store.Store
	ingester *ingest.Ingester
	builder  *briefing.Builder
	feeds    []ingest.Feed
	fetcher  *webfetch.Fetcher
	chat     chatConfig
	// hooks and deliveries exist once the jobs run (serve only).
	hooks      *chat.Hooks
	deliveries *deliveries

	// stoppers stop what runs (jobs) within a deadline; closers then
	// release resources, in reverse order.
	stoppers []func(context.Context) error
	closers  []func()
	// background runs from start until close.
	background []func(ctx context.Context)
	cancel     context.CancelFunc
	wg         sync.WaitGroup
}

// newApp builds the gateway from cfg.
func newApp(ctx context.Context, cfg *config, log *slog.Logger) (*app, error) {
	a := &app{cfg: cfg, log: log, metrics: metrics.New()}
	if err := a.wire(ctx); err != nil {
		a.close(0)
		return nil, err
	}
	return a, nil
}

func (a *app) wire(ctx context.Context) error {
	cfg := a.cfg
	p, err := prompts.Embedded()
	if err != nil {
		return err
	}
	if _, err := time.LoadLocation(cfg.BriefingTZ); err != nil {
		return fmt.Errorf("DRAGOMAN_BRIEFING_TZ=%q: %w", cfg.BriefingTZ, err)
	}
	if a.feeds, err = ingest.ParseFeeds(cfg.Feeds); err != nil {
		return fmt.Errorf("DRAGOMAN_FEEDS: %w", err)
	}
	if cfg.JobPollInterval < 100*time.Millisecond {
		return fmt.Errorf("DRAGOMAN_JOB_POLL_INTERVAL must be at least 100ms")
	}
	if cfg.JobRescueAfter < cfg.JobTimeout {
		return fmt.Errorf("DRAGOMAN_JOB_RESCUE_AFTER (%s) must be at least DRAGOMAN_JOB_TIMEOUT (%s)", cfg.JobRescueAfter, cfg.JobTimeout)
	}
	if a.store, err = store.Open(ctx, cfg.DataDir); err != nil {
		return err
	}
	a.closers = append(a.closers, func() { _ = a.store.Close() })
	gloss := glossary.Starter()
	if cfg.Glossary != "" {
		file, err := glossary.Load(cfg.Glossary)
		if err != nil {
			return err
		}
		gloss = glossary.Merge(gloss, file)
	}

	a.memory = cache.NewMemory(cache.MemoryConfig{TTL: cfg.CacheTTL, MaxBytes: cfg.CacheMaxBytes})
	a.background = append(a.background, a.memory.Run)
	a.tiers = cache.NewLayered(func(err error) { a.log.Warn("cache tier failed", "error", err) }, a.memory, a.store)

	baseURL, model := cfg.BaseURL, cfg.Model
	if cfg.Demo {
		if baseURL, err = a.startSimulator(); err != nil {
			return err
		}
		if model == "" {
			model = llmsim.DemoModel
		}
	}
	notReady := readiness(cfg, model)
	if notReady == "" {
		azure := cfg.APIType == "azure" || (cfg.APIType == "auto" && llm.IsAzureURL(baseURL))
		a.model = llm.New(llm.Config{
			BaseURL: baseURL, APIKey: cfg.APIKey, Azure: azure, AzureAPIVersion: cfg.AzureAPIVersion,
			Temperature: cfg.Temperature, TokenField: cfg.TokenField,
			CallTimeout: cfg.UpstreamTimeout, Retries: cfg.Retries,
			RetryBase: 500 * time.Millisecond, RetryMax: 20 * time.Second,
			MaxConcurrent: cfg.MaxConcurrent, MaxQueue: cfg.MaxQueue, QueueRetryAfter: time.Second,
			MaxResponseBytes: cfg.MaxResponse,
			HTTPClient:       &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()},
			Observer:         a.metrics,
		})
	}
	deps := gateway.Deps{Prompts: p, Cache: a.tiers, CacheTTL: cfg.CacheTTL, Glossary: gloss}
	if a.model != nil {
		deps.Model = a.model
	}
	summaryModel := cfg.SummaryModel
	if summaryModel == "" {
		summaryModel = model
	}
	a.service, err = gateway.NewService(gateway.Config{
		TranslationModel: model, SummaryModel: summaryModel, NotReady: notReady, Demo: cfg.Demo,
		Limits:      gateway.Limits{MaxTextBytes: int(cfg.MaxArticleBytes)},
		ChunkTokens: cfg.ChunkTokens, SummaryChunkTokens: cfg.SummaryChunk,
		ChunkConcurrency: cfg.ChunkConcurrency, MaxOutputTokens: cfg.MaxOutputTokens,
	}, deps)
	if err != nil {
		return err
	}
	a.fetcher = webfetch.New(webfetch.Config{
		Timeout: cfg.FetchTimeout, MaxBytes: cfg.FetchMaxBytes, MaxRedirects: cfg.FetchMaxRedirects,
		AllowPrivate: cfg.AllowPrivateURLs, UserAgent: "Dragoman/" + version() + " (+https://github.com/dragoman-news/dragoman)",
	})
	a.ingester = ingest.New(ingest.Config{Bullets: cfg.ArticleBullets, MaxArticleBytes: int(cfg.MaxArticleBytes)}, ingest.Deps{
		Store: a.store, Translator: a.service, NotFound: store.ErrNotFound, BadCursor: store.ErrBadCursor, Fetcher: a.fetcher,
	})
	if a.chat, err = newChatConfig(cfg); err != nil {
		return err
	}
	a.builder = briefing.New(briefing.Config{
		MaxStories: cfg.BriefingStories, StoryBullets: 3, Model: summaryModel, Demo: cfg.Demo, Concurrency: cfg.ChunkConcurrency,
	}, briefing.Deps{Store: a.store, Writer: a.service, NotFound: store.ErrNotFound})
	a.registerMetrics()
	return nil
}

// startJobs runs the background jobs (schedule, feeds, cache sweep) until
// ctx ends; close stops them.
func (a *app) startJobs(ctx context.Context) error {
	cfg := a.cfg
	sender, err := chat.NewSender(chat.SenderConfig{
		HTTP: a.fetcher.Client(), SlackAPI: cfg.SlackAPIURL, SlackBotToken: cfg.SlackBotToken,
		DiscordAPI: cfg.DiscordAPIURL, TelegramAPI: cfg.TelegramAPIURL, TelegramBotToken: cfg.TelegramBotToken,
		WebhookKey: a.chat.webhookKey,
	})
	if err != nil {
		return err
	}
	replier := chat.NewRunner(a.service, a.ingester, a.builder, cfg.BriefingTZ, nil)
	runner, err := jobs.Start(ctx, jobs.Config{
		BriefingAt: cfg.BriefingAt, BriefingTZ: cfg.BriefingTZ, DaysBack: cfg.BriefingDaysBack, CatchUpDays: cfg.BriefingCatchUp,
		Feeds: a.feeds, FeedInterval: cfg.FeedInterval, CacheSweep: time.Hour,
		Workers: cfg.JobWorkers, JobTimeout: cfg.JobTimeout, RescueAfter: cfg.JobRescueAfter, PollInterval: cfg.JobPollInterval,
	}, jobs.Deps{
		DB: a.store.DB(), Briefer: a.builder, Feeds: a.ingester, Store: a.store, Logger: a.log,
		Chat: replier, Sender: sender, Destinations: a.chat.destinations.Targets(),
	})
	if err != nil {
		return err
	}
	a.stoppers = append(a.stoppers, runner.Stop)
	hooks := a.chat.hooks
	hooks.WorkTimeout = cfg.RequestTimeout
	a.hooks = chat.NewHooks(hooks, runner, replier)
	a.deliveries = &deliveries{Log: chat.Log{Store: a.store, BadCursor: store.ErrBadCursor}, Runner: runner}
	return nil
}

// deliveries joins the delivery log and the job runner that delivers.
type deliveries struct {
	chat.Log
	*jobs.Runner
}

// chatConfig is the chat platforms' configuration, checked.
type chatConfig struct {
	hooks        chat.HooksConfig
	destinations chat.Destinations
	webhookKey   []byte
}

func newChatConfig(cfg *config) (chatConfig, error) {
	c := chatConfig{
		hooks: chat.HooksConfig{
			SlackSigningSecret: cfg.SlackSigningSecret, DiscordAppID: cfg.DiscordAppID, MattermostToken: cfg.MattermostToken,
			TelegramSecret: cfg.TelegramSecretToken, TeamsBudget: cfg.TeamsBudget,
		},
		destinations: chat.Destinations{
			SlackWebhookURL: cfg.SlackWebhookURL, SlackChannel: cfg.SlackChannel, DiscordWebhookURL: cfg.DiscordWebhookURL,
			TeamsWebhookURL: cfg.TeamsWebhookURL, MattermostWebhookURL: cfg.MattermostWebhookURL,
			TelegramChatID: cfg.TelegramChatID, WebhookURL: cfg.WebhookURL,
		},
	}
	if cfg.DiscordPublicKey != "" {
		key, err := hex.DecodeString(cfg.DiscordPublicKey)
		if err != nil || len(key) != ed25519.PublicKeySize {
			return c, errors.New("DRAGOMAN_DISCORD_PUBLIC_KEY must be the application's public key: 64 hex digits")
		}
		c.hooks.DiscordPublicKey = key
	}
	if cfg.TeamsHMACKey != "" {
		key, err := base64.StdEncoding.DecodeString(cfg.TeamsHMACKey)
		if err != nil || len(key) == 0 {
			return c, errors.New("DRAGOMAN_TEAMS_HMAC_KEY must be the base64 security token Teams shows for the outgoing webhook")
		}
		c.hooks.TeamsKey = key
	}
	if cfg.WebhookSecret != "" {
		key, err := chat.StandardSecret(cfg.WebhookSecret)
		if err != nil {
			return c, fmt.Errorf("DRAGOMAN_WEBHOOK_SECRET: %w", err)
		}
		c.webhookKey, c.hooks.WebhookKey = key, key
	}
	if cfg.WebhookURL != "" && c.webhookKey == nil {
		return c, errors.New("DRAGOMAN_WEBHOOK_URL needs DRAGOMAN_WEBHOOK_SECRET to sign what it sends")
	}
	if cfg.TelegramBotToken == "" && (cfg.TelegramSecretToken != "" || cfg.TelegramChatID != "") {
		return c, errors.New("DRAGOMAN_TELEGRAM_SECRET_TOKEN and DRAGOMAN_TELEGRAM_CHAT_ID need DRAGOMAN_TELEGRAM_BOT_TOKEN")
	}
	if cfg.SlackChannel != "" && cfg.SlackBotToken == "" {
		return c, errors.New("DRAGOMAN_SLACK_CHANNEL needs DRAGOMAN_SLACK_BOT_TOKEN")
	}
	for name, u := range map[string]string{
		"DRAGOMAN_SLACK_WEBHOOK_URL": cfg.SlackWebhookURL, "DRAGOMAN_DISCORD_WEBHOOK_URL": cfg.DiscordWebhookURL,
		"DRAGOMAN_TEAMS_WEBHOOK_URL": cfg.TeamsWebhookURL, "DRAGOMAN_MATTERMOST_WEBHOOK_URL": cfg.MattermostWebhookURL,
		"DRAGOMAN_WEBHOOK_URL": cfg.WebhookURL,
	} {
		if _, err := webfetch.Check(u); u != "" && err != nil {
			return c, fmt.Errorf("%s must be an http(s) URL", name)
		}
	}
	if cfg.TeamsWebhookURL != "" {
		c.hooks.TeamsResults = chat.Target{Platform: chat.Teams, Name: "Teams webhook", URL: cfg.TeamsWebhookURL}
	}
	return c, nil
}

// readiness says why the gateway cannot call a model, or "" when it can.
func readiness(cfg *config, model string) string {
	if model == "" {
		return "No model is configured: set DRAGOMAN_MODEL (and OPENAI_BASE_URL for a server other than OpenAI, e.g. http://localhost:11434/v1 for Ollama), or start with --demo."
	}
	u, err := url.Parse(cfg.BaseURL)
	if !cfg.Demo && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		return fmt.Sprintf("OPENAI_BASE_URL %q is not an http(s) URL.", cfg.BaseURL)
	}
	if !cfg.Demo && cfg.APIKey == "" && (u.Hostname() == "api.openai.com" || llm.IsAzureURL(cfg.BaseURL)) {
		return "OPENAI_API_KEY is not set: OpenAI and Azure OpenAI need a key."
	}
	return ""
}

// startSimulator serves the built-in simulator on a loopback port, so that
// demo mode goes through the same HTTP client as a real server.
func (a *app) startSimulator() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("demo simulator: %w", err)
	}
	srv := &http.Server{Handler: llmsim.New(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	a.closers = append(a.closers, func() { _ = srv.Close() })
	return "http://" + ln.Addr().String() + "/v1", nil
}

func (a *app) registerMetrics() {
	m := a.metrics
	counts := a.service.CacheCounts
	m.CounterFunc("dragoman_cache_hits_total", "Answers served from the cache.", func() float64 { return float64(counts().Hits) })
	m.CounterFunc("dragoman_cache_misses_total", "Answers computed (not in the cache).", func() float64 { return float64(counts().Misses) })
	m.CounterFunc("dragoman_cache_coalesced_total", "Requests that shared an identical request's computation.", func() float64 { return float64(counts().Shared) })
	m.CounterFunc("dragoman_cache_evictions_total", "Entries evicted from the memory cache by its byte cap.", func() float64 { return float64(a.memory.Stats().Evictions) })
	m.CounterFunc("dragoman_cache_expirations_total", "Entries expired from the memory cache.", func() float64 { return float64(a.memory.Stats().Expirations) })
	m.CounterFunc("dragoman_cache_tier_errors_total", "Failures of cache tiers (ignored: the request goes on).", func() float64 { return float64(a.tiers.Errors()) })
	m.GaugeFunc("dragoman_cache_bytes", "Bytes held by the memory cache.", func() float64 { return float64(a.memory.Stats().Bytes) })
	m.GaugeFunc("dragoman_cache_items", "Entries held by the memory cache.", func() float64 { return float64(a.memory.Stats().Items) })
	m.GaugeFunc("dragoman_cache_max_bytes", "Byte cap of the memory cache.", func() float64 { return float64(a.memory.Stats().MaxBytes) })
	m.GaugeFunc("dragoman_upstream_in_flight", "Model calls in flight.", func() float64 {
		if a.model == nil {
			return 0
		}
		n, _ := a.model.Load()
		return float64(n)
	})
	m.GaugeFunc("dragoman_upstream_queued", "Model calls waiting for a slot.", func() float64 {
		if a.model == nil {
			return 0
		}
		_, n := a.model.Load()
		return float64(n)
	})
}

// handler returns the HTTP API.
func (a *app) handler() http.Handler {
	deps := httpapi.Deps{
		Translator: a.service,
		Articles:   a.ingester,
		Briefings:  a.builder,
		Ready: map[string]httpapi.Check{
			"model": func(context.Context) error { return a.service.Ready() },
			"store": func(ctx context.Context) error {
				if err := a.store.Ping(ctx); err != nil {
					return gateway.Wrap(gateway.CodeServiceUnavailable, err, "The database does not answer.")
				}
				return nil
			},
		},
		CacheStats: a.cacheStats,
		Metrics:    a.metrics,
		Logger:     a.log,
	}
	if a.hooks != nil { // the jobs run: chat hooks and deliveries work
		deps.Hooks, deps.Deliveries = a.hooks, a.deliveries
	}
	return httpapi.New(httpapi.Config{
		MaxBodyBytes: a.cfg.MaxBodyBytes, RequestTimeout: a.cfg.RequestTimeout, StreamHeartbeat: a.cfg.StreamHeartbeat,
		TZ: a.cfg.BriefingTZ,
	}, deps)
}

// cacheStats is served at /v1/cache/stats.
func (a *app) cacheStats() any {
	return map[string]any{
		"requests":    a.service.CacheCounts(),
		"memory":      a.memory.Stats(),
		"tier_errors": a.tiers.Errors(),
	}
}

// start runs the background tasks until close, and returns their context:
// it carries ctx's values but ends only when close has stopped the jobs,
// so that a signal does not cut running jobs short.
func (a *app) start(ctx context.Context) context.Context {
	ctx, a.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for _, run := range a.background {
		a.wg.Go(func() { run(ctx) })
	}
	return ctx
}

// close stops the jobs (letting running ones finish for up to grace),
// waits for the background tasks and releases resources.
func (a *app) close(grace time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	for _, stop := range a.stoppers {
		if err := stop(ctx); err != nil {
			a.log.Warn("jobs did not stop cleanly", "error", err)
		}
	}
	if a.cancel != nil {
		a.cancel()
	}
	a.wg.Wait()
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// describe is the start-up log line's view of the configuration.
func (a *app) describe() []any {
	translation, summary := a.service.Models()
	attrs := []any{"model", translation, "summary_model", summary, "demo", a.cfg.Demo}
	if !a.cfg.Demo {
		attrs = append(attrs, "base_url", redactURL(a.cfg.BaseURL))
	}
	if err := a.service.Ready(); err != nil {
		attrs = append(attrs, "ready", false, "reason", gateway.AsError(err).Detail)
	}
	return attrs
}

// redactURL hides credentials embedded in a URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Redacted()
}

var errUsage = errors.New("usage")

func usageText() string {
	return strings.TrimSpace(`
Dragoman translates and summarizes Arabic news through any OpenAI-compatible model.

Usage:
  dragoman serve [flags]                 start the gateway (see docs: README.md)
  dragoman translate [flags] [FILE|-]    translate an article from a file or standard input
  dragoman summarize [flags] [FILE|-]    summarize an article
  dragoman ingest [flags] FILE...        store article files (header lines, a blank line, the text)
  dragoman brief --date D [flags]        write a day's briefing (--format md|html|json)
  dragoman config                        print the configuration table (flags and environment)
  dragoman version                       print the version

Every flag has an environment variable; run 'dragoman serve -h' for the list.`)
}
