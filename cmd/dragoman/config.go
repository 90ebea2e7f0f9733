package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dragoman-news/dragoman/gateway/llm"
)

// config is every setting of the binary. Each comes from, in increasing
// priority: its default, its environment variable, its flag.
type config struct {
	Addr            string
	BaseURL         string
	APIKey          string
	APIType         string
	AzureAPIVersion string
	Model           string
	SummaryModel    string
	Demo            bool

	Temperature     float64
	TokenField      string
	MaxOutputTokens int
	UpstreamTimeout time.Duration
	RequestTimeout  time.Duration
	Retries         int
	MaxConcurrent   int
	MaxQueue        int
	MaxResponse     int64

	CacheTTL      time.Duration
	CacheMaxBytes int64

	MaxBodyBytes     int64
	MaxArticleBytes  int64
	ReadTimeout      time.Duration
	ShutdownTimeout  time.Duration
	StreamHeartbeat  time.Duration
	ChunkTokens      int
	SummaryChunk     int
	ChunkConcurrency int
	Glossary         string

	DataDir           string
	AllowPrivateURLs  bool
	FetchTimeout      time.Duration
	FetchMaxBytes     int64
	FetchMaxRedirects int
	Feeds             string
	FeedInterval      time.Duration
	ArticleBullets    int
	BriefingAt        string
	BriefingTZ        string
	BriefingDaysBack  int
	BriefingCatchUp   int
	BriefingStories   int
	JobWorkers        int
	JobTimeout        time.Duration
	JobRescueAfter    time.Duration
	JobPollInterval   time.Duration

	SlackSigningSecret   string
	SlackBotToken        string
	SlackChannel         string
	SlackWebhookURL      string
	SlackAPIURL          string
	DiscordPublicKey     string
	DiscordAppID         string
	DiscordWebhookURL    string
	DiscordAPIURL        string
	MattermostToken      string
	MattermostWebhookURL string
	TeamsHMACKey         string
	TeamsWebhookURL      string
	TeamsBudget          time.Duration
	TelegramBotToken     string
	TelegramSecretToken  string
	TelegramChatID       string
	TelegramAPIURL       string
	WebhookSecret        string
	WebhookURL           string

	LogFormat string
	LogLevel  string
}

// setting is one entry of the registry.
type setting struct {
	flag, env, def, help string
	set                  func(string) error
}

// isBool reports a setting whose flag may stand alone (--demo).
func (s setting) isBool() bool { return s.def == "true" || s.def == "false" }

