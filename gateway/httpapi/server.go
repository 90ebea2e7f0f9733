// Package httpapi is Dragoman's HTTP interface, and the only package that
// imports Echo: routes.go lists every route; handlers decode, validate, call
// a service and encode; one renderer turns every error into an RFC 9457
// problem.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/briefing"
	"github.com/dragoman-news/dragoman/gateway/chat"
	"github.com/dragoman-news/dragoman/gateway/ingest"
	"github.com/dragoman-news/dragoman/gateway/metrics"
)

// Translator is the pipeline the article endpoints call.
type Translator interface {
	Translate(ctx context.Context, req gateway.TranslateRequest, stream func(gateway.StreamEvent)) (*gateway.Translation, error)
	Summarize(ctx context.Context, req gateway.SummarizeRequest) (*gateway.Summary, error)
}

// Articles ingests and reads stored articles.
type Articles interface {
	Ingest(ctx context.Context, req ingest.Request) (*gateway.StoredArticle, bool, error)
	Article(ctx context.Context, id int64) (*gateway.StoredArticle, error)
	List(ctx context.Context, q gateway.ArticleQuery) ([]gateway.StoredArticle, string, error)
}

// Briefings writes and reads daily briefings.
type Briefings interface {
	Build(ctx context.Context, req briefing.Request, defaultTZ string, scheduled bool) (*gateway.Briefing, bool, error)
	Stored(ctx context.Context, req briefing.Request, defaultTZ string) (*gateway.Briefing, error)
}

// Hooks answers chat webhooks.
type Hooks interface {
	Handle(ctx context.Context, platform string, header http.Header, body []byte) (*chat.Response, error)
}

// Deliveries reads the delivery log and posts briefings.
type Deliveries interface {
	List(ctx context.Context, limit int, cursor string) ([]gateway.Delivery, string, error)
	DeliverBriefing(ctx context.Context, b *gateway.Briefing) ([]int64, error)
}

// Check is a readiness check: nil when the component is ready.
type Check func(ctx context.Context) error

// Config sets the HTTP limits.
type Config struct {
	// MaxBodyBytes bounds every request body.
	MaxBodyBytes int64
	// RequestTimeout bounds the work of one request, model calls included.
	RequestTimeout time.Duration
	// StreamHeartbeat is how often an idle event stream gets a comment line,
	// so that proxies do not close it.
	StreamHeartbeat time.Duration
	// TZ is the time zone of dates given without one.
	TZ string
}

// Deps are what the handlers call.
type Deps struct {
	Translator Translator
	Articles   Articles
	Briefings  Briefings
	// Hooks and Deliveries are nil where no jobs run (the terminal
	// commands): their routes then answer 503.
	Hooks      Hooks
	Deliveries Deliveries
	// Ready lists the readiness checks, by component name.
	Ready map[string]Check
	// CacheStats returns the cache statistics to serve as JSON.
	CacheStats func() any
	Metrics    *metrics.Metrics
	Logger     *slog.Logger
}

// Server is the HTTP handler.
type Server struct {
	cfg  Config
	deps Deps
	echo *echo.Echo
}

// New returns the server with every route registered.
func New(cfg Config, deps Deps) *Server {
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = renderError
	s := &Server{cfg: cfg, deps: deps, echo: e}
	e.Use(s.requestID, s.observe, s.recoverPanics)
	s.routes()
	return s
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }
