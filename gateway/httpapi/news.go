package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/briefing"
	"github.com/dragoman-news/dragoman/gateway/ingest"
)

// handleIngest stores an article: 201 when created, 200 with the stored
// one when it was there already (same URL or text, or a retried
// Idempotency-Key).
func (s *Server) handleIngest(c echo.Context) error {
	var req ingest.Request
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	req.IdempotencyKey = strings.TrimSpace(c.Request().Header.Get("Idempotency-Key"))
	ctx, cancel := s.requestContext(c)
	defer cancel()
	a, created, err := s.deps.Articles.Ingest(ctx, req)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/articles/"+strconv.FormatInt(a.ID, 10))
	if created {
		return c.JSON(http.StatusCreated, a)
	}
	return c.JSON(http.StatusOK, a)
}

func (s *Server) handleArticle(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return gateway.Errorf(gateway.CodeNotFound, "There is no article %q.", c.Param("id"))
	}
	a, err := s.deps.Articles.Article(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

// handleListArticles pages through articles, newest first:
// ?date=YYYY-MM-DD&tz=…&source=…&q=…&limit=…&cursor=…
func (s *Server) handleListArticles(c echo.Context) error {
	qp := c.QueryParams()
	q := gateway.ArticleQuery{Source: qp.Get("source"), Search: qp.Get("q"), Cursor: qp.Get("cursor")}
	if err := queryCount(qp, "limit", &q.Limit); err != nil {
		return err
	}
	if date := qp.Get("date"); date != "" {
		tz := qp.Get("tz")
		if tz == "" {
			tz = s.cfg.TZ
		}
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return gateway.FieldError(gateway.CodeInvalidField, "tz", "tz must be an IANA time zone such as Asia/Riyadh.")
		}
		day, err := time.ParseInLocation(time.DateOnly, date, loc)
		if err != nil {
			return gateway.FieldError(gateway.CodeInvalidField, "date", "date must be a day as YYYY-MM-DD.")
		}
		q.From, q.To = day, day.AddDate(0, 0, 1)
	}
	arts, next, err := s.deps.Articles.List(c.Request().Context(), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"articles": arts, "next_cursor": next})
}

// handleBuildBriefing writes the briefing of a day, replacing the stored
// one with the same options.
func (s *Server) handleBuildBriefing(c echo.Context) error {
	var req briefing.Request
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Date == "" {
		return gateway.FieldError(gateway.CodeMissingField, "date", "The date field is required (YYYY-MM-DD).")
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	if req.Deliver && s.deps.Deliveries == nil {
		return gateway.Errorf(gateway.CodeServiceUnavailable, "Deliveries run in the gateway (dragoman serve) only.")
	}
	b, _, err := s.deps.Briefings.Build(ctx, req, s.cfg.TZ, false)
	if err != nil {
		return err
	}
	out := struct {
		*gateway.Briefing
		Deliveries []int64 `json:"deliveries,omitempty"`
	}{Briefing: b}
	if req.Deliver {
		if out.Deliveries, err = s.deps.Deliveries.DeliverBriefing(ctx, b); err != nil {
			return err
		}
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/briefings/"+b.Date+"?tz="+b.TZ)
	return c.JSON(http.StatusCreated, out)
}

// handleBriefing serves a stored briefing as JSON, Markdown (?format=md)
// or an HTML page (?format=html).
func (s *Server) handleBriefing(c echo.Context) error {
	qp := c.QueryParams()
	req := briefing.Request{Date: c.Param("date"), TZ: qp.Get("tz")}
	if err := queryCount(qp, "max_stories", &req.MaxStories); err != nil {
		return err
	}
	if src := qp.Get("sources"); src != "" {
		req.Sources = strings.Split(src, ",")
	}
	b, err := s.deps.Briefings.Stored(c.Request().Context(), req, s.cfg.TZ)
	if err != nil {
		return err
	}
	switch qp.Get("format") {
	case "", "json":
		return c.JSON(http.StatusOK, b)
	case "md", "markdown":
		return c.Blob(http.StatusOK, "text/markdown; charset=utf-8", []byte(briefing.Markdown(b)))
	case "html":
		page, err := briefing.HTML(b)
		if err != nil {
			return err
		}
		c.Response().Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		return c.HTMLBlob(http.StatusOK, page)
	}
	return gateway.FieldError(gateway.CodeInvalidField, "format", "format must be json, md or html.")
}

// handleDeliveries pages through the delivery log, newest first.
func (s *Server) handleDeliveries(c echo.Context) error {
	if s.deps.Deliveries == nil {
		return gateway.Errorf(gateway.CodeServiceUnavailable, "Deliveries run in the gateway (dragoman serve) only.")
	}
	limit := 0
	if err := queryCount(c.QueryParams(), "limit", &limit); err != nil {
		return err
	}
	ds, next, err := s.deps.Deliveries.List(c.Request().Context(), limit, c.QueryParam("cursor"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"deliveries": ds, "next_cursor": next})
}

// handleHook answers a chat platform's webhook. The raw body is read once,
// within the size limit, since signatures cover its exact bytes.
func (s *Server) handleHook(platform string) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.deps.Hooks == nil {
			return gateway.Errorf(gateway.CodeServiceUnavailable, "Chat hooks run in the gateway (dragoman serve) only.")
		}
		body, err := s.readBody(c)
		if err != nil {
			return err
		}
		resp, err := s.deps.Hooks.Handle(c.Request().Context(), platform, c.Request().Header, body)
		if err != nil {
			return err
		}
		if resp.ContentType == "" {
			return c.NoContent(resp.Status)
		}
		return c.Blob(resp.Status, resp.ContentType, resp.Body)
	}
}