// settings is the registry: the one list of every setting, from which the
// flags, the environment lookup and the README table are made.
func settings(c *config) []setting {
	return []setting{
		{"addr", "DRAGOMAN_ADDR", ":8080", "Address the gateway listens on.", str(&c.Addr)},
		{"base-url", "OPENAI_BASE_URL", "https://api.openai.com/v1", "Base URL of the OpenAI-compatible server: Ollama `http://localhost:11434/v1`, vLLM, llama.cpp server, OpenRouter, or an Azure OpenAI resource URL.", str(&c.BaseURL)},
		{"api-key", "OPENAI_API_KEY", "", "API key for the model server (never logged). Local servers need none.", str(&c.APIKey)},
		{"api-type", "DRAGOMAN_API_TYPE", "auto", "`openai`, `azure`, or `auto` (Azure when the base URL is an Azure OpenAI host).", oneOf(&c.APIType, "auto", "openai", "azure")},
		{"azure-api-version", "DRAGOMAN_AZURE_API_VERSION", "2024-10-21", "Azure OpenAI API version.", str(&c.AzureAPIVersion)},
		{"model", "DRAGOMAN_MODEL", "", "Translation model (the deployment name on Azure). Without it, `serve` starts but is not ready.", str(&c.Model)},
		{"summary-model", "DRAGOMAN_SUMMARY_MODEL", "", "Summary model; defaults to the translation model.", str(&c.SummaryModel)},
		{"demo", "DRAGOMAN_DEMO", "false", "Use the built-in deterministic simulator instead of a model server; every answer is marked `\"demo\": true`.", boolean(&c.Demo)},
		{"temperature", "DRAGOMAN_TEMPERATURE", "0", "Sampling temperature, 0 to 2. Zero really reaches the server (sent as 1e-6, which every server treats as greedy).", float(&c.Temperature, 0, 2)},
		{"token-field", "DRAGOMAN_TOKEN_FIELD", "max_tokens", "Name of the output token limit field: `max_tokens` (Ollama and most servers) or `max_completion_tokens` (newer OpenAI models).", oneOf(&c.TokenField, llm.MaxTokens, llm.MaxCompletionTokens)},
		{"max-output-tokens", "DRAGOMAN_MAX_OUTPUT_TOKENS", "4096", "Output token limit of each model call; a streamed answer that runs far past it is cut and rejected.", integer(&c.MaxOutputTokens, 16)},
		{"upstream-timeout", "DRAGOMAN_UPSTREAM_TIMEOUT", "120s", "Time limit of one model call, inside the request timeout.", duration(&c.UpstreamTimeout)},
		{"request-timeout", "DRAGOMAN_REQUEST_TIMEOUT", "300s", "Time limit of one request, retries and every chunk included.", duration(&c.RequestTimeout)},
		{"retries", "DRAGOMAN_RETRIES", "2", "Retries of a model call that failed with 429, 5xx, a timeout or a connection error (exponential backoff with jitter, honouring Retry-After).", integer(&c.Retries, 0)},
		{"max-concurrent", "DRAGOMAN_MAX_CONCURRENT", "8", "Model calls in flight at once, across all requests.", integer(&c.MaxConcurrent, 1)},
		{"max-queue", "DRAGOMAN_MAX_QUEUE", "64", "Model calls that may wait for a slot; beyond that, requests get 429 with Retry-After.", integer(&c.MaxQueue, 0)},
		{"max-response-bytes", "DRAGOMAN_MAX_RESPONSE_BYTES", "8MiB", "Largest model server response read.", byteSize(&c.MaxResponse)},
		{"cache-ttl", "DRAGOMAN_CACHE_TTL", "24h", "How long a translation or summary stays cached.", duration(&c.CacheTTL)},
		{"cache-max-bytes", "DRAGOMAN_CACHE_MAX_BYTES", "256MiB", "Memory cap of the in-memory cache; the oldest entries are evicted above it.", byteSize(&c.CacheMaxBytes)},
		{"max-body-bytes", "DRAGOMAN_MAX_BODY_BYTES", "2MiB", "Largest request body; larger ones get 413.", byteSize(&c.MaxBodyBytes)},
		{"max-article-bytes", "DRAGOMAN_MAX_ARTICLE_BYTES", "512KiB", "Largest article text (or HTML); longer ones get 413.", byteSize(&c.MaxArticleBytes)},
		{"read-timeout", "DRAGOMAN_READ_TIMEOUT", "30s", "Time limit for reading a request's headers and body.", duration(&c.ReadTimeout)},
		{"shutdown-timeout", "DRAGOMAN_SHUTDOWN_TIMEOUT", "30s", "How long requests in flight may finish after SIGINT or SIGTERM.", duration(&c.ShutdownTimeout)},
		{"stream-heartbeat", "DRAGOMAN_STREAM_HEARTBEAT", "15s", "Interval of comment lines on an idle event stream, for proxies; 0 turns them off.", duration(&c.StreamHeartbeat)},
		{"chunk-tokens", "DRAGOMAN_CHUNK_TOKENS", "800", "Article tokens (o200k) per translation call; longer articles are split between paragraphs or sentences and translated in parallel.", integer(&c.ChunkTokens, 50)},
		{"summary-chunk-tokens", "DRAGOMAN_SUMMARY_CHUNK_TOKENS", "6000", "Article tokens per summary call; longer articles are summarized from notes on each part.", integer(&c.SummaryChunk, 50)},
		{"chunk-concurrency", "DRAGOMAN_CHUNK_CONCURRENCY", "4", "Parallel model calls of one request (under the global limit).", integer(&c.ChunkConcurrency, 1)},
		{"glossary", "DRAGOMAN_GLOSSARY", "", "Glossary file (.json or .csv, Arabic => English), added to the built-in names; see docs/glossary.md.", str(&c.Glossary)},
		{"data-dir", "DRAGOMAN_DATA_DIR", "./data", "Directory of the database file (SQLite): articles, briefings, feed progress, jobs, and the durable cache.", str(&c.DataDir)},
		{"allow-private-urls", "DRAGOMAN_ALLOW_PRIVATE_URLS", "false", "Let article and feed URLs reach loopback, private and link-local addresses (tests and private deployments only).", boolean(&c.AllowPrivateURLs)},
		{"fetch-timeout", "DRAGOMAN_FETCH_TIMEOUT", "20s", "Time limit for fetching an article page or a feed.", duration(&c.FetchTimeout)},
		{"fetch-max-bytes", "DRAGOMAN_FETCH_MAX_BYTES", "5MiB", "Largest page or feed fetched.", byteSize(&c.FetchMaxBytes)},
		{"fetch-max-redirects", "DRAGOMAN_FETCH_MAX_REDIRECTS", "5", "Redirects followed when fetching.", integer(&c.FetchMaxRedirects, 0)},
		{"feeds", "DRAGOMAN_FEEDS", "", "RSS or Atom feeds to poll, comma-separated, each `URL` or `Name=URL`.", str(&c.Feeds)},
		{"feed-interval", "DRAGOMAN_FEED_INTERVAL", "10m", "How often the feeds are polled.", duration(&c.FeedInterval)},
		{"article-bullets", "DRAGOMAN_ARTICLE_BULLETS", "3", "Summary bullets of an ingested article when the request gives none.", integer(&c.ArticleBullets, 1)},
		{"briefing-at", "DRAGOMAN_BRIEFING_AT", "", "Time of day (`HH:MM`, in `DRAGOMAN_BRIEFING_TZ`) the scheduled briefing is written; empty turns the schedule off.", str(&c.BriefingAt)},
		{"briefing-tz", "DRAGOMAN_BRIEFING_TZ", "UTC", "Time zone of the schedule and of briefing days (an IANA name such as `Asia/Riyadh`).", str(&c.BriefingTZ)},
		{"briefing-days-back", "DRAGOMAN_BRIEFING_DAYS_BACK", "1", "Which day the scheduled briefing covers: 1 is yesterday, 0 today so far.", integer(&c.BriefingDaysBack, 0)},
		{"briefing-catch-up-days", "DRAGOMAN_BRIEFING_CATCH_UP_DAYS", "3", "How many missed scheduled briefings a restart makes up for.", integer(&c.BriefingCatchUp, 1)},
		{"briefing-max-stories", "DRAGOMAN_BRIEFING_MAX_STORIES", "10", "Stories in a briefing when a request does not say.", integer(&c.BriefingStories, 1)},
		{"job-workers", "DRAGOMAN_JOB_WORKERS", "4", "Background jobs (feed items, briefings) run at once.", integer(&c.JobWorkers, 1)},
		{"job-timeout", "DRAGOMAN_JOB_TIMEOUT", "15m", "Time limit of one background job.", duration(&c.JobTimeout)},
		{"job-rescue-after", "DRAGOMAN_JOB_RESCUE_AFTER", "20m", "A job still running after this (its process died) is run again; at least the job timeout.", duration(&c.JobRescueAfter)},
		{"job-poll-interval", "DRAGOMAN_JOB_POLL_INTERVAL", "1s", "How often the job queue is checked for new work (at least 100ms).", duration(&c.JobPollInterval)},
		{"slack-signing-secret", "DRAGOMAN_SLACK_SIGNING_SECRET", "", "Slack app signing secret: turns on `/v1/hooks/slack` (slash commands, Events API verification).", str(&c.SlackSigningSecret)},
		{"slack-bot-token", "DRAGOMAN_SLACK_BOT_TOKEN", "", "Slack bot token (`xoxb-…`), to post briefings to `DRAGOMAN_SLACK_CHANNEL`.", str(&c.SlackBotToken)},
		{"slack-channel", "DRAGOMAN_SLACK_CHANNEL", "", "Slack channel id that receives briefings through the bot token.", str(&c.SlackChannel)},
		{"slack-webhook-url", "DRAGOMAN_SLACK_WEBHOOK_URL", "", "Slack incoming webhook that receives briefings.", str(&c.SlackWebhookURL)},
		{"slack-api-url", "DRAGOMAN_SLACK_API_URL", "https://slack.com/api/", "Slack Web API base URL.", str(&c.SlackAPIURL)},
		{"discord-public-key", "DRAGOMAN_DISCORD_PUBLIC_KEY", "", "Discord application public key (hex): turns on `/v1/hooks/discord`.", str(&c.DiscordPublicKey)},
		{"discord-app-id", "DRAGOMAN_DISCORD_APP_ID", "", "Discord application id, for follow-up messages.", str(&c.DiscordAppID)},
		{"discord-webhook-url", "DRAGOMAN_DISCORD_WEBHOOK_URL", "", "Discord channel webhook that receives briefings.", str(&c.DiscordWebhookURL)},
		{"discord-api-url", "DRAGOMAN_DISCORD_API_URL", "https://discord.com/api/v10", "Discord API base URL.", str(&c.DiscordAPIURL)},
		{"mattermost-token", "DRAGOMAN_MATTERMOST_TOKEN", "", "Mattermost slash command token: turns on `/v1/hooks/mattermost`.", str(&c.MattermostToken)},
		{"mattermost-webhook-url", "DRAGOMAN_MATTERMOST_WEBHOOK_URL", "", "Mattermost incoming webhook that receives briefings.", str(&c.MattermostWebhookURL)},
		{"teams-hmac-key", "DRAGOMAN_TEAMS_HMAC_KEY", "", "Teams outgoing webhook security token (base64): turns on `/v1/hooks/teams`.", str(&c.TeamsHMACKey)},
		{"teams-webhook-url", "DRAGOMAN_TEAMS_WEBHOOK_URL", "", "Teams Workflows webhook that receives briefings, and answers too slow for an outgoing webhook.", str(&c.TeamsWebhookURL)},
		{"teams-budget", "DRAGOMAN_TEAMS_BUDGET", "4s", "How long a Teams request may work before answering (Teams waits five seconds).", duration(&c.TeamsBudget)},
		{"telegram-bot-token", "DRAGOMAN_TELEGRAM_BOT_TOKEN", "", "Telegram bot token, to answer commands and post briefings.", str(&c.TelegramBotToken)},
		{"telegram-secret-token", "DRAGOMAN_TELEGRAM_SECRET_TOKEN", "", "The secret_token given to setWebhook: turns on `/v1/hooks/telegram`.", str(&c.TelegramSecretToken)},
		{"telegram-chat-id", "DRAGOMAN_TELEGRAM_CHAT_ID", "", "Telegram chat that receives briefings.", str(&c.TelegramChatID)},
		{"telegram-api-url", "DRAGOMAN_TELEGRAM_API_URL", "https://api.telegram.org", "Telegram Bot API base URL.", str(&c.TelegramAPIURL)},
		{"webhook-secret", "DRAGOMAN_WEBHOOK_SECRET", "", "Standard Webhooks secret (`whsec_…`): turns on `/v1/hooks/generic` and signs generic deliveries.", str(&c.WebhookSecret)},
		{"webhook-url", "DRAGOMAN_WEBHOOK_URL", "", "Endpoint that receives briefings as signed Standard Webhooks events.", str(&c.WebhookURL)},
		{"log-format", "DRAGOMAN_LOG_FORMAT", "text", "Log format: `text` or `json`.", oneOf(&c.LogFormat, "text", "json")},
		{"log-level", "DRAGOMAN_LOG_LEVEL", "info", "Log level: `debug`, `info`, `warn` or `error`.", oneOf(&c.LogLevel, "debug", "info", "warn", "error")},
	}
}

// loadConfig fills a config from, in increasing priority: defaults, the
// file named by DRAGOMAN_CONFIG, the environment, and args. It returns the
// arguments left after the flags.
func loadConfig(name string, args []string, getenv func(string) string, output io.Writer, extra func(*flag.FlagSet)) (*config, []string, error) {
	if path := getenv("DRAGOMAN_CONFIG"); path != "" {
		file, err := readConfigFile(path)
		if err != nil {
			return nil, nil, err
		}
		env := getenv
		getenv = func(k string) string {
			if v := env(k); v != "" {
				return v
			}
			return file[k]
		}
	}
	c := &config{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(output)
	for _, s := range settings(c) {
		if err := s.set(s.def); err != nil {
			return nil, nil, fmt.Errorf("default of %s: %w", s.env, err)
		}
		if v := getenv(s.env); v != "" {
			if err := s.set(v); err != nil {
				return nil, nil, fmt.Errorf("%s=%q: %w", s.env, v, err)
			}
		}
		usage := strings.ReplaceAll(s.help, "`", "") + " (env " + s.env + ")"
		if s.isBool() {
			fs.BoolFunc(s.flag, usage, s.set)
		} else {
			fs.Func(s.flag, usage, s.set)
		}
	}
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	return c, fs.Args(), nil
}

// readConfigFile reads KEY=VALUE lines (blank lines and # comments
// ignored), keyed by the environment variables of the registry.
func readConfigFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	known := map[string]bool{}
	for _, s := range settings(&config{}) {
		known[s.env] = true
	}
	out := map[string]string{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || !known[k] {
			return nil, fmt.Errorf("config file %s, line %d: want KEY=VALUE with a known key, got %q", path, i+1, line)
		}
		out[k] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	return out, nil
}

// markdownTable renders the registry for README.md.
func markdownTable() string {
	var b strings.Builder
	b.WriteString("| Flag | Environment variable | Default | Meaning |\n|---|---|---|---|\n")
	for _, s := range settings(&config{}) {
		def := "`" + s.def + "`"
		if s.def == "" {
			def = "(none)"
		}
		fmt.Fprintf(&b, "| `--%s` | `%s` | %s | %s |\n", s.flag, s.env, def, s.help)
	}
	return b.String()
}

func str(p *string) func(string) error {
	return func(v string) error { *p = strings.TrimSpace(v); return nil }
}

func boolean(p *bool) func(string) error {
	return func(v string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return errors.New("want true or false")
		}
		*p = b
		return nil
	}
}

