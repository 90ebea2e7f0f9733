package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/dragoman-news/dragoman/gateway"
)

func (s *Server) handleTranslate(c echo.Context) error {
	var req gateway.TranslateRequest
	if err := s.decodeArticle(c, &req, &req.Article); err != nil {
		return err
	}
	req.Refresh = noCache(c.Request())
	ctx, cancel := s.requestContext(c)
	defer cancel()
	if wantsStream(c.Request()) {
		return s.streamTranslation(ctx, c, req)
	}
	t, err := s.deps.Translator.Translate(ctx, req, nil)
	if err != nil {
		return err
	}
	setCacheHeader(c, t.Cached)
	return c.JSON(http.StatusOK, t)
}

func (s *Server) handleSummarize(c echo.Context) error {
	var req gateway.SummarizeRequest
	if err := s.decodeArticle(c, &req, &req.Article); err != nil {
		return err
	}
	req.Refresh = noCache(c.Request())
	ctx, cancel := s.requestContext(c)
	defer cancel()
	sum, err := s.deps.Translator.Summarize(ctx, req)
	if err != nil {
		return err
	}
	setCacheHeader(c, sum.Cached)
	return c.JSON(http.StatusOK, sum)
}

func (s *Server) handleHealth(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// handleReady runs every readiness check; the gateway is ready when all
// pass. A failure answers 503 with the reasons, so that an operator reads
// what to set.
func (s *Server) handleReady(c echo.Context) error {
	checks := map[string]string{}
	var failures []string
	var first error
	for name, check := range s.deps.Ready {
		if err := check(c.Request().Context()); err != nil {
			checks[name] = gateway.AsError(err).Detail
			failures = append(failures, name+": "+gateway.AsError(err).Detail)
			if first == nil {
				first = err
			}
			continue
		}
		checks[name] = "ok"
	}
	if first != nil {
		code := gateway.CodeOf(first)
		if code.Status() != http.StatusServiceUnavailable {
			code = gateway.CodeServiceUnavailable
		}
		return &gateway.Error{Code: code, Detail: "Not ready: " + strings.Join(failures, "; "), Err: first}
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ready", "checks": checks})
}

func (s *Server) handleCacheStats(c echo.Context) error {
	return c.JSON(http.StatusOK, s.deps.CacheStats())
}

// requestContext bounds a request's work by the request timeout.
func (s *Server) requestContext(c echo.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request().Context(), s.cfg.RequestTimeout)
}

// noCache reports Cache-Control: no-cache (or no-store) on a request: the
// caller wants a fresh answer, which then replaces the cached one.
func noCache(r *http.Request) bool {
	for _, v := range r.Header.Values(echo.HeaderCacheControl) {
		for d := range strings.SplitSeq(v, ",") {
			switch strings.ToLower(strings.TrimSpace(d)) {
			case "no-cache", "no-store", "max-age=0":
				return true
			}
		}
	}
	return false
}

func setCacheHeader(c echo.Context, hit bool) {
	v := "MISS"
	if hit {
		v = "HIT"
	}
	c.Response().Header().Set("X-Cache", v)
}