func integer(p *int, least int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return errors.New("want a whole number")
		}
		if n < least {
			return fmt.Errorf("want at least %d", least)
		}
		*p = n
		return nil
	}
}

func float(p *float64, lo, hi float64) func(string) error {
	return func(v string) error {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) || f < lo || f > hi {
			return fmt.Errorf("want a number from %g to %g", lo, hi)
		}
		*p = f
		return nil
	}
}

func duration(p *time.Duration) func(string) error {
	return func(v string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d < 0 {
			return errors.New("want a duration such as 30s or 5m")
		}
		*p = d
		return nil
	}
}

func oneOf(p *string, values ...string) func(string) error {
	return func(v string) error {
		v = strings.ToLower(strings.TrimSpace(v))
		for _, ok := range values {
			if v == ok {
				*p = v
				return nil
			}
		}
		return fmt.Errorf("want one of %s", strings.Join(values, ", "))
	}
}

// byteSize reads a size such as 512, 64KiB, 2MiB, 1GiB (or KB, MB, GB).
func byteSize(p *int64) func(string) error {
	return func(v string) error {
		s := strings.TrimSpace(v)
		mult := int64(1)
		for _, u := range []struct {
			suffix string
			mult   int64
		}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}} {
			if rest, ok := strings.CutSuffix(s, u.suffix); ok {
				s, mult = strings.TrimSpace(rest), u.mult
				break
			}
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 || n > math.MaxInt64/mult {
			return errors.New("want a positive size such as 65536, 512KiB or 2MiB")
		}
		*p = n * mult
		return nil
	}
}
